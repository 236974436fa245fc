import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { format, resolveConfig } from 'prettier';

/**
 * A dashboard as the JSON file committed: keys sorted at every level (arrays keep their order), so
 * a change of the SDK's key order changes nothing, then formatted by prettier with the repository's
 * settings (2-space indent, trailing newline), so `prettier --check .` passes on the file.
 */
export async function renderDashboard(dashboard: unknown, file: string): Promise<string> {
  const options = (await resolveConfig(file)) ?? {};
  return format(JSON.stringify(sortKeys(dashboard)), { ...options, parser: 'json', filepath: file });
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) out[key] = sortKeys((value as Record<string, unknown>)[key]);
  return out;
}

/**
 * dashboards/grafana/ of the checkout this module runs from (the source under tap, the build under
 * dist/): the nearest folder up with a package.json, then dashboards/grafana.
 */
export function dashboardsDir(from = dirname(fileURLToPath(import.meta.url))): string {
  let dir = from;
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error(`no package.json above ${from}`);
    dir = up;
  }
  return join(dir, 'dashboards', 'grafana');
}
