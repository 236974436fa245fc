import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Webhook signatures: HMAC-SHA256 with the subscription's secret over `<timestamp>.<body>`, the
 * timestamp in whole seconds since the epoch. Signing the timestamp with the body lets a receiver
 * refuse a captured request replayed later (`toleranceS`).
 */
export const WebhookHeaders = {
  /** Seconds since the epoch when the attempt was sent. */
  timestamp: 'x-pulsewatch-timestamp',
  /** `v1=<hex>`: HMAC-SHA256(secret, `${timestamp}.${body}`). */
  signature: 'x-pulsewatch-signature',
  alertId: 'x-pulsewatch-alert-id',
  /** The same for every attempt of a delivery: receivers de-duplicate by it. */
  delivery: 'x-pulsewatch-delivery',
  /** `alert.opened`, `alert.escalated` or `alert.resolved`. */
  event: 'x-pulsewatch-event',
  /** 1 for the first attempt. */
  attempt: 'x-pulsewatch-attempt',
} as const;

export const SIGNATURE_VERSION = 'v1';

/** The signature header's value for a body sent at `timestamp` (seconds). */
export function signPayload(secret: string, timestamp: number, body: string | Buffer): string {
  const mac = createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex');
  return `${SIGNATURE_VERSION}=${mac}`;
}

/**
 * Whether `signature` (the `X-Pulsewatch-Signature` header; several `v1=` values may be listed,
 * comma-separated) signs `body` at `timestamp` (the `X-Pulsewatch-Timestamp` header) with
 * `secret`, and the timestamp is within `toleranceS` seconds of now. `body` is the raw request
 * body, before any JSON parsing. The comparison takes the same time wherever a guess differs.
 */
export function verifySignature(
  secret: string,
  timestamp: string | number,
  body: string | Buffer,
  signature: string,
  toleranceS = 300,
  nowMs = Date.now(),
): boolean {
  const ts =
    typeof timestamp === 'number' ? timestamp : /^\d{1,12}$/.test(timestamp) ? Number(timestamp) : NaN;
  if (!Number.isInteger(ts) || Math.abs(nowMs / 1000 - ts) > toleranceS) return false;
  const expected = Buffer.from(signPayload(secret, ts, body));
  return signature.split(',').some((part) => {
    const given = Buffer.from(part.trim());
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}
