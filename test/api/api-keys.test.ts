import t from 'tap';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { ApiKeys } from '../../api/index.js';
import { announceAccess, loadApiKeys } from '../../app/api-keys.js';
import { runKeys } from '../../app/cli/keys.js';
import { startApp } from '../../app/compose.js';
import { loadConfig } from '../../app/config.js';

const dir = await mkdtemp(join(tmpdir(), 'pw-keys-'));
t.teardown(() => rm(dir, { recursive: true, force: true }));

async function keys(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runKeys(args, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const settings = (over: Partial<Parameters<typeof loadApiKeys>[0]> = {}) =>
  loadApiKeys({
    mode: 'embedded',
    insecure: false,
    apiKeysFile: '',
    ingestApiKeys: '',
    ingestApiKeysFile: '',
    ...over,
  });

t.test('keys add prints a strong key once and stores only its digest', async (t) => {
  const file = join(dir, 'add.json');
  const added = await keys(['add', '--file', file, '--name', 'crm', '--scopes', 'ingest,read']);
  t.equal(added.code, 0);
  const key = added.out;
  t.match(key, /^pw_[A-Za-z0-9_-]{43}$/, 'the key alone on stdout: 256 random bits');
  t.match(added.err, /only time the key is shown/);
  const text = await readFile(file, 'utf8');
  t.notMatch(text, key, 'the file never holds the key');
  t.notMatch(text, key.slice(3, 20), 'nor a part of it');
  const doc = JSON.parse(text) as { version: number; keys: Record<string, unknown>[] };
  t.match(doc, {
    version: 1,
    keys: [
      {
        name: 'crm',
        scopes: ['ingest', 'read'],
        sha256: createHash('sha256').update(key).digest('hex'),
        created: /^\d{4}-\d{2}-\d{2}T/,
      },
    ],
  });
  t.equal((await stat(file)).mode & 0o777, 0o600, 'readable by its owner only');

  const again = await keys(['add', '--file', file, '--name', 'crm', '--scopes', 'admin']);
  t.equal(again.code, 1, 'a duplicate name is refused');
  t.match(again.err, /already has a key named "crm"/);
  t.equal(await readFile(file, 'utf8'), text, 'and the file is unchanged');

  const second = await keys(['add', '--file', file, '--name', 'ops', '--scopes', 'admin']);
  t.not(second.out, key, 'every key is new');
  const loaded = await settings({ apiKeysFile: file });
  t.same(
    loaded.find(key),
    { name: 'crm', scopes: ['ingest', 'read'] },
    'the server finds the key by its digest',
  );
  t.same(loaded.find(second.out), { name: 'ops', scopes: ['admin'] });
  t.equal(loaded.find(`${key}x`), undefined);
});

t.test('keys list shows names and scopes only; keys remove deletes one', async (t) => {
  const file = join(dir, 'list.json');
  const a = await keys(['add', '--file', file, '--name', 'dashboards', '--scopes', 'read']);
  await keys(['add', '--file', file, '--name', 'etl', '--scopes', 'ingest']);
  const list = await keys(['list', '--file', file]);
  t.equal(list.code, 0);
  t.match(list.out, /dashboards\s+read\s/);
  t.match(list.out, /etl\s+ingest\s/);
  t.notMatch(list.out, a.out, 'no key');
  t.notMatch(list.out, /[0-9a-f]{64}/, 'no digest');

  t.equal((await keys(['remove', '--file', file, '--name', 'etl'])).code, 0);
  const after = await keys(['list', '--file', file]);
  t.notMatch(after.out, 'etl');
  t.match(after.out, 'dashboards');
  const missing = await keys(['remove', '--file', file, '--name', 'etl']);
  t.equal(missing.code, 1, 'removing an unknown name is an error');
  t.match(missing.err, /has no key named "etl"/);
  t.equal((await settings({ apiKeysFile: file })).find(a.out)?.name, 'dashboards', 'the others stay');
});

t.test('keys: usage errors exit 2 and say what is wrong', async (t) => {
  const file = join(dir, 'usage.json');
  const cases: [string[], RegExp][] = [
    [[], /a command is needed/],
    [['add', '--file', file, '--scopes', 'read'], /add needs --name/],
    [['add', '--file', file, '--name', 'x'], /add needs --scopes/],
    [['add', '--file', file, '--name', 'x', '--scopes', 'read,write'], /unknown scope "write"/],
    [['add', '--file', file, '--name', 'bad name', '--scopes', 'read'], /key name/],
    [['list'], /--file FILE is needed/],
    [['rotate', '--file', file], /unknown command "rotate"/],
    [['list', '--file', file, '--bogus'], /unknown flag --bogus/],
  ];
  for (const [args, message] of cases) {
    const r = await keys(args);
    t.not(r.code, 0, args.join(' '));
    t.match(r.err, message, args.join(' '));
  }
  t.equal((await keys(['list', '--file', join(dir, 'none.json')])).code, 1, 'listing a missing file');
  const help = await keys(['--help']);
  t.equal(help.code, 0);
  for (const word of ['add', 'list', 'remove', 'ingest, read, decide, admin']) t.match(help.out, word);
});

t.test('a bad key file stops the start with an error naming the setting and the entry', async (t) => {
  const file = join(dir, 'bad.json');
  const digest = 'a'.repeat(64);
  const bad: [string, RegExp][] = [
    ['{"keys": [', /is not JSON/],
    ['{"version": 2, "keys": []}', /expected \{"version":1/],
    [
      JSON.stringify({ version: 1, keys: [{ name: 'crm', scopes: ['read'], sha256: 'pw_plainkey' }] }),
      /key 1 \("crm"\): "sha256"/,
    ],
    [JSON.stringify({ version: 1, keys: [{ name: 'crm', scopes: [], sha256: digest }] }), /"scopes"/],
    [JSON.stringify({ version: 1, keys: [{ name: 'crm', scopes: ['root'], sha256: digest }] }), /"scopes"/],
    [
      JSON.stringify({
        version: 1,
        keys: [
          { name: 'crm', scopes: ['read'], sha256: digest },
          { name: 'crm', scopes: ['read'], sha256: 'b'.repeat(64) },
        ],
      }),
      /key 2 \("crm"\): the name is listed twice/,
    ],
  ];
  for (const [text, message] of bad) {
    await writeFile(file, text);
    await t.rejects(settings({ apiKeysFile: file }), { name: 'ConfigError', message }, text.slice(0, 40));
    await t.rejects(settings({ apiKeysFile: file }), { message: /^--api-keys-file: / });
  }
  await t.rejects(settings({ apiKeysFile: join(dir, 'missing.json') }), {
    name: 'ConfigError',
    message: /--api-keys-file: cannot read/,
  });
});

t.test('plain ingest keys (the settings kept from before) join the key file with scope ingest', async (t) => {
  const file = join(dir, 'both.json');
  const admin = (await keys(['add', '--file', file, '--name', 'ops', '--scopes', 'admin'])).out;
  const both = await settings({ apiKeysFile: file, ingestApiKeys: 'crm:0123456789abcdef-crm' });
  t.same(both.names.sort(), ['crm', 'ops']);
  t.same(both.find('0123456789abcdef-crm'), { name: 'crm', scopes: ['ingest'] });
  t.same(both.find(admin)?.scopes, ['admin']);
  await t.rejects(settings({ apiKeysFile: file, ingestApiKeys: 'ops:0123456789abcdef-ops' }), {
    name: 'ConfigError',
    message: /"ops" is listed twice/,
  });
});

t.test(
  'services mode refuses to start without keys unless --insecure; the embedded default runs open',
  async (t) => {
    await t.rejects(settings({ mode: 'services' }), {
      name: 'ConfigError',
      message: /services mode needs API keys: set --api-keys-file .*--insecure/,
    });
    t.equal((await settings({ mode: 'services', insecure: true })).size, 0, '--insecure: open');
    t.equal((await settings({ mode: 'embedded' })).size, 0, 'the embedded default: open');
    const file = join(dir, 'services.json');
    await keys(['add', '--file', file, '--name', 'ops', '--scopes', 'admin']);
    t.equal((await settings({ mode: 'services', apiKeysFile: file })).size, 1, 'with a key');
    t.equal(
      (await settings({ mode: 'services', ingestApiKeys: 'crm:0123456789abcdef-crm' })).size,
      1,
      'a plain key counts',
    );

    // the whole start: it stops before it opens any backend
    await t.rejects(
      startApp(loadConfig(['--mode', 'services', '--log-level', 'silent', '--port', '0'], {})),
      {
        name: 'ConfigError',
        message: /--api-keys-file/,
      },
    );
    t.match(loadConfig(['--insecure', '--api-keys-file', file, '--metrics-public'], {}), {
      insecure: true,
      apiKeysFile: file,
      metricsPublic: true,
    });
    t.match(loadConfig([], { PW_INSECURE: 'true' }), { insecure: true });
    t.match(loadConfig([], {}), { insecure: false, apiKeysFile: '', metricsPublic: false }, 'defaults');
  },
);

t.test('a key file that holds no key stops the start in every mode, unless --insecure', async (t) => {
  const empty = join(dir, 'empty.json');
  await writeFile(empty, '{"version":1,"keys":[]}');
  for (const mode of ['embedded', 'services'] as const) {
    await t.rejects(
      settings({ mode, apiKeysFile: empty }),
      {
        name: 'ConfigError',
        message: new RegExp(
          `^--api-keys-file / PW_API_KEYS_FILE: ${empty} holds no API key, so the API would run open.*` +
            `pulsewatch keys add --file ${empty} --name <name> --scopes admin.*drop --api-keys-file`,
        ),
      },
      `${mode} mode`,
    );
    t.equal(
      (await settings({ mode, apiKeysFile: empty, insecure: true })).size,
      0,
      `${mode}, --insecure: open`,
    );
  }
  await t.rejects(
    settings({ apiKeysFile: empty, ingestApiKeys: 'crm:0123456789abcdef-crm' }),
    { name: 'ConfigError', message: /holds no API key\. Add one/ },
    'with plain ingest keys besides: still a mistake, though not an open API',
  );
  t.equal(
    (await settings({ mode: 'embedded' })).size,
    0,
    'no key file at all: the embedded default runs open',
  );

  // the whole start of the embedded default: it stops before it opens any port
  await t.rejects(
    startApp(loadConfig(['--api-keys-file', empty, '--log-level', 'silent', '--port', '0'], {})),
    { name: 'ConfigError', message: /holds no API key/ },
  );

  // the last key removed: keys remove warns, and the server then refuses the file
  const file = join(dir, 'last.json');
  await keys(['add', '--file', file, '--name', 'a', '--scopes', 'read']);
  await keys(['add', '--file', file, '--name', 'b', '--scopes', 'admin']);
  const first = await keys(['remove', '--file', file, '--name', 'a']);
  t.equal(first.code, 0);
  t.notMatch(first.err, /warning/, 'a key is left: no warning');
  const last = await keys(['remove', '--file', file, '--name', 'b']);
  t.equal(last.code, 0, 'the last key can be removed');
  t.match(last.err, /removed "b"/);
  t.match(
    last.err,
    new RegExp(
      `warning: that was the last key: ${file} holds none now.*refuses to start.*pulsewatch keys add --file ${file}`,
    ),
  );
  await t.rejects(settings({ apiKeysFile: file }), { name: 'ConfigError', message: /holds no API key/ });
});

t.test('the start says whether the API is open', async (t) => {
  const logged = (mode: 'embedded' | 'services', k: ApiKeys, apiKeysFile = '') => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    });
    announceAccess(pino({ level: 'info' }, sink), { mode, apiKeysFile }, k);
    return lines.map((l) => JSON.parse(l) as { level: number; msg: string; keys?: string[] });
  };
  t.match(logged('embedded', new ApiKeys()), [{ level: 30, msg: /the API is open: the embedded default/ }]);
  t.match(logged('services', new ApiKeys()), [{ level: 40, msg: /the API is open \(--insecure\)/ }]);
  t.match(logged('embedded', new ApiKeys(), '/etc/pw/keys.json'), [
    { level: 40, msg: /the API is open \(--insecure\): the key file \/etc\/pw\/keys.json holds no API key/ },
  ]);
  const file = join(dir, 'announce.json');
  const key = (await keys(['add', '--file', file, '--name', 'ops', '--scopes', 'admin'])).out;
  const lines = logged('services', await settings({ apiKeysFile: file }));
  t.match(lines, [{ level: 30, msg: /needs a key/, keys: ['ops'] }]);
  t.notMatch(JSON.stringify(lines), key);
});
