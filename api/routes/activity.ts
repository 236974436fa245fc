import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { ACTIVITY_TABLE, HOURS_PER_WEEK, PipelineError, type Store } from '../../stream/index.js';
import type { BrandDirectory } from '../brands.js';
import { ErrorReply } from './brands.js';

export interface ActivityRoutesOptions {
  brands: BrandDirectory;
  store: Store;
}

const DAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'] as const;

const Hour = Type.Object({
  hour: Type.Integer({
    description: 'Hour of the week, UTC: 0 = Monday 00:00-01:00 … 167 = Sunday 23:00-24:00',
  }),
  day: Type.String({ description: 'Mon … Sun' }),
  hour_of_day: Type.Integer({ description: '0 … 23, UTC' }),
  posts: Type.Integer(),
  negative: Type.Integer(),
  engagement: Type.Integer({ description: 'Likes, shares and replies of the posts, added up' }),
  engagement_per_post: Type.Union([Type.Number(), Type.Null()]),
});

/** The `activity` operator's results: when a brand's audience posts and engages, by hour of the week. */
export const activityRoutes: FastifyPluginAsyncTypebox<ActivityRoutesOptions> = async (app, o) => {
  app.get(
    '/v1/brands/:brand/activity',
    {
      config: { scope: 'read' },
      schema: {
        summary: 'Posts, negative posts and engagement of one brand by hour of the week (UTC), all time',
        tags: ['brands'],
        params: Type.Object({ brand: Type.String({ description: 'Brand id or name', maxLength: 200 }) }),
        response: {
          200: Type.Object({ brand: Type.String(), name: Type.String(), hours: Type.Array(Hour) }),
          404: ErrorReply,
        },
      },
    },
    async (req) => {
      const brand = o.brands.find(req.params.brand);
      if (!brand)
        throw new PipelineError('UNKNOWN_BRAND', `unknown brand "${req.params.brand}"; see GET /v1/brands`);
      const hours = Array.from({ length: HOURS_PER_WEEK }, (_, hour) => ({
        hour,
        day: DAYS[Math.floor(hour / 24)]!,
        hour_of_day: hour % 24,
        posts: 0,
        negative: 0,
        engagement: 0,
        engagement_per_post: null as number | null,
      }));
      // One row per partition and hour: the partitions add up.
      for (const r of await o.store.read(ACTIVITY_TABLE, { brand: brand.name })) {
        const h = hours[r.hour];
        if (!h) continue;
        h.posts += r.posts;
        h.negative += r.negative;
        h.engagement += r.engagement;
      }
      for (const h of hours) h.engagement_per_post = h.posts > 0 ? h.engagement / h.posts : null;
      return { brand: brand.id, name: brand.name, hours };
    },
  );
};
