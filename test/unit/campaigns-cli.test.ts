import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCampaigns, USAGE } from '../../app/cli/campaigns.js';
import { parsePriors, priorsByCampaign, PriorsFileError } from '../../stream/index.js';

const dir = mkdtempSync(join(tmpdir(), 'pw-campaigns-cli-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

// No Redis here: a dead port, so that nothing is written anywhere; most cases stop before connecting.
const NO_REDIS = ['--redis-url', 'redis://127.0.0.1:1'];

async function cli(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCampaigns([...args, ...NO_REDIS], {
    out: (l) => out.push(l),
    err: (l) => err.push(l),
  });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

t.test('help: exit 0, the usage on stdout', async (t) => {
  for (const args of [['--help'], ['help'], ['priors', 'help']]) {
    const r = await cli(args);
    t.equal(r.code, 0, args.join(' '));
    t.equal(r.out, USAGE);
    t.equal(r.err, '');
  }
  t.match(USAGE, /priors <command>/);
  for (const flag of ['load --file FILE', 'show CAMPAIGN', '--redis-url', '--redis-prefix', 'PW_REDIS_URL'])
    t.match(USAGE, flag);
});

t.test('usage errors: exit 2, the problem and the usage on stderr', async (t) => {
  const cases: [string[], RegExp][] = [
    [[], /a command is needed/],
    [['keys'], /unknown command "keys"/],
    [['priors'], /priors needs a command/],
    [['priors', 'drop'], /unknown command "priors drop"/],
    [['priors', 'load'], /load needs --file FILE/],
    [['priors', 'load', 'x', '--file', 'f'], /unexpected argument "x"/],
    [['priors', 'show'], /show needs a CAMPAIGN/],
    [['priors', 'show', 'a', 'b'], /unexpected argument "b"/],
    [['priors', 'load', '--file'], /--file/],
    [['priors', 'load', '--nope'], /--nope/],
    [['priors', 'load', '--file', join(dir, 'missing.jsonl')], /cannot read .*missing\.jsonl/],
  ];
  for (const [args, problem] of cases) {
    const r = await cli(args);
    t.equal(r.code, 2, args.join(' ') || '(nothing)');
    t.match(r.err, problem);
    t.match(r.err, /usage: pulsewatch campaigns priors/);
    t.equal(r.out, '');
  }
});

t.test('a bad line is reported with its number, and nothing is loaded', async (t) => {
  const file = join(dir, 'bad.jsonl');
  writeFileSync(
    file,
    [
      '{"campaign":"spring","arm":"red","mean":0.04,"n":50}',
      '',
      '{"campaign":"spring","arm":"blue","mean":"high","n":5}',
      '{"campaign":"spring","arm":"green","mean":0.1,"n":-1}',
      'not json',
      '{"campaign":"spring","arm":"red","mean":0.5,"n":1}',
    ].join('\n'),
  );
  const r = await cli(['priors', 'load', '--file', file]);
  t.equal(r.code, 2);
  t.match(r.err, `${file}:3: "mean" must be a finite number`);
  t.match(r.err, `${file}:4: "n" must be a finite number, 0 or more`);
  t.match(r.err, `${file}:5: not JSON`);
  t.match(r.err, `${file}:6: a second prior for the same campaign, segment and arm (line 1)`);
  t.notMatch(r.err, `${file}:1:`);
  t.match(r.err, /nothing loaded/);
  t.equal(r.out, '');
});

t.test('an empty file loads nothing, without Redis', async (t) => {
  const file = join(dir, 'empty.jsonl');
  writeFileSync(file, '\n\n');
  const r = await cli(['priors', 'load', '--file', file]);
  t.equal(r.code, 0);
  t.match(r.err, /has no priors/);
});

t.test('parsePriors: every check', async (t) => {
  const bad = (line: string) => {
    try {
      parsePriors(line, 'f');
      return 'no error';
    } catch (err) {
      t.type(err, PriorsFileError);
      t.equal((err as PriorsFileError).code, 'INVALID_PRIORS');
      return (err as PriorsFileError).problems.join('\n');
    }
  };
  t.equal(bad('[1]'), 'f:1: not a JSON object');
  t.equal(bad('{"campaign":"","arm":"a","mean":0,"n":0}'), 'f:1: "campaign" must be a non-empty string');
  t.equal(bad('{"campaign":"c","mean":0,"n":0}'), 'f:1: "arm" must be a non-empty string');
  t.match(
    bad('{"campaign":"c","arm":"a","segment":"","mean":0,"n":0}'),
    /"segment" must be a non-empty string/,
  );
  t.match(bad('{"campaign":"c","arm":"a","mean":0,"n":0,"weight":1}'), /unknown field "weight"/);
  t.match(bad('{"campaign":"c","arm":"a","mean":1e999,"n":0}'), /"mean" must be a finite number/);
  t.match(bad('{"campaign":"c","arm":"a","mean":0}'), /"n" must be/);
  // n × mean and the reported mean must stay finite: a mean of 1e300 showed as null in GET
  t.equal(
    bad('{"campaign":"c","arm":"a","mean":1e300,"n":1}'),
    'f:1: "mean" must be a finite number from -1000000000000000 to 1000000000000000',
  );
  t.match(bad('{"campaign":"c","arm":"a","mean":-2e15,"n":1}'), /"mean" must be a finite number from/);
  t.equal(
    bad('{"campaign":"c","arm":"a","mean":1,"n":1e300}'),
    'f:1: "n" must be a finite number, 0 or more, up to 1000000000000000',
  );
  t.equal(
    bad(Array.from({ length: 50 }, () => 'x').join('\n')).split('\n').length,
    20,
    'at most 20 problems',
  );
  const ok = parsePriors(
    '{"campaign":"c","arm":"a","mean":0.5,"n":2}\r\n{"campaign":"d","arm":"a","segment":"s","mean":0,"n":0}\n',
  );
  t.same(ok, [
    { campaign: 'c', arm: 'a', mean: 0.5, n: 2 },
    { campaign: 'd', arm: 'a', segment: 's', mean: 0, n: 0 },
  ]);
  t.same(
    [...priorsByCampaign(ok)],
    [
      ['c', [{ arm: 'a', mean: 0.5, n: 2 }]],
      ['d', [{ arm: 'a', segment: 's', mean: 0, n: 0 }]],
    ],
  );
});

t.test('Redis unreachable: exit 1, the reason on stderr', async (t) => {
  const r = await cli(['priors', 'show', 'spring']);
  t.equal(r.code, 1);
  t.match(r.err, /Redis at redis:\/\/127\.0\.0\.1:1 failed/);
  t.equal(r.out, '');
});
