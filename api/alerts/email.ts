import nodemailer, { type Transporter } from 'nodemailer';
import type { EmailTarget } from '../../stream/index.js';
import { DeliveryError, type Delivery, type DeliveryChannel } from './delivery.js';
import { summarize } from './payload.js';
import { WebhookHeaders } from './signature.js';

export interface EmailChannelOptions {
  /** `smtp://user:pass@host:587` (STARTTLS when offered) or `smtps://…:465`; query options as nodemailer reads them. */
  url: string;
  /** The From address, e.g. `Pulsewatch <alerts@example.com>`. */
  from: string;
  /** Connecting, the greeting and each wait for the server. */
  timeoutMs: number;
}

/** The text of an alert e-mail: subject and plain-text body. */
export function emailMessage(d: Delivery): { subject: string; text: string } {
  const s = summarize(d, 5);
  const lines = [s.summary, '', ...s.facts.map(([label, value]) => `${label}: ${value}`)];
  if (s.top_terms.length > 0) lines.push('', `Top negative terms: ${s.top_terms.join(', ')}`);
  if (s.samples.length > 0)
    lines.push('', 'Sample posts:', ...s.samples.map((t) => `  > ${t.replace(/\n/g, ' ')}`));
  lines.push('', `-- Pulsewatch, delivery ${d.id}`);
  return { subject: `[Pulsewatch] ${s.title}`, text: lines.join('\n') };
}

/**
 * E-mail over SMTP (nodemailer), one connection per message. A refusal with a 5xx reply code
 * (unknown mailbox, authentication) is permanent; a 4xx reply, a timeout or a connection that
 * fails can succeed later.
 */
export class EmailChannel implements DeliveryChannel {
  readonly name = 'email';
  private readonly transport: Transporter;

  constructor(private readonly o: EmailChannelOptions) {
    this.transport = nodemailer.createTransport({
      url: o.url,
      connectionTimeout: o.timeoutMs,
      greetingTimeout: o.timeoutMs,
      socketTimeout: o.timeoutMs,
    } as nodemailer.TransportOptions);
  }

  async send(d: Delivery): Promise<void> {
    const target = d.subscription.target as EmailTarget;
    const { subject, text } = emailMessage(d);
    try {
      await this.transport.sendMail({
        from: this.o.from,
        to: target.to,
        subject,
        text,
        // The same for every attempt: mail clients and filters can de-duplicate by it.
        messageId: `<${d.id}@pulsewatch>`,
        headers: {
          [WebhookHeaders.alertId]: d.alert.id,
          [WebhookHeaders.delivery]: d.id,
          [WebhookHeaders.event]: `alert.${d.notification}`,
        },
      });
    } catch (err) {
      const e = err as Error & { responseCode?: number; code?: string };
      const permanent = e.responseCode !== undefined && e.responseCode >= 500;
      throw new DeliveryError(`SMTP: ${e.message}`, { retryable: !permanent, cause: err });
    }
  }

  close(): void {
    this.transport.close();
  }
}
