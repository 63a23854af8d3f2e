import type { JobCounts } from '../db/index.ts';
import { builder } from './builder.ts';

export const QueueCountsRef = builder.objectRef<JobCounts>('QueueCounts').implement({
  description: 'How many jobs are in each status.',
  fields: (t) => ({
    queued: t.int({ resolve: (c) => c.QUEUED }),
    running: t.int({ resolve: (c) => c.RUNNING }),
    succeeded: t.int({ resolve: (c) => c.SUCCEEDED }),
    failed: t.int({ resolve: (c) => c.FAILED }),
    cancelled: t.int({ resolve: (c) => c.CANCELLED }),
  }),
});

builder.queryFields((t) => ({
  queue: t.field({ type: QueueCountsRef, resolve: (_root, _args, ctx) => ctx.services.repos.jobs.counts() }),
}));

builder.subscriptionFields((t) => ({
  queueChanged: t.field({
    type: QueueCountsRef,
    description: 'The current counts first, then each time they change.',
    subscribe: async function* (_root, _args, ctx) {
      const iterator = ctx.services.pubSub.subscribe('queueChanged')[Symbol.asyncIterator]();
      const pending = iterator.next();
      try {
        yield ctx.services.repos.jobs.counts();
        let next = await pending;
        while (!next.done) {
          yield next.value;
          next = await iterator.next();
        }
      } finally {
        await iterator.return?.();
      }
    },
    resolve: (counts) => counts,
  }),
}));
