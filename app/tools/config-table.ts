/**
 * Writes the README's configuration table from the settings in app/config.ts, between the
 * `<!-- config:start -->` and `<!-- config:end -->` markers: `npm run docs:config`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SETTINGS } from '../config.js';
import { isMain, parseFlags, runTool } from '../flags.js';
import { PROJECT_ROOT } from '../paths.js';

const USAGE = 'usage: npm run docs:config';

export function configTable(): string {
  const rows = SETTINGS.map(
    (s) =>
      `| \`${s.flag}\` | \`${s.env}\` | ${s.default === '' ? '(empty)' : `\`${s.default}\``} | ${s.description} |`,
  );
  return ['| flag | environment | default | meaning |', '|---|---|---|---|', ...rows].join('\n');
}

export async function main(argv: readonly string[]): Promise<number> {
  if (parseFlags(argv, { help: { type: 'boolean', default: false } }).values.help) {
    console.log(USAGE);
    return 0;
  }
  const file = join(PROJECT_ROOT, 'README.md');
  const readme = readFileSync(file, 'utf8');
  const start = '<!-- config:start -->';
  const end = '<!-- config:end -->';
  const a = readme.indexOf(start);
  const b = readme.indexOf(end);
  if (a === -1 || b === -1 || b < a) {
    console.error(`README.md lacks the ${start} … ${end} markers`);
    return 1;
  }
  writeFileSync(file, readme.slice(0, a + start.length) + '\n' + configTable() + '\n' + readme.slice(b));
  console.log(`README.md: configuration table written (${SETTINGS.length} settings)`);
  return 0;
}

if (isMain(import.meta.url)) runTool('config-table', USAGE, () => main(process.argv.slice(2)));
