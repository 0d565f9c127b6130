import type { TierName } from "../capacity/types.ts";

/** The aggregate simulation's arithmetic: whole counts from fractions, and capped-count moments. */

/** Turns fractional request counts into whole ones without losing any (carries the rest). */
export class WholeCounts {
  private readonly rest = new Map<string, number>();
  take(key: string, amount: number): number {
    const total = (this.rest.get(key) ?? 0) + amount;
    const whole = Math.floor(total + 1e-9);
    this.rest.set(key, total - whole);
    return whole;
  }
}

export interface Moments {
  mean: number;
  variance: number;
}

/**
 * Mean and variance of min(N, cap) for N ~ Poisson(mean): the orders that pass a budget of `cap`
 * when `mean` are offered. Summed term by term up to cap (the terms far past the mean are
 * negligible and end the sum); the censored normal beyond mean 500 (production size).
 */
export function cappedPoisson(mean: number, cap: number, out: Moments): Moments {
  if (mean <= 0 || cap <= 0) {
    out.mean = 0;
    out.variance = 0;
    return out;
  }
  if (mean > 500) return censoredNormal(mean, mean, cap, out);
  let p = Math.exp(-mean);
  let below = 0;
  let m1 = 0;
  let m2 = 0;
  for (let k = 0; k < cap; k++) {
    below += p;
    m1 += k * p;
    m2 += k * k * p;
    if (k > mean && p < 1e-15) break;
    p *= mean / (k + 1);
  }
  const above = Math.max(0, 1 - below);
  m1 += cap * above;
  m2 += cap * cap * above;
  out.mean = m1;
  out.variance = Math.max(0, m2 - m1 * m1);
  return out;
}

/** E[min(S, cap)] for S normal with this mean and variance, kept within [0, min(mean, cap)]. */
export function expectedMinNormal(mean: number, variance: number, cap: number): number {
  if (cap <= 0 || mean <= 0) return 0;
  if (variance <= 0) return Math.min(mean, cap);
  const sd = Math.sqrt(variance);
  const z = (cap - mean) / sd;
  // E[(S - cap)+] = sd (phi(z) - z (1 - Phi(z))).
  const value = mean - sd * (normalPdf(z) - z * (1 - normalCdf(z)));
  return Math.min(mean, cap, Math.max(0, value));
}

/** Mean and variance of min(X, cap) for X normal (truncated-normal moments). */
function censoredNormal(mean: number, variance: number, cap: number, out: Moments): Moments {
  const sd = Math.sqrt(variance);
  const z = (cap - mean) / sd;
  const below = normalCdf(z);
  const pdf = normalPdf(z);
  const m1 = mean * below - sd * pdf + cap * (1 - below);
  const m2 = (mean * mean + variance) * below - sd * (mean + cap) * pdf + cap * cap * (1 - below);
  out.mean = m1;
  out.variance = Math.max(0, m2 - m1 * m1);
  return out;
}

function normalPdf(z: number): number {
  return Math.exp(-0.5 * z * z) / Math.sqrt(2 * Math.PI);
}

/** Standard normal CDF (Abramowitz and Stegun 26.2.17, error < 7.5e-8). */
function normalCdf(z: number): number {
  const t = 1 / (1 + 0.2316419 * Math.abs(z));
  const poly =
    t * (0.31938153 + t * (-0.356563782 + t * (1.781477937 + t * (-1.821255978 + t * 1.330274429))));
  const tail = normalPdf(z) * poly;
  return z >= 0 ? 1 - tail : tail;
}

export function ratio(workMs: number, capacityMs: number): number {
  if (capacityMs > 0) return workMs / capacityMs;
  return workMs > 0 ? Number.POSITIVE_INFINITY : 0;
}

export function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

export function roundAll(r: Record<TierName, number>): Record<TierName, number> {
  return { gateway: round3(r.gateway), read: round3(r.read) };
}
