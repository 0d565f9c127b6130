/** x rounded to `digits` decimal places, for printed figures (npm run bench). */
export function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
