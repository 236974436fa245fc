import t from 'tap';
import {
  ClickHouseError,
  isRetryable,
  parseServerCode,
  toClickHouseError,
} from '../../stream/store/clickhouse/index.js';

t.test('the server code is read from 18.16 and from current messages', async (t) => {
  t.equal(
    parseServerCode(
      "Code: 60, e.displayText() = DB::Exception: Table probe.nope doesn't exist., e.what() = DB::Exception",
    ),
    60,
  );
  t.equal(
    parseServerCode(
      'Code: 60. DB::Exception: Table default.nope does not exist. (UNKNOWN_TABLE) (version 24.8.1.1)',
    ),
    60,
  );
  t.equal(parseServerCode('connect ECONNREFUSED 127.0.0.1:8123'), undefined);
});

t.test('errors are classified by whether a retry can help', async (t) => {
  const missing = toClickHouseError(
    new Error("Code: 60, e.displayText() = DB::Exception: Table x doesn't exist., e.what() = DB::Exception"),
    'query',
  );
  t.match(missing, { code: 'CLICKHOUSE_SERVER_ERROR', serverCode: 60, retryable: false });
  t.match(missing.message, /^query: Code: 60/);

  const parts = toClickHouseError(
    new Error('Code: 252, e.displayText() = DB::Exception: Too many parts'),
    'insert',
  );
  t.match(parts, { code: 'CLICKHOUSE_SERVER_ERROR', serverCode: 252, retryable: true });

  const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8123'), { code: 'ECONNREFUSED' });
  t.match(toClickHouseError(refused, 'insert'), { code: 'CLICKHOUSE_UNAVAILABLE', retryable: true });
  t.match(toClickHouseError(new Error('socket hang up'), 'insert'), { code: 'CLICKHOUSE_UNAVAILABLE' });
  t.match(toClickHouseError(new Error('Timeout error.'), 'insert'), { code: 'CLICKHOUSE_UNAVAILABLE' });

  const bug = toClickHouseError(new TypeError('x is not a function'), 'insert');
  t.match(bug, { code: 'CLICKHOUSE_REQUEST_FAILED', retryable: false });
  t.equal(bug.cause instanceof TypeError, true, 'the cause is kept');

  t.equal(isRetryable(refused), false, 'only ClickHouseErrors are judged');
  const same = new ClickHouseError('CLICKHOUSE_CLOSED', 'closed');
  t.equal(toClickHouseError(same, 'x'), same, 'a ClickHouseError passes through');
});
