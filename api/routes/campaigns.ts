import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import {
  CampaignService,
  campaignRoi,
  CAMPAIGN_WINDOWS_TABLE,
  PipelineError,
  type CampaignInput,
  type Store,
} from '../../stream/index.js';
import { POLICY_NAMES } from '../../engines/bandits/index.js';
import { timeParam } from './alerts.js';
import { ErrorReply, TimeParam } from './brands.js';
import { codeOf } from '../errors.js';
import type { Metrics } from '../plugins/metrics.js';

export interface CampaignRoutesOptions {
  campaigns: CampaignService;
  /** Where stage 2 writes the campaign windows (for ROI); no ROI route without it. */
  store?: Store;
  now?: () => number;
  /** Decide latency and reward outcomes are counted here. */
  metrics?: Metrics;
}

/** The outcome label of a failed call: its error code (a bounded set). */
function outcomeOf(err: unknown): string {
  return err instanceof Error ? codeOf(err) : 'INTERNAL';
}

const Id = Type.String({
  pattern: '^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$',
  description: 'Letters, digits and . _ : -',
});
const Costs = Type.Object(
  {
    per_impression: Type.Optional(Type.Number({ minimum: 0 })),
    per_click: Type.Optional(Type.Number({ minimum: 0 })),
    per_conversion: Type.Optional(Type.Number({ minimum: 0 })),
    budget: Type.Optional(
      Type.Number({ minimum: 0, description: 'Fixed cost, spread over the arms by impressions' }),
    ),
  },
  { additionalProperties: false, description: 'Each from 0 to 1e15 (400 INVALID_CAMPAIGN beyond)' },
);
const DefaultReward = Type.Object(
  {
    value: Type.Number({ description: 'The reward a decision gets when none came in time' }),
    after_ms: Type.Integer({ minimum: 1, description: 'ms after the decision; later rewards get 410' }),
  },
  { additionalProperties: false },
);

const definitionFields = {
  arms: Type.Array(Id, {
    minItems: 1,
    maxItems: 100,
    description: 'Live arms; on PUT, arms left out are retired',
  }),
  policy: Type.Optional(Type.String({ description: `One of ${POLICY_NAMES.join(', ')}; default thompson` })),
  policy_options: Type.Optional(
    Type.Record(Type.String(), Type.Unknown(), {
      description:
        "See README → Campaigns. On PUT, left out: the current ones while the policy stays, else the new policy's defaults",
    }),
  ),
  reward: Type.Optional(
    Type.Union([Type.Literal('binary'), Type.Literal('continuous')], {
      description:
        'binary: values 0 to 1 (clicks, conversions); continuous: any finite number. Default binary',
    }),
  ),
  default_reward: Type.Optional(Type.Union([DefaultReward, Type.Null()])),
  decision_ttl_ms: Type.Optional(
    Type.Integer({
      minimum: 1,
      description: 'Without a default reward: how long a decision takes rewards (default 1 day)',
    }),
  ),
  reward_on: Type.Optional(
    Type.Union([Type.Literal('click'), Type.Literal('conversion')], {
      description: 'Binary campaigns: the stream feedback kind that rewards a decision (default click)',
    }),
  ),
  costs: Type.Optional(Costs),
  arm_costs: Type.Optional(Type.Record(Type.String(), Costs)),
  arm_features: Type.Optional(Type.Record(Type.String(), Type.Record(Type.String(), Type.Number()))),
};

const CreateBody = Type.Object({ id: Id, ...definitionFields }, { additionalProperties: false });
const UpdateBody = Type.Object(
  { id: Type.Optional(Id), ...definitionFields },
  { additionalProperties: false },
);

const CampaignSchema = Type.Object({
  id: Type.String(),
  arms: Type.Array(Type.String()),
  retired: Type.Array(Type.String()),
  policy: Type.String(),
  policy_options: Type.Record(Type.String(), Type.Unknown()),
  reward: Type.String(),
  default_reward: Type.Optional(DefaultReward),
  decision_ttl_ms: Type.Integer(),
  reward_on: Type.Optional(Type.String()),
  costs: Type.Optional(Costs),
  arm_costs: Type.Optional(Type.Record(Type.String(), Costs)),
  arm_features: Type.Optional(Type.Record(Type.String(), Type.Record(Type.String(), Type.Number()))),
  created_at: Type.Integer(),
  updated_at: Type.Integer(),
});

const ArmSummarySchema = Type.Object({
  arm: Type.String(),
  pulls: Type.Integer({ description: 'Decisions that chose the arm (and impressions from the stream)' }),
  observations: Type.Integer({ description: 'Rewards received, default rewards included' }),
  reward_sum: Type.Number(),
  mean: Type.Number(),
  interval: Type.Array(Type.Number(), { minItems: 2, maxItems: 2, description: '95% interval of the mean' }),
  share: Type.Number({ description: "The arm's share of the campaign's pulls" }),
  retired: Type.Boolean(),
});

const SummarySchema = Type.Object({
  id: Type.String(),
  policy: Type.String(),
  reward: Type.String(),
  pulls: Type.Integer(),
  observations: Type.Integer(),
  leader: Type.Union([Type.String(), Type.Null()]),
  arms: Type.Array(ArmSummarySchema),
  campaign: CampaignSchema,
});

const DecideBody = Type.Object(
  {
    context: Type.Optional(
      Type.Record(Type.String(), Type.Unknown(), {
        description: 'Strings, numbers and booleans; `segment` selects the segment of contextual policies',
      }),
    ),
    user: Type.Optional(Type.String({ maxLength: 200 })),
  },
  { additionalProperties: false },
);

const DecisionSchema = Type.Object({
  decision_id: Type.String(),
  arm: Type.String(),
  ranking: Type.Array(Type.Object({ arm: Type.String(), score: Type.Number() })),
});

const RewardBody = Type.Object(
  { decision_id: Type.String({ minLength: 1, maxLength: 200 }), value: Type.Number() },
  { additionalProperties: false },
);

const IdParams = Type.Object({ id: Type.String({ maxLength: 200 }) });

const RoiArm = Type.Object({
  arm: Type.String(),
  impressions: Type.Integer(),
  clicks: Type.Integer(),
  conversions: Type.Integer(),
  cost: Type.Number(),
  revenue: Type.Number(),
  roi: Type.Union([Type.Number(), Type.Null()], {
    description: '(revenue − cost) / cost; null without cost',
  }),
  cost_per_conversion: Type.Union([Type.Number(), Type.Null()]),
  predicted_roi: Type.Union([Type.Number(), Type.Null()]),
});
const RoiSchema = Type.Object({
  campaign: Type.String(),
  from: Type.Integer(),
  to: Type.Integer(),
  window_ms: Type.Union([Type.Integer(), Type.Null()]),
  arms: Type.Array(RoiArm),
  windows: Type.Array(
    Type.Object({
      arm: Type.String(),
      start: Type.Integer(),
      impressions: Type.Integer(),
      clicks: Type.Integer(),
      conversions: Type.Integer(),
      cost: Type.Number(),
      revenue: Type.Number(),
      roi: Type.Union([Type.Number(), Type.Null()]),
      cost_per_conversion: Type.Union([Type.Number(), Type.Null()]),
    }),
  ),
  model: Type.Object({
    kind: Type.String(),
    features: Type.Array(Type.String()),
    weights: Type.Array(Type.Number()),
    n: Type.Integer({ description: 'Windows it learned from' }),
    rmse: Type.Union([Type.Number(), Type.Null()], {
      description: 'Prequential error: each window predicted before it was learned',
    }),
    mae: Type.Union([Type.Number(), Type.Null()]),
  }),
});

/**
 * Campaign decisions: definitions, decide and reward (scope `decide`, as campaign systems call
 * them), statistics and ROI (scope `read`).
 */
export const campaignRoutes: FastifyPluginAsyncTypebox<CampaignRoutesOptions> = async (app, o) => {
  const service = o.campaigns;
  const tags = ['campaigns'];
  // A decide may come without a body, or with an empty JSON body: both mean no context.
  const json = app.getDefaultJsonParser('error', 'ignore');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    if (body === '' || (typeof body === 'string' && body.trim() === '')) return done(null, undefined);
    json(req, body as string, done);
  });
  app.addHook('preValidation', async (req) => {
    if (req.body === undefined || req.body === null) req.body = {};
  });

  app.post(
    '/v1/campaigns',
    {
      config: { scope: 'decide' },
      schema: {
        tags,
        summary: 'Create a campaign',
        body: CreateBody,
        response: { 201: CampaignSchema, 400: ErrorReply, 409: ErrorReply },
      },
    },
    async (req, reply) =>
      reply.code(201).send(await service.create(req.body as CampaignInput & { id: string })),
  );

  app.put(
    '/v1/campaigns/:id',
    {
      config: { scope: 'decide' },
      schema: {
        tags,
        summary: 'Update a campaign: arms added or retired, policy, options, costs (statistics stay)',
        description:
          'arms is required; every other field left out keeps its current value (default_reward null removes it), policy_options too unless the policy changes',
        params: IdParams,
        body: UpdateBody,
        response: { 200: CampaignSchema, 400: ErrorReply, 404: ErrorReply },
      },
    },
    async (req) => service.update(req.params.id, req.body as CampaignInput),
  );

  app.get(
    '/v1/campaigns',
    {
      config: { scope: 'read' },
      schema: {
        tags,
        summary: 'Every campaign',
        response: { 200: Type.Object({ campaigns: Type.Array(CampaignSchema) }) },
      },
    },
    async () => ({ campaigns: await service.list() }),
  );

  app.get(
    '/v1/campaigns/:id',
    {
      config: { scope: 'read' },
      schema: {
        tags,
        summary: 'A campaign with its arms: pulls, reward sum, mean, interval and share',
        params: IdParams,
        response: { 200: SummarySchema, 404: ErrorReply },
      },
    },
    async (req) => {
      const [summary, campaign] = await Promise.all([
        service.summary(req.params.id),
        service.get(req.params.id),
      ]);
      return { ...summary, campaign };
    },
  );

  // The hot paths log only warnings and errors: two request lines per decision would cost more than it.
  app.post(
    '/v1/campaigns/:id/decide',
    {
      config: { scope: 'decide' },
      logLevel: 'warn',
      schema: {
        tags,
        summary: 'Choose an arm: the decision id, the arm and every arm ranked',
        params: IdParams,
        body: DecideBody,
        response: { 200: DecisionSchema, 400: ErrorReply, 404: ErrorReply },
      },
    },
    async (req) => {
      const started = performance.now();
      let outcome = 'ok';
      try {
        return await service.decide(req.params.id, req.body);
      } catch (err) {
        outcome = outcomeOf(err);
        throw err;
      } finally {
        o.metrics?.campaignDecideSeconds.observe({ outcome }, (performance.now() - started) / 1000);
      }
    },
  );

  app.post(
    '/v1/campaigns/:id/reward',
    {
      config: { scope: 'decide' },
      logLevel: 'warn',
      schema: {
        tags,
        summary: 'Report the reward of a decision (applied once per decision)',
        params: IdParams,
        body: RewardBody,
        response: {
          202: Type.Object({ status: Type.Union([Type.Literal('applied'), Type.Literal('duplicate')]) }),
          400: ErrorReply,
          404: ErrorReply,
          410: ErrorReply,
        },
      },
    },
    async (req, reply) => {
      let status: 'applied' | 'duplicate';
      try {
        status = await service.reward(req.params.id, req.body.decision_id, req.body.value);
      } catch (err) {
        o.metrics?.campaignRewards.inc({ outcome: outcomeOf(err) });
        throw err;
      }
      o.metrics?.campaignRewards.inc({ outcome: status });
      return reply.code(202).send({ status });
    },
  );

  const store = o.store;
  if (!store) return;
  app.get(
    '/v1/campaigns/:id/roi',
    {
      config: { scope: 'read' },
      schema: {
        tags,
        summary: 'Cost, revenue, ROI and cost per conversion per arm and window, with a model of ROI per arm',
        params: IdParams,
        querystring: Type.Object({ from: Type.Optional(TimeParam), to: Type.Optional(TimeParam) }),
        response: { 200: RoiSchema, 400: ErrorReply, 404: ErrorReply },
      },
    },
    async (req) => {
      const campaign = await service.get(req.params.id);
      const now = (o.now ?? Date.now)();
      const from = timeParam(req.query.from) ?? 0;
      const to = timeParam(req.query.to) ?? now + 1;
      if (from >= to) throw new PipelineError('INVALID_RANGE', 'from must be before to');
      const rows = await store.read(CAMPAIGN_WINDOWS_TABLE, { campaign: campaign.id });
      return campaignRoi(campaign, rows, from, to);
    },
  );
};
