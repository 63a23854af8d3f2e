import type { JobCounts } from '../db/index.ts';
import { builder } from './builder.ts';
import type { ServerServices } from './context.ts';
import { EngineStateEnum } from './engine.ts';
import { QueueCountsRef } from './queue-counts.ts';

export interface HealthReport {
  status: 'ok' | 'degraded';
  version: string;
  uptimeS: number;
  engine: 'STARTING' | 'READY' | 'FAILED';
  queue: JobCounts;
}

/** Shared by the `health` query and `GET /health`. */
export function healthReport(services: ServerServices): HealthReport {
  const engine = services.engine().state;
  return {
    status: engine === 'FAILED' ? 'degraded' : 'ok',
    version: services.version,
    uptimeS: Math.round((Date.now() - services.startedAt) / 1000),
    engine,
    queue: services.repos.jobs.counts(),
  };
}

const HealthRef = builder.objectRef<HealthReport>('Health').implement({
  fields: (t) => ({
    status: t.exposeString('status', { description: '"ok", or "degraded" when the engine could not start.' }),
    version: t.exposeString('version'),
    uptimeS: t.exposeInt('uptimeS'),
    engine: t.field({ type: EngineStateEnum, resolve: (h) => h.engine }),
    queue: t.field({ type: QueueCountsRef, resolve: (h) => h.queue }),
  }),
});

builder.queryFields((t) => ({
  health: t.field({ type: HealthRef, resolve: (_root, _args, ctx) => healthReport(ctx.services) }),
}));
