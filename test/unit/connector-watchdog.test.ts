import t from 'tap';
import { Watchdog } from '../../ingest/connectors/connector.js';

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

t.test('a step of the wall clock is no stall; silence is', async (t) => {
  let stalls = 0;
  const dog = new Watchdog(2_000, () => stalls++);
  t.teardown(() => dog.stop());
  const realNow = Date.now;
  // NTP steps the clock an hour ahead while data keeps coming
  Date.now = () => realNow() + 3_600_000;
  t.teardown(() => (Date.now = realNow));
  await wait(300);
  t.equal(stalls, 0, 'no stall for a clock step');
  Date.now = realNow;
  dog.kick();
  await wait(300);
  t.equal(stalls, 0);
  // and a step back does not hide a real stall
  Date.now = () => realNow() - 3_600_000;
  for (let waited = 0; stalls === 0 && waited < 20_000; waited += 100) await wait(100);
  t.equal(stalls, 1, 'a silence past the limit is a stall');
});
