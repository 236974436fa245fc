import t from 'tap';
import {
  ident,
  isSafeIdentifier,
  joinSql,
  quoteIdentifier,
  quoteString,
  sql,
  sqlLiteral,
  type SqlValue,
} from '../../stream/store/clickhouse/index.js';

/**
 * Reads a single-quoted literal the way ClickHouse's lexer does (backslash escapes \\ \' \0 \b
 * \f \n \r \t \xHH, a doubled quote for a quote) and returns its value and the SQL after it.
 */
function readLiteral(text: string): { value: string; rest: string } {
  if (text[0] !== "'") throw new Error(`not a literal: ${text}`);
  const escapes: Record<string, string> = { '0': '\0', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
  let value = '';
  for (let i = 1; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\\') {
      const next = text[++i]!;
      if (next === 'x') {
        value += String.fromCharCode(parseInt(text.slice(i + 1, i + 3), 16));
        i += 2;
      } else value += escapes[next] ?? next;
    } else if (c === "'") {
      if (text[i + 1] === "'") {
        value += "'";
        i++;
      } else return { value, rest: text.slice(i + 1) };
    } else value += c;
  }
  throw new Error(`unterminated literal: ${text}`);
}

const INJECTIONS = [
  "'; DROP TABLE x; --",
  "\\'; DROP TABLE x; --",
  "\\\\'; DROP TABLE x; --",
  "' OR 1=1 --",
  "\\' OR '1'='1",
  "''; DROP TABLE x; --",
  'x\\',
  "x\\\\'",
  "\u0000'; DROP TABLE x; --",
  "/* comment */ ' UNION SELECT * FROM system.users --",
];

t.test('a string literal holds exactly the string, and nothing after it', async (t) => {
  for (const s of [
    ...INJECTIONS,
    'plain',
    '',
    'Café 😀 日本語',
    'a\nb\r\nc\td\u0000e\u0007f\u001fg\u007fh',
  ]) {
    const literal = quoteString(s);
    const { value, rest } = readLiteral(literal);
    t.equal(value, s, JSON.stringify(s));
    t.equal(rest, '', `${JSON.stringify(s)}: the literal ends where the quoting ends`);
  }
});

t.test('injection attempts stay inside the literal', async (t) => {
  t.equal(quoteString("'; DROP TABLE x; --"), "'\\'; DROP TABLE x; --'");
  t.equal(
    quoteString("\\'; DROP TABLE x; --"),
    "'\\\\\\'; DROP TABLE x; --'",
    'backslash-quote: both escaped',
  );
  const query = sql`SELECT * FROM t WHERE brand = ${"x' OR 1=1 --"} AND n = 1`.text;
  t.equal(query, "SELECT * FROM t WHERE brand = 'x\\' OR 1=1 --' AND n = 1");
  const { rest } = readLiteral(query.slice(query.indexOf("'")));
  t.equal(rest, ' AND n = 1', 'the condition after the value is still SQL');
});

t.test('control characters are escaped, unicode passes through', async (t) => {
  t.equal(quoteString('a\u0000b'), "'a\\0b'");
  t.equal(quoteString('\n\r\t\b\f'), "'\\n\\r\\t\\b\\f'");
  t.equal(quoteString('\u0001\u001f\u007f'), "'\\x01\\x1f\\x7f'");
  t.equal(quoteString('O\'Brien \\ "Café"'), "'O\\'Brien \\\\ \"Café\"'");
  t.equal(quoteString('日本語 😀'), "'日本語 😀'");
  // eslint-disable-next-line no-control-regex -- looking for control characters is the point
  t.notMatch(quoteString('\u0000\u0001\n\r\t\u007f'), /[\u0000-\u001f\u007f]/, 'no raw control character');
  t.equal(quoteString('a\uD800b'), "'a\uFFFDb'", 'a lone surrogate becomes U+FFFD');
  t.equal(quoteString('\uD83D\uDE00'), "'😀'", 'a surrogate pair stays');
});

t.test('numbers, booleans, null and arrays', async (t) => {
  t.equal(sqlLiteral(42), '42');
  t.equal(sqlLiteral(1.5), '1.5');
  t.equal(sqlLiteral(-1), '(-1)');
  t.equal(sqlLiteral(-0), '0');
  t.equal(sqlLiteral(12345678901234567890n), '12345678901234567890');
  t.equal(sqlLiteral(-5n), '(-5)');
  t.equal(sqlLiteral(true), '1');
  t.equal(sqlLiteral(false), '0');
  t.equal(sqlLiteral(null), 'NULL');
  t.equal(sqlLiteral(['a', "b'", 1, -2, ['c']]), "['a', 'b\\'', 1, (-2), ['c']]");
  t.equal(sql`SELECT 1-${-1}`.text, 'SELECT 1-(-1)', 'a negative number cannot start a -- comment');
  for (const bad of [NaN, Infinity, -Infinity]) t.throws(() => sqlLiteral(bad), RangeError, String(bad));
  t.throws(() => sqlLiteral({} as unknown as SqlValue), TypeError);
  t.throws(() => sqlLiteral(undefined as unknown as SqlValue), TypeError);
});

t.test('identifiers: plain names only, back-quoted', async (t) => {
  t.equal(quoteIdentifier('pw_test_1a'), '`pw_test_1a`');
  t.equal(quoteIdentifier('_x'), '`_x`');
  t.equal(ident('db', 'window_aggregates').text, '`db`.`window_aggregates`');
  for (const bad of [
    '',
    '1abc',
    'a b',
    'a`b',
    'db.table',
    'x`; DROP TABLE y; --',
    'x\\`',
    'naïve',
    'a-b',
    'x'.repeat(129),
  ]) {
    t.throws(() => quoteIdentifier(bad), RangeError, JSON.stringify(bad));
    t.equal(isSafeIdentifier(bad), false);
  }
  t.throws(() => ident(), RangeError);
});

t.test('the sql tag escapes values and keeps fragments', async (t) => {
  const table = ident('db', 't');
  const where = sql`brand = ${"it's"}`;
  t.equal(
    sql`SELECT a FROM ${table} WHERE ${where} LIMIT ${10}`.text,
    "SELECT a FROM `db`.`t` WHERE brand = 'it\\'s' LIMIT 10",
  );
  t.equal(joinSql([ident('a'), ident('b')]).text, '`a`, `b`');
  t.equal(sql`${'${x}'}`.text, "'${x}'", 'a value that looks like a placeholder is just a string');
});
