/** SD1.5 latent channel → RGB factors (rows = latent channels), a cheap stand-in for the VAE decoder. */
export const SD15_LATENT_RGB_FACTORS: readonly (readonly [number, number, number])[] = [
  [0.3512, 0.2297, 0.3227],
  [0.325, 0.4974, 0.235],
  [-0.2829, 0.1762, 0.2721],
  [-0.212, -0.2616, -0.7177],
];

export interface RgbImage {
  width: number;
  height: number;
  /** Interleaved RGB8. */
  rgb: Uint8Array;
}

/** Latents `[1, 4, h, w]` (e.g. predicted x0) → an h × w RGB preview: factors, then (v + 1) · 127.5. */
export function latentPreview(latents: Float32Array, width: number, height: number): RgbImage {
  const plane = width * height;
  const rgb = new Uint8Array(3 * plane);
  for (let i = 0; i < plane; i++) {
    for (let c = 0; c < 3; c++) {
      let v = 0;
      for (let k = 0; k < 4; k++) v += latents[k * plane + i] * SD15_LATENT_RGB_FACTORS[k][c];
      const byte = (v + 1) * 127.5;
      rgb[3 * i + c] = byte < 0 ? 0 : byte > 255 ? 255 : Math.round(byte);
    }
  }
  return { width, height, rgb };
}
