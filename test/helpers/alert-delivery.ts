import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Test } from 'tap';
import { AlertHub, BrandDirectory } from '../../api/index.js';
import { DeliveryEvents, Notifier, type NotifierOptions } from '../../api/alerts/index.js';
import {
  MemoryAlertStateStore,
  type AlertActions,
  type AlertRecord,
  type AlertSubscription,
  type Bus,
} from '../../stream/index.js';

let n = 0;

/** An alert as stage 2 publishes it: Northwind Coffee's negative share, opened, medium. */
export function alertRecord(over: Partial<AlertRecord> = {}): AlertRecord {
  return {
    id: 'northwind-coffee:negative_share:1795480000000',
    brand: 'Northwind Coffee',
    kind: 'negative_share',
    state: 'open',
    update: 0,
    severity: 'medium',
    opened_at: 1_795_480_000_000,
    updated_at: 1_795_480_120_000,
    resolved_at: null,
    window_ms: 60_000,
    observed: 0.42,
    baseline: 0.1,
    peak: 0.42,
    score: 6.3,
    posts: 240,
    negative: 101,
    top_terms: ['cold', 'refund', 'burnt'],
    samples: [{ id: 'p1', source: 'synthetic', ts: 1_795_480_050_000, text: 'Burnt coffee <again> & cold' }],
    ...over,
  };
}

export function subscriptionOf(over: Partial<AlertSubscription> = {}): AlertSubscription {
  n++;
  return {
    id: `sub_test_${n}`,
    brands: [],
    kinds: [],
    min_severity: 'low',
    target: { type: 'webhook', url: 'http://127.0.0.1:9/unused', secret: 'whsec-0123456789abcdef' },
    notify_resolved: false,
    created_at: n,
    ...over,
  };
}

/** Dead letters as DeadLetters.send gets them. */
export interface SentLetter {
  stage: string;
  reason: string;
  detail: string;
  payload: Record<string, unknown>;
  source: string;
  msgId: string | undefined;
}

export function recordingDeadLetters(): { send: NotifierOptions['deadLetters']['send']; sent: SentLetter[] } {
  const sent: SentLetter[] = [];
  return {
    sent,
    send: async (stage, reason, detail, payload, source = 'unknown', msgId) => {
      sent.push({ stage, reason, detail, payload: JSON.parse(String(payload)), source, msgId });
    },
  };
}

/** A notifier on an in-memory store, with small retry waits. */
export function testNotifier(t: Test, over: Partial<NotifierOptions> = {}) {
  const store = new MemoryAlertStateStore();
  const deadLetters = recordingDeadLetters();
  const events = new DeliveryEvents();
  const notifier = new Notifier({
    store,
    channels: {},
    deadLetters,
    events,
    maxAttempts: 3,
    retryInitialMs: 5,
    retryMaxMs: 20,
    concurrency: 4,
    maxQueued: 100,
    cooldownMs: 60_000,
    ...over,
  });
  t.teardown(() => notifier.stop(0));
  return { store: (over.store as MemoryAlertStateStore | undefined) ?? store, deadLetters, events, notifier };
}

export interface ReceivedRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/**
 * A local HTTP receiver on 127.0.0.1 whose answer to each request `respond` decides (it may leave
 * a request hanging); every request is recorded.
 */
export async function receiver(
  t: Test,
  respond: (req: ReceivedRequest, res: ServerResponse, index: number) => void,
): Promise<{ url: string; requests: ReceivedRequest[] }> {
  const requests: ReceivedRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r = {
        method: req.method!,
        url: req.url!,
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
      };
      requests.push(r);
      respond(r, res, requests.length - 1);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, requests };
}

/** A loopback port that was free a moment ago: nothing listens there, so connecting is refused. */
export async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as AddressInfo).port;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/** A local SMTP server on 127.0.0.1 that keeps the messages it accepts. */
export async function smtpServer(t: Test, over: Partial<SMTPServerOptions> = {}) {
  const messages: { from: string; to: string[]; raw: string }[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, done) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        messages.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString(),
        });
        done();
      });
    },
    ...over,
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { url: `smtp://127.0.0.1:${(server.server.address() as AddressInfo).port}`, messages };
}

/**
 * Two API processes' alert hubs on `busA` and `busB` (one bus, or two connections to one server):
 * an acknowledge and a resolve done through A reach the pages connected to B, each pushed once.
 */
export async function actionsReachEveryHub(t: Test, busA: Bus, busB: Bus): Promise<void> {
  const brands = new BrandDirectory([{ name: 'Northwind Coffee' }]);
  const a = new AlertHub({ bus: busA, brands });
  const b = new AlertHub({ bus: busB, brands });
  a.start();
  b.start();
  t.teardown(() => {
    a.stop();
    b.stop();
  });
  const alert = alertRecord({ id: `northwind-coffee:negative_share:${Date.now()}-${randomUUID()}` });
  a.apply(alert);
  b.apply(alert);
  const onB: AlertRecord[] = [];
  b.onAlert((x) => onB.push(x));
  const onA: AlertRecord[] = [];
  a.onAlert((x) => onA.push(x));
  // told again until B has it: B's subscription may not be registered with the server yet (the
  // same actions told again are pushed once, on A and on B)
  const tell = async (actions: AlertActions, n: number) => {
    for (const end = Date.now() + 10_000; onB.length < n; await new Promise((r) => setTimeout(r, 100))) {
      if (Date.now() > end) throw new Error(`timed out: ${onB.length} of ${n} pushes on B`);
      a.act(alert.id, actions);
    }
  };
  await tell({ acked_at: 5, acked_by: 'ops' }, 1);
  t.match(onB[0], { id: alert.id, acked_at: 5, acked_by: 'ops' }, 'B pushes the acknowledge done through A');
  await tell({ acked_at: 5, acked_by: 'ops', resolved_at: 9, resolved_by: 'live page' }, 2);
  t.match(onB[1], { acked_by: 'ops', resolved_by_hand_at: 9, resolved_by: 'live page' }, 'and the resolve');
  t.match(b.snapshot('alerts'), [{ id: alert.id, resolved_by: 'live page' }], 'in B’s snapshots too');
  await new Promise((r) => setTimeout(r, 300)); // what the bus still brings back
  t.equal(onA.length, 2, 'A pushed each action once, although the bus brings them back to it');
  t.equal(onB.length, 2, 'and B too');
}
