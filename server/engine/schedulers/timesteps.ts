/** numpy's `round`: halves go to the even neighbour. */
export function roundHalfEven(x: number): number {
  const floor = Math.floor(x);
  const diff = x - floor;
  if (diff < 0.5) return floor;
  if (diff > 0.5) return floor + 1;
  return floor % 2 === 0 ? floor : floor + 1;
}

/** numpy `linspace(start, stop, count, endpoint)`. */
export function linspace(start: number, stop: number, count: number, endpoint = true): number[] {
  const divisions = endpoint ? count - 1 : count;
  const step = divisions > 0 ? (stop - start) / divisions : 0;
  const values = Array.from({ length: count }, (_, i) => start + i * step);
  if (endpoint && count > 1) values[count - 1] = stop;
  return values;
}

/**
 * "leading" spacing: multiples of `ratio`, largest first, shifted by `offset`.
 * (diffusers: `arange(0, count) * ratio`, reversed, `+ steps_offset`.)
 */
export function leadingTimesteps(count: number, ratio: number, offset: number): number[] {
  return Array.from({ length: count }, (_, i) => roundHalfEven((count - 1 - i) * ratio) + offset);
}

/**
 * "trailing" spacing: `round(N − i·N/steps) − 1`, starting at N − 1.
 * diffusers builds this with a float `arange`, which for a few step counts (61, 103, 121, 122 with N = 1000)
 * yields one extra timestep of −1; we always produce exactly `steps` values.
 */
export function trailingTimesteps(numTrainTimesteps: number, steps: number): number[] {
  const ratio = numTrainTimesteps / steps;
  return Array.from({ length: steps }, (_, i) => roundHalfEven(numTrainTimesteps - i * ratio) - 1);
}
