import t from 'tap';
import { ConfigError, loadConfig } from '../../app/config.js';

t.test('defaults run the embedded mode', async (t) => {
  const c = loadConfig([], {});
  t.match(c, {
    mode: 'embedded',
    port: 8080,
    host: '127.0.0.1',
    partitions: 4,
    synthetic: true,
    syntheticRate: 50,
  });
  t.same(
    c.windows.map((w) => w.name),
    ['1m', '1h'],
  );
});

t.test('flags win over environment variables, which win over defaults', async (t) => {
  const env = { PW_PORT: '9000', PW_PARTITIONS: '8' };
  t.equal(loadConfig([], env).port, 9000);
  t.equal(loadConfig(['--port', '9100'], env).port, 9100);
  t.equal(loadConfig(['--port=9200'], env).port, 9200);
  t.equal(loadConfig([], env).partitions, 8);
  t.equal(loadConfig(['--no-synthetic'], {}).synthetic, false);
  t.equal(loadConfig(['--synthetic'], { PW_SYNTHETIC: 'false' }).synthetic, true);
  t.same(
    loadConfig(['--windows', '1h, 5m'], {}).windows.map((w) => w.name),
    ['5m', '1h'],
    'windows sorted by size',
  );
});

t.test('bad settings fail with a message naming the flag and the variable', async (t) => {
  const bad: [string[], Record<string, string>, RegExp][] = [
    [['--port', 'eighty'], {}, /--port \/ PW_PORT/],
    [[], { PW_PORT: '70000' }, /--port \/ PW_PORT/],
    [['--partitions', '0'], {}, /--partitions/],
    [['--windows', '7m'], {}, /--windows/],
    [['--windows', '1m,60s'], {}, /listed twice/],
    [['--synthetic', 'maybe'], {}, /true or false/],
    [['--mode', 'cluster'], {}, /--mode/],
    [['--bogus', '1'], {}, /unknown flag --bogus/],
    [['--port'], {}, /needs a value/],
    [['start'], {}, /unexpected argument/],
    [['--log-level', 'loud'], {}, /--log-level \/ PW_LOG_LEVEL: expected one of/],
    [
      ['--alert-threshold', '10'],
      {},
      /--alert-high-threshold \(8\) must be at least --alert-threshold \(10\)/,
    ],
  ];
  for (const [argv, env, message] of bad)
    t.throws(
      () => loadConfig(argv, env),
      { name: 'ConfigError', message },
      argv.join(' ') || JSON.stringify(env),
    );
  t.ok(new ConfigError('x') instanceof Error);
});
