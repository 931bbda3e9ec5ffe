import { z } from 'zod';
import { CascadeError } from '../errors.ts';
import type { SubscriptionAdmin } from '../replay/index.ts';
import type { ApiContext } from './api-context.ts';
import { defineRoute, type Route } from './router.ts';
import {
  createSnapshotBody,
  errorSchema,
  noQuery,
  seekBody,
  seekResultSchema,
  snapshotParams,
  snapshotSchema,
  subscriptionParams,
} from './schemas.ts';

const idOf = (name: string) => name.slice(name.lastIndexOf('/') + 1);
const projectOf = (name: string) => name.split('/')[1] ?? '';

/**
 * Seek and snapshots of the configured subscriptions only: the API never
 * touches a subscription it was not told about.
 */
export function subscriptionRoutes(ctx: ApiContext): Route[] {
  const admin = (): SubscriptionAdmin => {
    if (!ctx.admin) {
      throw new CascadeError('UNAVAILABLE', 'Pub/Sub is not configured for this deployment', {
        retryable: false,
      });
    }
    return ctx.admin;
  };
  const configured = (id: string): string => {
    const name = ctx.subscriptions.find((s) => idOf(s) === id);
    if (!name) {
      throw new CascadeError('NOT_FOUND', `subscription ${id} is not one Cascade manages`, {
        retryable: false,
        details: { subscription: id, configured: ctx.subscriptions.map(idOf) },
      });
    }
    return name;
  };
  const projects = () => new Set(ctx.subscriptions.map(projectOf));
  const snapshotView = (s: { name: string; topic: string; expireTime: Date }) => ({
    name: s.name,
    topic: s.topic,
    expireTime: s.expireTime.toISOString(),
  });

  return [
    defineRoute({
      method: 'POST',
      path: '/v1/subscriptions/{subscription}:seek',
      operationId: 'seekSubscription',
      summary:
        'Seeks a configured subscription to a snapshot or a time. A time older than the ' +
        "subscription's retention is refused with the equivalent archive replay (a POST /v1/replays body).",
      params: subscriptionParams,
      query: noQuery,
      body: seekBody,
      responses: {
        200: { description: 'Seeked', schema: seekResultSchema },
        400: {
          description:
            'Invalid body, or a time Pub/Sub no longer retains (details.equivalentReplay)',
          schema: errorSchema,
        },
        404: {
          description: 'Not a configured subscription, or no such snapshot',
          schema: errorSchema,
        },
      },
      async handle({ params, body }) {
        const name = configured(params.subscription);
        const info = await admin().describe(name);
        if ('snapshot' in body) {
          const snapshot = `projects/${projectOf(name)}/snapshots/${body.snapshot}`;
          await admin().seekToSnapshot(name, snapshot);
          return {
            status: 200,
            body: {
              subscription: name,
              seekedTo: { snapshot },
              retainAckedMessages: info.retainAckedMessages,
            },
          };
        }
        const time = Date.parse(body.time);
        const now = ctx.clock();
        const oldest = now - info.retentionMs;
        if (time < oldest) {
          const stream = ctx.catalog.streams.find((s) => s.subscription === name);
          throw new CascadeError(
            'INVALID_ARGUMENT',
            `Pub/Sub retains messages of ${idOf(name)} only since ${new Date(oldest).toISOString()} ` +
              `(${Math.round(info.retentionMs / 3_600_000)} h); ${body.time} is older. ` +
              (stream
                ? `The archive has it: POST /v1/replays with details.equivalentReplay republishes that range into the subscription's topic (every subscription of that topic receives it).`
                : 'No Cascade stream archives this subscription.'),
            {
              retryable: false,
              details: {
                subscription: name,
                retainedSince: new Date(oldest).toISOString(),
                ...(stream
                  ? {
                      equivalentReplay: {
                        stream: stream.name,
                        from: { time: body.time },
                        to: { time: new Date(now).toISOString() },
                        topic: info.topic,
                      },
                    }
                  : {}),
              },
            },
          );
        }
        await admin().seekToTime(name, new Date(time));
        return {
          status: 200,
          body: {
            subscription: name,
            seekedTo: { time: new Date(time).toISOString() },
            retainAckedMessages: info.retainAckedMessages,
          },
        };
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/v1/snapshots',
      operationId: 'listSnapshots',
      summary: 'Snapshots of the configured subscriptions’ topics.',
      query: noQuery,
      responses: {
        200: { description: 'Snapshots', schema: z.object({ snapshots: z.array(snapshotSchema) }) },
      },
      async handle() {
        const inProjects = projects();
        const topics = new Set<string>();
        for (const name of ctx.subscriptions) {
          try {
            topics.add((await admin().describe(name)).topic);
          } catch {
            // A subscription that vanished has no snapshots to show.
          }
        }
        const all = await admin().listSnapshots();
        const snapshots = all
          .filter((s) => inProjects.has(projectOf(s.name)) && topics.has(s.topic))
          .map(snapshotView);
        return { status: 200, body: { snapshots } };
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/v1/snapshots',
      operationId: 'createSnapshot',
      summary:
        'Creates a snapshot of a configured subscription (Pub/Sub refuses when its backlog expires within the hour).',
      query: noQuery,
      body: createSnapshotBody,
      responses: {
        201: { description: 'Created', schema: snapshotSchema },
        404: { description: 'Not a configured subscription', schema: errorSchema },
        409: { description: 'Exists already, or too little time left', schema: errorSchema },
      },
      async handle({ body }) {
        const name = configured(body.subscription);
        const id =
          body.snapshot ??
          `manual-${idOf(name).slice(0, 200)}-${new Date(ctx.clock()).toISOString().replace(/[-:.]/g, '').toLowerCase()}`;
        const created = await admin().createSnapshot(
          `projects/${projectOf(name)}/snapshots/${id}`,
          name,
        );
        return { status: 201, body: snapshotView(created) };
      },
    }),
    defineRoute({
      method: 'DELETE',
      path: '/v1/snapshots/{snapshot}',
      operationId: 'deleteSnapshot',
      summary: 'Deletes a snapshot of a configured subscription’s project.',
      params: snapshotParams,
      query: noQuery,
      responses: {
        200: { description: 'Deleted', schema: z.object({ deleted: z.string() }) },
        404: { description: 'No such snapshot', schema: errorSchema },
      },
      async handle({ params }) {
        const [project] = [...projects()];
        if (project === undefined) {
          throw new CascadeError('NOT_FOUND', 'no subscriptions are configured', {
            retryable: false,
          });
        }
        const name = `projects/${project}/snapshots/${params.snapshot}`;
        await admin().deleteSnapshot(name);
        return { status: 200, body: { deleted: name } };
      },
    }),
  ];
}
