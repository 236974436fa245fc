import t from 'tap';
import { readFileSync } from 'node:fs';
import { SETTINGS } from '../../app/config.js';
import { configTable } from '../../app/tools/config-table.js';
import { ErrorCodes, RejectReasons } from '../../stream/index.js';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

t.test('the README documents every setting with its flag and variable', async (t) => {
  for (const s of SETTINGS) {
    t.match(readme, `| \`${s.flag}\` | \`${s.env}\` |`, s.key);
  }
});

t.test(
  'the README’s configuration table is the one app/config.ts writes (npm run docs:config)',
  async (t) => {
    const start = readme.indexOf('<!-- config:start -->\n');
    const end = readme.indexOf('\n<!-- config:end -->');
    t.ok(start >= 0 && end > start, 'the markers');
    t.equal(
      readme.slice(start + '<!-- config:start -->\n'.length, end),
      configTable(),
      'a description edited in the README alone drifts from --help and is overwritten by the next docs:config',
    );
  },
);

t.test('the README lists every error code and reject reason', async (t) => {
  for (const code of Object.keys(ErrorCodes)) t.match(readme, `| \`${code}\` |`, code);
  for (const reason of Object.keys(RejectReasons)) t.match(readme, `| \`${reason}\` |`, reason);
});

t.test('the README starts with the two commands', async (t) => {
  const head = readme.slice(0, 1500);
  t.match(head, 'npm install && npm start');
  t.match(head, 'npm test');
});
