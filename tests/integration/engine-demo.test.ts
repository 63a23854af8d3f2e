import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ModelError, resolveModelDir } from '../../server/engine/models/index.ts';
import { EngineWorker } from '../../server/worker/engine-client.ts';
import { tempDir } from './engine-fixtures.ts';

const dataDir = tempDir('engine-demo');
afterAll(() => dataDir.remove());

describe('the demo model', () => {
  it('"demo" resolves under the data directory; a folder that does not exist is MODEL_MISSING', () => {
    expect(resolveModelDir('demo', '/srv/data')).toEqual({ dir: join('/srv/data', 'models', 'demo'), isDemo: true });
    expect(() => resolveModelDir('/no/such/export', '/srv/data')).toThrow(ModelError);
    expect(() => resolveModelDir('/no/such/export', '/srv/data')).toThrow(expect.objectContaining({ code: 'MODEL_MISSING' }));
  });

  it('is forged on first use, says so with how to get real weights, and is reused afterwards', async () => {
    const first: string[] = [];
    const engine = await EngineWorker.start({ modelDir: 'demo', device: 'cpu', threads: 1, dataDir: dataDir.path }, { log: (l) => first.push(l) });
    try {
      expect(engine.info()).toMatchObject({ isDemo: true, modelDir: join(dataDir.path, 'models', 'demo') });
      expect(existsSync(join(dataDir.path, 'models', 'demo', 'unet', 'model.onnx'))).toBe(true);
      const output = join(dataDir.path, 'demo.png');
      await expect(engine.generate('demo', { prompt: 'test', width: 64, height: 64, steps: 2, guidanceScale: 7, scheduler: 'dpmpp_2m', outputPath: output })).resolves.toMatchObject({ imagePath: output });
    } finally {
      await engine.close();
    }
    const log = first.join('\n');
    expect(log).toMatch(/demo model forged into/);
    expect(log).toMatch(/random weights/);
    expect(log).toMatch(/imagineer models pull/);
    expect(log).toMatch(/model\.default/);

    const second: string[] = [];
    const again = await EngineWorker.start({ modelDir: 'demo', device: 'cpu', threads: 1, dataDir: dataDir.path }, { log: (l) => second.push(l) });
    await again.close();
    expect(second.join('\n')).not.toMatch(/forged into/);
    expect(second.join('\n')).toMatch(/random weights/);
  });
});
