import t from 'tap';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runIngest } from '../../app/cli/ingest.js';
import { progressLine, run, summaryText } from '../../app/cli/replay.js';
import { PROJECT_ROOT } from '../../app/paths.js';
import { LocalRejectReasons, type ReplaySummary } from '../../ingest/replay/index.js';

const dir = mkdtempSync(join(tmpdir(), 'pw-replay-cli-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const file = join(dir, 'posts.jsonl');
writeFileSync(file, JSON.stringify({ text: 'x', ts: Date.UTC(2024, 0, 1) }) + '\n');

async function cli(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await run(args, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

t.test('--help lists every option', async (t) => {
  const { code, out } = await cli(['--help']);
  t.equal(code, 0);
  for (const flag of [
    '--speed',
    '--max-gap',
    '--map',
    '--source',
    '--time-shift',
    '--batch',
    '--format',
    '--encoding',
    '--state',
    '--restart',
    '--json',
    '--url',
    '--api-key',
    '--gzip',
  ])
    t.match(out, flag);
});

t.test('registered as `pulsewatch ingest replay`', async (t) => {
  const logs: string[] = [];
  const log = console.log;
  console.log = (s: string) => logs.push(s);
  try {
    t.equal(await runIngest(['help']), 0);
  } finally {
    console.log = log;
  }
  t.match(logs.join('\n'), /connectors: .*replay/);
});

t.test('bad flags: exit 2 with what is wrong, nothing sent', async (t) => {
  const cases: [string[], RegExp][] = [
    [[], /give one file to replay/],
    [[file, file], /give one file to replay, not 2/],
    [[file, '--speed', '0'], /--speed must be a number above 0 or max, got "0"/],
    [[file, '--speed', 'fast'], /--speed must be a number above 0 or max/],
    [[file, '--max-gap=-1'], /--max-gap must be a number of seconds ≥ 0/],
    [[file, '--batch', '0'], /--batch must be a whole number from 1 to 10000/],
    [[file, '--batch', '2.5'], /--batch must be a whole number/],
    [[file, '--map', 'txt=body'], /--map txt=body: expected field=path/],
    [[file, '--time-shift', 'later'], /--time-shift must be now or none, got "later"/],
    [[file, '--format', 'xml'], /--format must be jsonl or csv/],
    [[file, '--encoding', 'utf16'], /--encoding must be utf8 or latin1/],
    [[file, '--source', ''], /--source must be 1 to 64 characters/],
    [[file, '--bogus'], /unknown flag --bogus/],
  ];
  for (const [args, message] of cases) {
    const { code, err } = await cli(args);
    t.equal(code, 2, args.join(' '));
    t.match(err, message);
  }
});

t.test('errors of the replay itself: exit 1 with the message', async (t) => {
  const { code, err } = await cli([join(dir, 'missing.jsonl'), '--url', 'http://127.0.0.1:9']);
  t.equal(code, 1);
  t.match(err, /replay: cannot read .*missing\.jsonl: ENOENT/);
});

t.test('progress and summary lines', async (t) => {
  t.equal(
    progressLine({
      phase: 'index',
      read: 120_000,
      bytesRead: 33_100_000,
      bytes: 120_000_000,
      events: 0,
      position: 0,
      sent: 0,
      accepted: 0,
      rejected: 0,
      ratePerSec: 0,
      etaMs: undefined,
      line: undefined,
      eventTs: undefined,
    }),
    'indexing: 120,000 rows read, 33.1 of 120.0 MB (27%)',
  );
  t.equal(
    progressLine({
      phase: 'send',
      read: 10_000,
      bytesRead: 1,
      bytes: 1,
      events: 9_990,
      position: 1_200,
      sent: 1_200,
      accepted: 1_198,
      rejected: 12,
      ratePerSec: 812.4,
      etaMs: 602_000,
      line: 5_123,
      eventTs: Date.UTC(2009, 4, 12, 3),
    }),
    'sent 1,200 of 9,990 events (12.0%), 1,198 accepted, 12 rejected, 812/s, ETA 10m02s, next: line 5,123 at 2009-05-12T03:00:00.000Z',
  );
  const s: ReplaySummary = {
    status: 'interrupted',
    file: 'posts.csv',
    state_file: 'posts.csv.replay-state.json',
    read: 10,
    events: 8,
    sent: 4,
    accepted: 3,
    duplicates: 0,
    rejected: 3,
    rejected_local: { bad_timestamp: 2 },
    rejected_server: { line_too_long: 1 },
    examples: [
      {
        by: 'replay',
        reason: 'bad_timestamp',
        line: 3,
        detail: 'date: "x" is not a date-time or epoch number',
      },
      { by: 'server', reason: 'line_too_long', line: 9, detail: 'the line is over 1024 bytes' },
    ],
    position: 4,
    resumed_at: 0,
    time_shift_ms: 0,
    first_ts: Date.UTC(2009, 4, 11),
    last_ts: Date.UTC(2009, 4, 12),
    elapsed_ms: 2500,
  };
  t.equal(
    summaryText(s),
    [
      'replay interrupted: posts.csv',
      '  read      10 rows, 8 events',
      '  sent      4 events, 3 accepted (0 duplicates)',
      '  rejected  3: here bad_timestamp 2; by the server line_too_long 1',
      '    bad_timestamp (replay) first at line 3: date: "x" is not a date-time or epoch number',
      '    line_too_long (server) first at line 9: the line is over 1024 bytes',
      '  times     2009-05-11T00:00:00.000Z to 2009-05-12T00:00:00.000Z',
      '  took      3s; state in posts.csv.replay-state.json',
      '  4 of 8 events done: run the same command again to resume',
    ].join('\n'),
  );
});

t.test('the README lists every reason a row is rejected for', async (t) => {
  const readme = readFileSync(join(PROJECT_ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('### File replay'), readme.indexOf('## API'));
  for (const reason of Object.keys(LocalRejectReasons)) t.match(section, `\`${reason}\``, reason);
});
