import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DASHBOARD_DIR, PROJECT_ROOT } from '../paths.js';

/**
 * `npm run build:web`: type-checks the live page (dashboards/web) and builds it with Vite into
 * dist/web, unless the build is newer than every input, so `npm start` (whose `prestart` builds)
 * stays quick when nothing changed. `--force` builds anyway.
 */

const SOURCE = join(PROJECT_ROOT, 'dashboards', 'web');
/** Written last by a build: its time is the build's. */
const BUILT = join(DASHBOARD_DIR, 'index.html');
/** Besides the page's own files, what changes the bundle: the installed packages (uPlot). */
const ALSO = [join(PROJECT_ROOT, 'package-lock.json')];

function newestIn(path: string): number {
  const s = statSync(path);
  if (!s.isDirectory()) return s.mtimeMs;
  let newest = s.mtimeMs;
  for (const name of readdirSync(path)) newest = Math.max(newest, newestIn(join(path, name)));
  return newest;
}

function upToDate(): boolean {
  if (!existsSync(BUILT)) return false;
  const inputs = Math.max(newestIn(SOURCE), ...ALSO.filter(existsSync).map(newestIn));
  return statSync(BUILT).mtimeMs >= inputs;
}

async function main(): Promise<void> {
  if (!process.argv.includes('--force') && upToDate()) return;
  const bin = (name: string) => join(PROJECT_ROOT, 'node_modules', '.bin', name);
  execFileSync(bin('tsc'), ['-p', join(SOURCE, 'tsconfig.json')], { stdio: 'inherit' });
  const { build } = await import('vite');
  await build({ configFile: join(SOURCE, 'vite.config.ts'), logLevel: 'warn' });
}

main().catch((err: unknown) => {
  console.error(`build:web failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
