import { randomBytes } from 'node:crypto';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type, type Static } from '@sinclair/typebox';
import {
  PipelineError,
  type AlertActions,
  type AlertStateStore,
  type AlertSubscription,
  type Severity as SeverityName,
  type SpikeKind,
  type SubscriptionTarget,
} from '../../stream/index.js';
import type { BrandDirectory } from '../brands.js';
import { Kind, Severity } from './alerts.js';
import { ErrorReply } from './brands.js';

export interface AlertSubscriptionRoutesOptions {
  store: AlertStateStore;
  brands: BrandDirectory;
  /** E-mail targets are accepted only when the server can send e-mail (`--smtp-url`). */
  emailEnabled: boolean;
  /** Subscriptions that may exist at once (`--alert-max-subscriptions`); default: no limit. */
  maxSubscriptions?: number;
  /**
   * Whether an alert with this id exists: with it, acknowledging or resolving another id gets
   * 404 UNKNOWN_ALERT; without it, any id is recorded (the alert may not be stored yet).
   */
  alertExists?: (id: string) => Promise<boolean>;
  /** Told after an acknowledge or resolve, e.g. to push the change to the live page. */
  onAction?: (alertId: string, actions: AlertActions) => void;
  now?: () => number;
}

/** Webhook secrets shorter than this are refused: they would be guessable. */
export const MIN_SECRET_LENGTH = 16;

// The schemas list the kinds and severities: a new one in the model fails to compile here.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const schemasCoverModel: [Same<Static<typeof Kind>, SpikeKind>, Same<Static<typeof Severity>, SeverityName>] =
  [true, true];
void schemasCoverModel;
const Format = Type.Union([Type.Literal('json'), Type.Literal('slack')]);

// No additionalProperties: false on the targets: Fastify's Ajv removes additional properties, and
// in a union it would strip the fields of one target while trying another.
const TargetBody = Type.Union([
  Type.Object({
    type: Type.Literal('webhook'),
    url: Type.String({
      maxLength: 2048,
      description: 'An http or https URL, without a user name or password; redirects are not followed',
    }),
    secret: Type.Optional(
      Type.String({
        maxLength: 256,
        description: `HMAC key of the signature, at least ${MIN_SECRET_LENGTH} characters; generated (and returned once) when absent`,
      }),
    ),
    format: Type.Optional(Format),
  }),
  Type.Object({
    type: Type.Literal('email'),
    to: Type.Array(Type.String({ maxLength: 254 }), { minItems: 1, maxItems: 50 }),
  }),
  Type.Object({ type: Type.Literal('websocket') }),
]);

const CreateBody = Type.Object(
  {
    brands: Type.Optional(
      Type.Array(Type.String({ maxLength: 200 }), {
        maxItems: 1000,
        description: 'Brand ids or names; empty or absent: every brand',
      }),
    ),
    kinds: Type.Optional(Type.Array(Kind, { maxItems: 3, description: 'Empty or absent: every kind' })),
    min_severity: Type.Optional(Severity),
    target: TargetBody,
    notify_resolved: Type.Optional(
      Type.Boolean({ description: 'Also notify when a notified alert resolves (default false)' }),
    ),
  },
  { additionalProperties: false },
);

const SubscriptionReply = Type.Object({
  id: Type.String(),
  brands: Type.Array(Type.String(), { description: 'Brand ids; empty: every brand' }),
  kinds: Type.Array(Kind),
  min_severity: Severity,
  target: Type.Union([
    Type.Object({
      type: Type.Literal('webhook'),
      url: Type.String({
        description:
          'Whole only in the reply to POST; elsewhere its origin and first path segment, the rest as …',
      }),
      format: Format,
      secret: Type.Optional(Type.String({ description: 'Only in the reply that created the subscription' })),
    }),
    Type.Object({ type: Type.Literal('email'), to: Type.Array(Type.String()) }),
    Type.Object({ type: Type.Literal('websocket') }),
  ]),
  notify_resolved: Type.Boolean(),
  created_at: Type.Integer({ description: 'ms since the epoch' }),
});

const ActionsReply = Type.Object({
  id: Type.String(),
  acked_at: Type.Optional(Type.Integer()),
  acked_by: Type.Optional(Type.String()),
  resolved_at: Type.Optional(Type.Integer()),
  resolved_by: Type.Optional(Type.String()),
});

const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 300 }) });
const ActionBody = Type.Object(
  {
    by: Type.Optional(
      Type.String({ minLength: 1, maxLength: 200, description: 'Default: the API key name' }),
    ),
  },
  { additionalProperties: false },
);

/** A pragmatic address check: one @, no spaces or brackets, a domain with a dot. */
const EMAIL =
  /^[^\s@<>()[\],;:"\\]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$/;

function invalidTarget(message: string): PipelineError {
  return new PipelineError('INVALID_TARGET', message);
}

/** The target as stored; a webhook without a secret gets a new one. */
function checkTarget(t: Static<typeof TargetBody>, emailEnabled: boolean): SubscriptionTarget {
  if (t.type === 'webhook') {
    let url: URL;
    try {
      url = new URL(t.url);
    } catch {
      throw invalidTarget(`target.url is not a URL: "${t.url.slice(0, 200)}"`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw invalidTarget(`target.url must be http or https, not ${url.protocol.replace(':', '')}`);
    if (url.username !== '' || url.password !== '')
      throw invalidTarget(
        'target.url must not hold a user name or password: requests to such a URL are refused; put a token in the path or query, and check the signature',
      );
    if (t.secret !== undefined && t.secret.length < MIN_SECRET_LENGTH)
      throw invalidTarget(`target.secret must have at least ${MIN_SECRET_LENGTH} characters`);
    const secret = t.secret ?? `whsec_${randomBytes(24).toString('base64url')}`;
    return { type: 'webhook', url: t.url, secret, format: t.format ?? 'json' };
  }
  if (t.type === 'email') {
    if (!emailEnabled) throw invalidTarget('e-mail delivery is off: the server has no --smtp-url');
    const bad = t.to.filter((a) => !EMAIL.test(a));
    if (bad.length > 0) throw invalidTarget(`not an e-mail address: ${bad.map((a) => `"${a}"`).join(', ')}`);
    return { type: 'email', to: [...new Set(t.to)] };
  }
  return { type: 'websocket' };
}

/**
 * A subscription as the API shows it: never the secret, and a webhook's URL without what may be a
 * credential (a Slack webhook's path is its key), except right after creating it.
 */
function view(s: AlertSubscription, withSecret = false): Static<typeof SubscriptionReply> {
  const t = s.target;
  return {
    ...s,
    target:
      t.type === 'webhook'
        ? {
            type: 'webhook',
            url: withSecret ? t.url : redactedUrl(t.url),
            format: t.format ?? 'json',
            ...(withSecret && { secret: t.secret }),
          }
        : t,
  };
}

/**
 * A webhook URL as lists show it: its origin and the first segment of its path, the rest and any
 * query as `…` (`https://hooks.slack.com/services/…`), enough to tell endpoints apart.
 */
export function redactedUrl(raw: string): string {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return '…';
  }
  const segments = u.pathname.split('/').filter((p) => p !== '');
  const path = segments.length <= 1 ? u.pathname : `/${segments[0]}/…`;
  return `${u.origin}${path}${u.search === '' ? '' : '?…'}`;
}

/**
 * Alert subscriptions (who is told about which alerts, and how) and manual actions on alerts.
 * Every route needs scope `admin`: a subscription holds a webhook secret and sends data out.
 */
export const alertSubscriptionRoutes: FastifyPluginAsyncTypebox<AlertSubscriptionRoutesOptions> = async (
  app,
  o,
) => {
  const now = o.now ?? Date.now;
  const tags = ['alerts'];

  app.post(
    '/v1/alerts/subscriptions',
    {
      config: { scope: 'admin' },
      schema: {
        summary: 'Subscribe a webhook, e-mail addresses or the live page to alerts',
        description:
          'Filters: brands (ids or names), kinds and a minimum severity. A webhook is signed with HMAC-SHA256 (see the README); its secret is returned in this reply only.',
        tags,
        body: CreateBody,
        response: { 201: SubscriptionReply, 400: ErrorReply, 409: ErrorReply },
      },
    },
    async (req, reply) => {
      const b = req.body;
      const unknown = (b.brands ?? []).filter((name) => !o.brands.find(name));
      if (unknown.length > 0)
        throw new PipelineError(
          'INVALID_BRAND',
          `unknown brand ${unknown.map((n) => `"${n}"`).join(', ')}; see GET /v1/brands`,
        );
      const s: AlertSubscription = {
        id: `sub_${randomBytes(12).toString('hex')}`,
        brands: [...new Set((b.brands ?? []).map((name) => o.brands.find(name)!.id))],
        kinds: [...new Set(b.kinds ?? [])],
        min_severity: b.min_severity ?? 'low',
        target: checkTarget(b.target, o.emailEnabled),
        notify_resolved: b.notify_resolved ?? false,
        created_at: now(),
      };
      const created = await o.store.createSubscription(s, o.maxSubscriptions);
      if (created === 'full')
        throw new PipelineError(
          'SUBSCRIPTION_LIMIT',
          `there are ${o.maxSubscriptions} alert subscriptions, as many as --alert-max-subscriptions allows; delete one first`,
        );
      if (created === 'taken') throw new PipelineError('INTERNAL', 'subscription id collision');
      return reply.code(201).header('location', `/v1/alerts/subscriptions/${s.id}`).send(view(s, true));
    },
  );

  app.get(
    '/v1/alerts/subscriptions',
    {
      config: { scope: 'admin' },
      schema: {
        summary: 'Every alert subscription, oldest first',
        tags,
        response: { 200: Type.Object({ subscriptions: Type.Array(SubscriptionReply) }) },
      },
    },
    async () => ({ subscriptions: (await o.store.listSubscriptions()).map((s) => view(s)) }),
  );

  app.get(
    '/v1/alerts/subscriptions/:id',
    {
      config: { scope: 'admin' },
      schema: {
        summary: 'One alert subscription',
        tags,
        params: IdParams,
        response: { 200: SubscriptionReply, 404: ErrorReply },
      },
    },
    async (req) => {
      const s = await o.store.getSubscription(req.params.id);
      if (!s) throw new PipelineError('UNKNOWN_SUBSCRIPTION', `no alert subscription "${req.params.id}"`);
      return view(s);
    },
  );

  app.delete(
    '/v1/alerts/subscriptions/:id',
    {
      config: { scope: 'admin' },
      schema: {
        summary: 'Remove an alert subscription; deliveries already queued still go out',
        tags,
        params: IdParams,
        response: { 204: Type.Null(), 404: ErrorReply },
      },
    },
    async (req, reply) => {
      if (!(await o.store.deleteSubscription(req.params.id)))
        throw new PipelineError('UNKNOWN_SUBSCRIPTION', `no alert subscription "${req.params.id}"`);
      return reply.code(204).send(null);
    },
  );

  for (const action of ['ack', 'resolve'] as const)
    app.post(
      `/v1/alerts/:id/${action}`,
      {
        config: { scope: 'admin' },
        // the body is optional: none is `{}`
        preValidation: async (req) => {
          req.body ??= {};
        },
        schema: {
          summary:
            action === 'ack'
              ? 'Acknowledge an alert (the first acknowledge is kept)'
              : 'Resolve an alert by hand: no more notifications of it (the first resolve is kept)',
          tags,
          params: IdParams,
          body: ActionBody,
          response: { 200: ActionsReply, 400: ErrorReply, 404: ErrorReply },
        },
      },
      async (req) => {
        const id = req.params.id;
        if (o.alertExists && !(await o.alertExists(id)))
          throw new PipelineError('UNKNOWN_ALERT', `no alert "${id}"; see GET /v1/alerts`);
        const by = req.body.by ?? req.apiKey?.name ?? 'anonymous';
        const actions = action === 'ack' ? await o.store.ack(id, by) : await o.store.resolve(id, by);
        o.onAction?.(id, actions);
        return { id, ...actions };
      },
    );
};
