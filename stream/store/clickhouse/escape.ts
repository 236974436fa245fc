/**
 * The one way values and names get into SQL text. ClickHouse 18.16 has no server-side query
 * parameters, so every value is written as a literal by {@link sqlLiteral} and every name by
 * {@link quoteIdentifier}; the {@link sql} tag applies them to whatever it interpolates.
 */

export type SqlValue = string | number | bigint | boolean | null | readonly SqlValue[];

/** SQL text that the {@link sql} tag inserts as it is: the output of another `sql` or `ident`. */
export class SqlFragment {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

const SAFE_IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
// Backslash and quote, and every control character: none of them reach the SQL text unescaped.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const NEEDS_ESCAPE = /[\\'\u0000-\u001F\u007F]/g;
const NAMED_ESCAPES: Record<string, string> = {
  '\\': '\\\\',
  "'": "\\'",
  '\0': '\\0',
  '\b': '\\b',
  '\f': '\\f',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
};

/**
 * A string as a single-quoted ClickHouse literal. Unicode passes through as UTF-8; a lone
 * surrogate (not valid UTF-8) becomes U+FFFD, as it would on the wire anyway, so the literal is
 * exactly what is sent.
 */
export function quoteString(value: string): string {
  return `'${wellFormed(value).replace(
    NEEDS_ESCAPE,
    (c) => NAMED_ESCAPES[c] ?? `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`,
  )}'`;
}

/**
 * The string with every lone surrogate replaced by U+FFFD. Inserted JSON goes through it too:
 * 18.16 refuses a whole insert over one `\ud800` (Code: 25), and the literal for a query must
 * match what was stored.
 */
export function wellFormed(value: string): string {
  return value.replace(LONE_SURROGATE, '\uFFFD');
}

/**
 * A database, table or column name, back-quoted. Only plain names ([A-Za-z_][A-Za-z0-9_]*, up to
 * 128 characters) are accepted: they mean the same on every ClickHouse release, and anything else
 * in a name is far more likely an injection than a wish.
 */
export function quoteIdentifier(name: string): string {
  if (!SAFE_IDENTIFIER.test(name)) {
    throw new RangeError(`not a safe SQL identifier: ${JSON.stringify(name)} (use [A-Za-z_][A-Za-z0-9_]*)`);
  }
  return `\`${name}\``;
}

/** Whether a name passes {@link quoteIdentifier}. */
export function isSafeIdentifier(name: string): boolean {
  return SAFE_IDENTIFIER.test(name);
}

/**
 * The one escaping function: any value as a ClickHouse literal. Numbers must be finite; negative
 * numbers are parenthesised so that `a-${-1}` cannot become the comment `a--1`.
 */
export function sqlLiteral(value: SqlValue): string {
  if (value === null) return 'NULL';
  if (typeof value === 'string') return quoteString(value);
  if (typeof value === 'boolean') return value ? '1' : '0';
  if (typeof value === 'bigint') return value < 0n ? `(${value})` : String(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new RangeError(`not a finite number: ${value}`);
    if (Object.is(value, -0)) return '0';
    return value < 0 ? `(${value})` : String(value);
  }
  if (Array.isArray(value)) return `[${value.map(sqlLiteral).join(', ')}]`;
  throw new TypeError(`cannot write ${typeof value} as SQL`);
}

/** An identifier, or a qualified one (`ident('db', 'table')` → `db`.`table`). */
export function ident(...parts: string[]): SqlFragment {
  if (parts.length === 0) throw new RangeError('ident() needs a name');
  return new SqlFragment(parts.map(quoteIdentifier).join('.'));
}

/**
 * Builds SQL text: interpolated values become literals, {@link SqlFragment}s (from `ident` or a
 * nested `sql`) are inserted as they are.
 *
 *   sql`SELECT * FROM ${ident(db, 't')} WHERE brand = ${brand}`
 */
export function sql(strings: TemplateStringsArray, ...values: (SqlValue | SqlFragment)[]): SqlFragment {
  let out = strings[0] ?? '';
  values.forEach((v, i) => {
    out += (v instanceof SqlFragment ? v.text : sqlLiteral(v)) + (strings[i + 1] ?? '');
  });
  return new SqlFragment(out);
}

/** Joins fragments with a separator (`, ` by default), e.g. a column list. */
export function joinSql(parts: readonly SqlFragment[], separator = ', '): SqlFragment {
  return new SqlFragment(parts.map((p) => p.text).join(separator));
}
