import { LATENT_CHANNELS, type LoadedModel } from '../models/index.ts';
import { txt2img, VAE_DOWNSCALE } from '../pipeline.ts';
import { validateTxt2Img } from './validate.ts';

/**
 * ONNX Runtime's first run at a new input size costs about twice a later one (full UNet at 512²: 20.1 s against
 * 10.7 s; +50 s in all at 512×768): one guided step and a decode at the default size, with the VAE and with the tiny
 * decoder (its cost also feeds the preview budget), move that cost out of the first job. Returns the time it took.
 */
export async function warmUp(model: LoadedModel, size: { width: number; height: number }, maxPixels?: number): Promise<number> {
  const started = performance.now();
  const settings = validateTxt2Img({ prompt: '', width: size.width, height: size.height, steps: 1, guidanceScale: 2, scheduler: 'euler', seed: 0 }, { maxPixels });
  await txt2img(model, settings);
  if (model.tinyDecoder) {
    const height = size.height / VAE_DOWNSCALE;
    const width = size.width / VAE_DOWNSCALE;
    await model.tinyDecoder.decode(new Float32Array(LATENT_CHANNELS * height * width), height, width);
  }
  return performance.now() - started;
}
