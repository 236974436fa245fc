import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';

/** OpenAPI document at /docs/json and an explorer at /docs, served from the package (no CDN). */
export const openapiPlugin = fp(async (app: FastifyInstance, o: { version: string }) => {
  await app.register(swagger, {
    openapi: {
      info: {
        title: 'Pulsewatch API',
        version: o.version,
        description:
          'Live brand sentiment and volume. Errors are `{"error":{"code","message","retryable"}}` with the codes listed in the README.',
      },
      tags: [
        { name: 'brands', description: 'Brands and their window aggregates' },
        { name: 'ingest', description: 'Event ingest' },
        { name: 'alerts', description: 'Spike alerts, their subscriptions and manual actions' },
        {
          name: 'analytics',
          description: 'Topics, trends, share of voice, influencers, audience segments and best times',
        },
        { name: 'ops', description: 'Health and metrics' },
      ],
      components: {
        securitySchemes: {
          bearer: {
            type: 'http',
            scheme: 'bearer',
            description: 'An API key: `Authorization: Bearer <key>`',
          },
          apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
        },
      },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
});
