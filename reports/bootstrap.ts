import { seededRandom } from "../loadtests/vocabulary/random.ts";

/**
 * Percentile bootstrap over repeats: a strategy's K repeats are resampled with replacement
 * (K draws each time), the statistic is recomputed on every resample, and the interval is the
 * 2.5th..97.5th percentile of those values. Seeded, so a comparison is reproducible.
 *
 * Below MIN_REPEATS the K^K distinct resamples are too few for the tails of that distribution
 * to mean anything, so no interval is given (compare falls back to the min..max of the repeats).
 */
export const BOOTSTRAP = {
  resamples: 2000,
  level: 0.95,
  minRepeats: 5,
  seed: 1,
} as const;

export interface Interval {
  lo: number;
  hi: number;
}

/** `resamples` index sets, each `n` draws from 0..n-1 with replacement (seeded). */
export function resampleIndexSets(n: number, resamples: number, seed: number): number[][] {
  const random = seededRandom(seed);
  const sets: number[][] = [];
  for (let b = 0; b < resamples; b++) {
    const set: number[] = [];
    for (let i = 0; i < n; i++) set.push(Math.min(n - 1, Math.floor(random() * n)));
    sets.push(set);
  }
  return sets;
}

/**
 * Percentile interval of `statistic` over the index sets. The statistic may return +Infinity
 * (a time to recover that never came); null from any resample (unknown) makes the whole
 * interval null: an interval over the resamples that happened to be computable would be biased.
 */
export function percentileInterval(
  sets: readonly (readonly number[])[],
  statistic: (indices: readonly number[]) => number | null,
  level: number = BOOTSTRAP.level,
): Interval | null {
  if (sets.length === 0) return null;
  const values: number[] = [];
  for (const set of sets) {
    const v = statistic(set);
    if (v === null || Number.isNaN(v)) return null;
    values.push(v);
  }
  values.sort((a, b) => a - b);
  const tail = (1 - level) / 2;
  // Nearest rank on both sides, so identical resamples give a zero-width interval.
  // The epsilon keeps 0.975 x 40 (39.000000000000004 in floating point) at rank 39.
  const rank = (q: number) => Math.ceil(q * values.length - 1e-9);
  const loIdx = Math.max(0, rank(tail) - 1);
  const hiIdx = Math.min(values.length - 1, rank(1 - tail) - 1);
  return { lo: values[loIdx] as number, hi: values[hiIdx] as number };
}

/** The interval of `statistic` over `n` repeats, or null below BOOTSTRAP.minRepeats. */
export function bootstrapInterval(
  n: number,
  statistic: (indices: readonly number[]) => number | null,
  opts: { resamples?: number; seed?: number; minRepeats?: number } = {},
): Interval | null {
  if (n < (opts.minRepeats ?? BOOTSTRAP.minRepeats)) return null;
  return percentileInterval(
    resampleIndexSets(n, opts.resamples ?? BOOTSTRAP.resamples, opts.seed ?? BOOTSTRAP.seed),
    statistic,
  );
}

/** Two intervals share at least one value. */
export function overlaps(a: Interval, b: Interval): boolean {
  return a.lo <= b.hi && b.lo <= a.hi;
}
