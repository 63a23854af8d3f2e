import { builder } from './builder.ts';
import { notFound } from './errors.ts';
import { parseGlobalId, parseNodeId } from './ids.ts';
import { byIds } from './jobs.ts';
import { pageNewestFirst } from './paging.ts';
import { BatchRef, ImageRef, iso } from './refs.ts';

builder.node(BatchRef, {
  description: 'A themed set generated as one batch of jobs.',
  id: { resolve: (batch) => batch.id, parse: parseNodeId },
  loadMany: (ids, ctx) => byIds(ids, ctx.services.repos.batches.getMany(ids)),
  fields: (t) => ({
    setId: t.exposeString('setId'),
    theme: t.exposeString('theme'),
    seed: t.exposeString('seed'),
    directory: t.exposeString('directory', { description: 'Folder of its images, relative to the output directory.' }),
    totalJobs: t.exposeInt('totalJobs'),
    succeededJobs: t.exposeInt('succeededJobs'),
    failedJobs: t.exposeInt('failedJobs'),
    cancelledJobs: t.exposeInt('cancelledJobs'),
    finished: t.boolean({ resolve: (b) => b.succeededJobs + b.failedJobs + b.cancelledJobs >= b.totalJobs }),
    createdAt: t.string({ resolve: (b) => iso(b.createdAt)! }),
    images: t.connection({
      type: ImageRef,
      resolve: (batch, args, ctx) =>
        pageNewestFirst(args, (window) => ctx.services.repos.images.page({ batchId: batch.id }, window), () => ctx.services.repos.images.count({ batchId: batch.id })),
    }, { name: 'BatchImageConnection' }, { name: 'BatchImageEdge' }),
  }),
});

builder.queryFields((t) => ({
  batches: t.connection({
    type: BatchRef,
    description: 'Batches, newest first.',
    resolve: (_root, args, ctx) => pageNewestFirst(args, (window) => ctx.services.repos.batches.page(window), () => ctx.services.repos.batches.count()),
  }, { name: 'BatchConnection' }, { name: 'BatchEdge' }),
  batch: t.field({
    type: BatchRef,
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, args, ctx) => {
      const batch = ctx.services.repos.batches.get(parseGlobalId(args.id, 'Batch', 'id'));
      if (!batch) throw notFound('batch', args.id);
      return batch;
    },
  }),
}));

builder.subscriptionFields((t) => ({
  batchProgress: t.field({
    type: BatchRef,
    description: "The batch's counts each time one of its jobs finishes.",
    args: { batchId: t.arg.id({ required: true }) },
    subscribe: async function* (_root, args, ctx) {
      const id = parseGlobalId(args.batchId, 'Batch', 'batchId');
      const iterator = ctx.services.pubSub.subscribe('batchProgress', id)[Symbol.asyncIterator]();
      const pending = iterator.next();
      try {
        const batch = ctx.services.repos.batches.get(id);
        if (!batch) throw notFound('batch', args.batchId);
        yield batch;
        let next = await pending;
        while (!next.done) {
          yield next.value;
          next = await iterator.next();
        }
      } finally {
        await iterator.return?.();
      }
    },
    resolve: (batch) => batch,
  }),
}));
