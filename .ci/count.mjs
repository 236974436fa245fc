// Reads tap's TAP output and prints "N passed, N failed" over every assertion in every file.
import { readFileSync } from 'node:fs';
import { Parser } from 'tap-parser';

const input = readFileSync(process.argv[2] ?? 0, 'utf8');
let passed = 0;
let failed = 0;
let skipped = 0;
const failures = [];
const parser = new Parser();
// Count leaf assertions only: a test point that closes a subtest summarises the ones inside it.
function watch(p, path) {
  p.on('assert', (a) => {
    if (a.closingTestPoint) return;
    if (a.skip || a.todo) skipped++;
    else if (a.ok) passed++;
    else {
      failed++;
      failures.push([...path, a.name].filter(Boolean).join(' > '));
    }
  });
  p.on('child', (c) => watch(c, [...path, c.name]));
}
watch(parser, []);
parser.on('complete', (results) => {
  // A file that crashed or bailed out without failing an assertion still counts as a failure.
  if (!results.ok && failed === 0) failed = 1;
  // Name what failed, so a log cut short still says where to look.
  for (const f of failures) console.log(`failed: ${f}`);
  console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
});
parser.end(input);
