import t from 'tap';
import { parseArgs } from 'node:util';
import {
  isUsageError,
  numberFlag,
  parseCommand,
  parseFlags,
  UsageError,
  type FlagOptions,
} from '../../app/flags.js';

const OPTIONS = {
  data: { type: 'string' },
  speed: { type: 'string', default: '1' },
  map: { type: 'string', multiple: true, default: [] as string[] },
  json: { type: 'boolean', default: false },
  verbose: { type: 'boolean', short: 'v' },
} satisfies FlagOptions;

/** The UsageError parseFlags throws for `args`. */
function refusal(args: string[], positionals = false): UsageError {
  try {
    parseFlags(args, OPTIONS, { positionals });
  } catch (err) {
    if (err instanceof UsageError) return err;
    throw err;
  }
  throw new Error(`${args.join(' ')}: parsed`);
}

t.test('values are typed, with defaults, booleans and repeated flags', async (t) => {
  const { values, positionals } = parseFlags(
    ['--data', 'a.jsonl', '--json', '-v', '--map', 'text=body', '--map=ts=at'],
    OPTIONS,
  );
  t.same(values, { data: 'a.jsonl', speed: '1', map: ['text=body', 'ts=at'], json: true, verbose: true });
  t.same(positionals, []);
  const none = parseFlags([], OPTIONS).values;
  t.equal(none.json, false, 'a boolean with a default is false when absent');
  t.equal(none.data, undefined);
  t.equal(none.verbose, undefined, 'a boolean without a default is undefined when absent');
});

t.test('positionals only when asked for', async (t) => {
  t.same(parseFlags(['a.csv', '--json', '--', '--b'], OPTIONS, { positionals: true }).positionals, [
    'a.csv',
    '--b',
  ]);
  t.equal(refusal(['a.csv']).message, 'unexpected argument "a.csv"');
  t.equal(
    refusal(['--', '--json']).message,
    'unexpected argument "--json"',
    'after -- everything is positional',
  );
});

t.test(
  'unknown flags, missing values and values given to booleans are usage errors naming the flag',
  async (t) => {
    const cases: [string[], string][] = [
      [['--bogus'], 'unknown flag --bogus'],
      [['-x'], 'unknown flag -x'],
      [['--json', '--toString'], 'unknown flag --toString'],
      [['--data'], '--data needs a value'],
      [['--data', '--json'], '--data needs a value (write --data=--json if "--json" is meant as its value)'],
      [['--json=yes'], '--json takes no value'],
      [['--data', 'a', '--speed'], '--speed needs a value'],
    ];
    for (const [args, message] of cases) {
      const err = refusal(args);
      t.equal(err.message, message, args.join(' '));
      t.equal(err.code, 'USAGE');
      t.equal(err.retryable, false);
      t.match(err.cause, { code: /^ERR_PARSE_ARGS_/ }, 'keeps node’s error as the cause');
    }
    t.equal(parseFlags(['--data', '-'], OPTIONS).values.data, '-', 'a lone dash is a value (stdin)');
    t.equal(
      parseFlags(['--data=-1'], OPTIONS).values.data,
      '-1',
      'a value starting with a dash, given inline',
    );
  },
);

t.test('numberFlag reads a number with bounds and names the flag when it cannot', async (t) => {
  t.equal(numberFlag('limit', '10', { min: 1 }), 10);
  t.equal(numberFlag('l2', '1e-4', { min: 0 }), 0.0001);
  t.equal(numberFlag('rewind-s', '0', { min: 0 }), 0, 'the minimum itself is allowed');
  t.equal(numberFlag('offset', '-3'), -3, 'no bounds: any finite number');
  t.equal(numberFlag('limit', undefined, { min: 1 }), undefined, 'a flag not given');
  const bad: [string, Parameters<typeof numberFlag>[2], string][] = [
    ['x', { min: 1 }, '--n: expected a number ≥ 1, got "x"'],
    ['', { min: 0 }, '--n: expected a number ≥ 0, got ""'],
    [' ', undefined, '--n: expected a number, got " "'],
    ['Infinity', undefined, '--n: expected a number, got "Infinity"'],
    ['0', { min: 1 }, '--n: expected a number ≥ 1, got "0"'],
    ['0', { min: 0, exclusive: true }, '--n: expected a number > 0, got "0"'],
    ['2.5', { min: 0, integer: true }, '--n: expected an integer ≥ 0, got "2.5"'],
  ];
  for (const [raw, bounds, message] of bad)
    t.throws(() => numberFlag('n', raw, bounds), new UsageError(message), JSON.stringify(raw));
});

t.test('isUsageError: a UsageError or node’s own parse error, nothing else', async (t) => {
  t.ok(isUsageError(new UsageError('x')));
  let nodeError: unknown;
  try {
    parseArgs({ args: ['--bogus'], options: {}, strict: true });
  } catch (err) {
    nodeError = err;
  }
  t.ok(isUsageError(nodeError), 'ERR_PARSE_ARGS_UNKNOWN_OPTION');
  t.notOk(isUsageError(new RangeError('x')));
  t.notOk(isUsageError(undefined));
});

t.test('parseCommand: flags and positionals, or the problem and the usage on err', async (t) => {
  const lines = { out: [] as string[], err: [] as string[] };
  const io = { out: (l: string) => lines.out.push(l), err: (l: string) => lines.err.push(l) };
  const parsed = parseCommand(['show', '--json', 'x'], OPTIONS, 'usage: cmd', io);
  t.ok(parsed);
  t.same(parsed!.positionals, ['show', 'x']);
  t.equal(parsed!.values.json, true);
  t.same(lines, { out: [], err: [] }, 'nothing printed');
  t.equal(parsed!.usage('show needs a NAME'), 2);
  t.same(lines.err, ['show needs a NAME\nusage: cmd']);
  lines.err.length = 0;
  t.equal(parseCommand(['--bogus'], OPTIONS, 'usage: cmd', io), undefined);
  t.same(lines, { out: [], err: ['unknown flag --bogus\nusage: cmd'] });
});
