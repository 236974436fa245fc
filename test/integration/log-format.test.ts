import t from 'tap';
import { prettyLogs } from '../../app/logger.js';
import { spawnPulsewatch } from '../../app/process.js';

/** The log format a user gets: readable on a terminal, JSON lines when piped (as here) or forced. */
t.test('auto is pretty on a terminal only; json and pretty are what they say', async (t) => {
  t.equal(prettyLogs('auto', true), true);
  t.equal(prettyLogs('auto', false), false);
  t.equal(prettyLogs('json', true), false);
  t.equal(prettyLogs('pretty', false), true);
});

async function firstLogLines(flags: string[]): Promise<string[]> {
  const p = spawnPulsewatch(['--port', '0', '--no-synthetic', ...flags]);
  try {
    await p.ready;
  } finally {
    p.child.kill('SIGTERM');
    await p.exited;
  }
  return p
    .output()
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith('Pulsewatch ') && !l.startsWith('SIGTERM'));
}

t.test('pulsewatch start with stdout piped logs JSON lines', async (t) => {
  const lines = await firstLogLines([]);
  t.ok(lines.length > 0, 'it logs at start');
  for (const line of lines) t.match(JSON.parse(line), { level: Number, time: Number, msg: String });
});

t.test('--log-format pretty logs one readable line per record', async (t) => {
  const lines = await firstLogLines(['--log-format', 'pretty']);
  t.ok(lines.length > 0, 'it logs at start');
  for (const line of lines) t.match(line, /^\[\d{2}:\d{2}:\d{2}\.\d{3}\] (INFO|WARN|ERROR|DEBUG): \S/);
});
