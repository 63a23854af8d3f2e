import { ALL_IMAGES } from '../queue/index.ts';
import { builder } from './builder.ts';
import { badUserInput } from './errors.ts';
import { parseGlobalId, parseNodeId } from './ids.ts';
import { byIds, outputUrl } from './jobs.ts';
import { pageNewestFirst } from './paging.ts';
import { BatchRef, ImageRef, iso, JobRef } from './refs.ts';

/** Widths `/outputs/<png>?w=` serves; a short list keeps the thumbnail cache bounded. */
export const THUMBNAIL_WIDTHS = [64, 128, 256, 512] as const;

builder.node(ImageRef, {
  description: 'A generated PNG (with its JSON sidecar next to it).',
  id: { resolve: (image) => image.id, parse: parseNodeId },
  loadMany: (ids, ctx) => byIds(ids, ctx.services.repos.images.getMany(ids)),
  fields: (t) => ({
    url: t.string({ description: 'Served by this server under /outputs/.', resolve: (image) => outputUrl(image.path) }),
    thumbnailUrl: t.string({
      description: 'A WebP at most `width` pixels wide (64, 128, 256 or 512), made on first request.',
      args: { width: t.arg.int({ defaultValue: 256 }) },
      resolve: (image, args) => {
        const width = args.width ?? 256;
        if (!(THUMBNAIL_WIDTHS as readonly number[]).includes(width)) throw badUserInput('width', `width must be one of ${THUMBNAIL_WIDTHS.join(', ')}`);
        return `${outputUrl(image.path)}?w=${width}`;
      },
    }),
    path: t.exposeString('path', { description: 'Relative to the output directory.' }),
    width: t.exposeInt('width'),
    height: t.exposeInt('height'),
    seed: t.exposeString('seed'),
    createdAt: t.string({ resolve: (image) => iso(image.createdAt)! }),
    job: t.field({ type: JobRef, nullable: true, resolve: (image, _a, ctx) => (image.jobId === null ? null : (ctx.services.repos.jobs.get(image.jobId) ?? null)) }),
    batch: t.field({
      type: BatchRef,
      nullable: true,
      resolve: (image, _a, ctx) => (image.batchId === null ? null : (ctx.services.repos.batches.get(image.batchId) ?? null)),
    }),
  }),
});

builder.queryFields((t) => ({
  images: t.connection({
    type: ImageRef,
    description: 'Generated images, newest first.',
    args: { batchId: t.arg.id() },
    resolve: (_root, args, ctx) => {
      const batchId = args.batchId ? parseGlobalId(args.batchId, 'Batch', 'batchId') : undefined;
      return pageNewestFirst(args, (window) => ctx.services.repos.images.page({ batchId }, window), () => ctx.services.repos.images.count({ batchId }));
    },
  }, { name: 'ImageConnection' }, { name: 'ImageEdge' }),
}));

builder.subscriptionFields((t) => ({
  imageAdded: t.field({
    type: ImageRef,
    description: 'Every new image, or only those of one batch.',
    args: { batchId: t.arg.id() },
    subscribe: (_root, args, ctx) =>
      ctx.services.pubSub.subscribe('imageAdded', args.batchId ? String(parseGlobalId(args.batchId, 'Batch', 'batchId')) : ALL_IMAGES),
    resolve: (image) => image,
  }),
}));
