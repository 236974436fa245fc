import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from './paths.js';

const MAIN = join(PROJECT_ROOT, 'dist', 'app', 'main.js');

/** What `pulsewatch start` prints once it serves; `main.ts` prints it with `readyLine`. */
const READY = /running: open (\S+?)\/\s/;

export function readyLine(mode: string, url: string): string {
  return `Pulsewatch ${mode} is running: open ${url}/  (API docs: ${url}/docs)`;
}

export interface PulsewatchProcess {
  readonly child: ChildProcess;
  /** The URL it serves on, once it has started; rejects if it exits first. */
  readonly ready: Promise<string>;
  readonly exited: Promise<number | null>;
  /** Everything it printed so far. */
  output(): string;
}

/**
 * Starts `pulsewatch start <flags>` from the build as its own process, as in production: for
 * benchmarks and fault tests that run roles apart or kill them.
 */
export function spawnPulsewatch(
  flags: string[],
  options: { nodeArgs?: string[]; stderr?: 'pipe' | 'inherit' } = {},
): PulsewatchProcess {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run npm run build first (npm test does)`);
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), MAIN, 'start', ...flags], {
    cwd: PROJECT_ROOT,
    stdio: ['ignore', 'pipe', options.stderr ?? 'pipe'],
  });
  let out = '';
  const ready = new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = READY.exec(out);
      if (m) resolve(m[1]!);
    });
    child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
    child.once('exit', (code) =>
      reject(new Error(`pulsewatch exited (${code}) before it was ready:\n${out}`)),
    );
  });
  ready.catch(() => undefined);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, ready, exited, output: () => out };
}
