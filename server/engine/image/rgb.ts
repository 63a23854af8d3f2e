/** VAE output `[1, 3, H, W]` in −1 … 1 → interleaved RGB8, as diffusers does: clamp((x + 1) / 2, 0, 1) · 255, rounded. */
export function decodedToRgb8(chw: Float32Array, width: number, height: number): Uint8Array {
  const plane = width * height;
  if (chw.length !== 3 * plane) throw new Error(`expected ${3 * plane} values for a ${width}×${height} RGB image, got ${chw.length}`);
  const rgb = new Uint8Array(3 * plane);
  for (let c = 0; c < 3; c++) {
    const offset = c * plane;
    for (let i = 0; i < plane; i++) {
      const v = (chw[offset + i] + 1) / 2;
      rgb[3 * i + c] = Math.round((v < 0 ? 0 : v > 1 ? 1 : v) * 255);
    }
  }
  return rgb;
}
