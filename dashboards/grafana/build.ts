/**
 * npm run dashboards:build — writes every dashboard of index.ts to dashboards/grafana/<name>.json
 * and prints what it wrote. The same code always writes the same bytes; the integration test
 * (test/integration/grafana-dashboards.test.ts) fails when a committed file differs.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { DASHBOARDS, dashboardsDir, renderDashboard } from './index.js';

const dir = dashboardsDir();
for (const [name, build] of Object.entries(DASHBOARDS)) {
  const file = join(dir, `${name}.json`);
  const dashboard = build();
  const json = await renderDashboard(dashboard, file);
  const before = await readFile(file, 'utf8').catch(() => undefined);
  if (before !== json) await writeFile(file, json);
  const panels = (dashboard.panels ?? []).filter((p) => p.type !== 'row').length;
  console.log(
    `${before === json ? 'unchanged' : 'wrote    '} ${relative(process.cwd(), file)} (${dashboard.title}: ${panels} panels, ${json.length} bytes)`,
  );
}
