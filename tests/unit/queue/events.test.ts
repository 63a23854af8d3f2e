import { describe, expect, it } from 'vitest';
import { createQueuePubSub, MAX_PENDING_EVENTS } from '../../../server/queue/index.ts';

describe('queue pub/sub', () => {
  it('delivers events in order to each subscriber of a topic', async () => {
    const pubSub = createQueuePubSub();
    const a = pubSub.subscribe('jobDeleted')[Symbol.asyncIterator]();
    const b = pubSub.subscribe('jobDeleted')[Symbol.asyncIterator]();
    const [firstA, firstB] = [a.next(), b.next()];
    for (const id of [1, 2, 3]) pubSub.publish('jobDeleted', id);
    expect([(await firstA).value, (await a.next()).value, (await a.next()).value]).toEqual([1, 2, 3]);
    expect([(await firstB).value, (await b.next()).value, (await b.next()).value]).toEqual([1, 2, 3]);
    await Promise.all([a.return?.(), b.return?.()]);
  });

  it('drops a stalled subscriber with an error instead of throwing in the publisher', async () => {
    const pubSub = createQueuePubSub();
    const stalled = pubSub.subscribe('jobDeleted')[Symbol.asyncIterator]();
    const healthy = pubSub.subscribe('jobDeleted')[Symbol.asyncIterator]();
    const first = stalled.next();
    let healthyCount = 0;
    const draining = (async () => {
      for (;;) {
        const next = await healthy.next();
        if (next.done) return;
        healthyCount += 1;
        if (healthyCount === MAX_PENDING_EVENTS + 50) return;
      }
    })();
    await Promise.resolve();
    for (let i = 0; i < MAX_PENDING_EVENTS + 50; i++) {
      expect(() => pubSub.publish('jobDeleted', i)).not.toThrow();
      await new Promise((resolve) => setImmediate(resolve));
    }
    await draining;
    expect(healthyCount).toBe(MAX_PENDING_EVENTS + 50);
    expect((await first).value).toBe(0);
    let failure: unknown;
    try {
      for (;;) if ((await stalled.next()).done) break;
    } catch (error) {
      failure = error;
    }
    expect(String(failure)).toMatch(/subscribe again/);
  });
});
