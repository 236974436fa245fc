import { retryAfter, type WebhookTarget } from '../../stream/index.js';
import { DeliveryError, type Delivery, type DeliveryChannel } from './delivery.js';
import { alertNotification } from './payload.js';
import { signPayload, WebhookHeaders } from './signature.js';
import { slackMessage } from './slack.js';

export interface WebhookChannelOptions {
  /** One request, from connecting to the response headers. */
  timeoutMs: number;
  userAgent?: string;
  now?: () => number;
}

/**
 * Webhooks: one signed POST per attempt. A 2xx is delivered. A 5xx, a 429 (after its Retry-After),
 * a timeout or a connection error can succeed later; any other 4xx cannot. Redirects are not
 * followed: the receiver's URL is what the subscription says, and a redirect is a failure that a
 * retry does not change.
 */
export class WebhookChannel implements DeliveryChannel {
  readonly name = 'webhook';
  private readonly now: () => number;

  constructor(private readonly o: WebhookChannelOptions) {
    this.now = o.now ?? Date.now;
  }

  async send(d: Delivery, attempt: number): Promise<void> {
    const target = d.subscription.target as WebhookTarget;
    const body = JSON.stringify(target.format === 'slack' ? slackMessage(d) : alertNotification(d));
    const timestamp = Math.floor(this.now() / 1000);
    const url = new URL(target.url);
    // Refused by fetch with an error that quotes the URL whole; the API refuses them, older
    // subscriptions may hold one.
    if (url.username !== '' || url.password !== '')
      throw new DeliveryError('the URL holds a user name or password, which a request cannot carry', {
        retryable: false,
      });
    let res: Response;
    try {
      res = await fetch(url, {
        method: 'POST',
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(this.o.timeoutMs),
        headers: {
          'content-type': 'application/json',
          'user-agent': this.o.userAgent ?? 'Pulsewatch-Webhook/1',
          [WebhookHeaders.timestamp]: String(timestamp),
          [WebhookHeaders.signature]: signPayload(target.secret, timestamp, body),
          [WebhookHeaders.alertId]: headerSafe(d.alert.id),
          [WebhookHeaders.delivery]: d.id,
          [WebhookHeaders.event]: `alert.${d.notification}`,
          [WebhookHeaders.attempt]: String(attempt),
        },
      });
    } catch (err) {
      const e = err as Error & { cause?: { code?: string; message?: string } };
      const why =
        e.name === 'TimeoutError'
          ? `no response within ${this.o.timeoutMs} ms`
          : `request failed: ${e.cause?.code ?? e.cause?.message ?? e.message}`
              // the path of a Slack URL is a secret: never in a report
              .replaceAll(target.url, url.origin)
              .replaceAll(url.href, url.origin);
      throw new DeliveryError(why, { retryable: true, cause: err });
    }
    // The receiver's body tells us nothing we act on; do not wait for it.
    await res.body?.cancel().catch(() => undefined);
    const status = res.status;
    if (status >= 200 && status < 300) return;
    if (status >= 300 && status < 400)
      throw new DeliveryError(
        `HTTP ${status}: redirect to ${res.headers.get('location') ?? '(no location)'} not followed`,
        { retryable: false },
      );
    if (status === 429) {
      const after = retryAfter(res.headers.get('retry-after'), this.now());
      throw new DeliveryError(`HTTP 429`, {
        retryable: true,
        ...(after !== undefined && { retryAfterMs: after }),
      });
    }
    throw new DeliveryError(`HTTP ${status}`, { retryable: status >= 500 });
  }
}

/**
 * An alert id as an HTTP header value: an id holds the brand's name, and fetch refuses a header
 * with a character above U+00FF (`Škoda`, an emoji), which failed every attempt. Printable ASCII
 * stays as it is; other characters and `%` are percent-encoded UTF-8, so `decodeURIComponent`
 * gives the id back exactly.
 */
function headerSafe(value: string): string {
  return value.replace(/[^\x20-\x24\x26-\x7e]+/gu, (s) => encodeURIComponent(s));
}
