import t from 'tap';
import { startTestApp } from '../helpers/app.js';

t.test(
  'an alert threshold below the default resolve score still starts (an alert resolves below it)',
  async (t) => {
    const running = await startTestApp(['--alert-threshold', '1.5']);
    t.teardown(() => running.stop());
    const res = await running.app.inject({ url: '/v1/alerts' });
    t.equal(res.statusCode, 200);
  },
);
