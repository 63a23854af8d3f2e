/**
 * Live previews of the predicted clean image. With a tiny (TAESD) decoder loaded, a preview is a real decode at full
 * size, but only while previews stay within PREVIEW_BUDGET of the time since the last one; otherwise, and without a
 * tiny decoder, it is the latent-RGB approximation at latent size (free).
 */
import { decodedToRgb8, latentPreview, type RgbImage } from '../image/index.ts';
import type { TinyDecoderModel } from '../models/tiny-decoder.ts';

/** Share of the generation time that tiny-decoded previews may take. */
export const PREVIEW_BUDGET = 0.1;

export class PreviewMaker {
  /** Time spent decoding previews with the tiny decoder, ms. */
  tinyMs = 0;
  tinyCount = 0;
  private lastAt: number;

  constructor(
    private readonly tiny: TinyDecoderModel | undefined,
    private readonly latent: { width: number; height: number },
    /** Least time between two previews; undefined: no previews. */
    private readonly intervalMs: number | undefined,
    startedAt: number,
  ) {
    // The first preview may come as soon as the interval has passed since the loop started.
    this.lastAt = startedAt - (intervalMs ?? 0);
  }

  /** The preview for this step, or undefined when the interval has not passed since the last one. */
  async make(now: number, predictedLatents: Float32Array): Promise<RgbImage | undefined> {
    if (this.intervalMs === undefined || now - this.lastAt < this.intervalMs) return undefined;
    const sinceLast = now - this.lastAt;
    this.lastAt = now;
    const { width, height } = this.latent;
    if (this.tiny && this.affordable(sinceLast)) {
      const started = performance.now();
      const decoded = await this.tiny.decode(predictedLatents, height, width);
      const image = { width: width * 8, height: height * 8, rgb: decodedToRgb8(decoded, width * 8, height * 8) };
      this.tinyMs += performance.now() - started;
      this.tinyCount++;
      return image;
    }
    return latentPreview(predictedLatents, width, height);
  }

  /** The expected decode (from the decoder's last measured cost; unknown: try it once) fits the budget. */
  private affordable(sinceLastMs: number): boolean {
    const perPixel = this.tiny?.msPerLatentPixel;
    if (perPixel === undefined) return true;
    return perPixel * this.latent.width * this.latent.height <= PREVIEW_BUDGET * sinceLastMs;
  }
}
