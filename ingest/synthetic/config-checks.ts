/** A generator config that cannot be used: a RangeError naming the setting. */
export function invalidConfig(message: string): never {
  throw new RangeError(`generator config: ${message}`);
}

/** A share in 0..1, `fallback` when absent. */
export function checkShare(name: string, v: unknown, fallback: number): number {
  const x = v === undefined ? fallback : v;
  if (typeof x !== 'number' || !Number.isFinite(x) || x < 0 || x > 1)
    invalidConfig(`${name} must be in 0..1 (got ${String(x)})`);
  return x;
}

/** A name or id of 1..max characters. */
export function checkId(name: string, v: unknown, max: number): string {
  if (typeof v !== 'string' || v.length === 0 || v.length > max)
    invalidConfig(`${name} must be a string of 1..${max} chars`);
  return v;
}

/** A finite number in min..max; `maxText` writes max in the message (`1e6`). */
export function checkRange(
  name: string,
  v: unknown,
  min: number,
  max: number,
  maxText = String(max),
): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max)
    invalidConfig(`${name} must be in ${min}..${maxText} (got ${String(v)})`);
  return v;
}

/** true or false, `false` when absent. */
export function checkFlag(name: string, v: unknown): boolean {
  if (v !== undefined && typeof v !== 'boolean')
    invalidConfig(`${name} must be true or false (got ${String(v)})`);
  return v === true;
}
