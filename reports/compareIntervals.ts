import { BOOTSTRAP, type Interval, percentileInterval, resampleIndexSets } from "./bootstrap.ts";
import type { MarketMetricKey, MetricKey } from "./compare.ts";
import { type Histogram, latencyHistogram } from "./ingest.ts";
import type { RejectSplit } from "./rejectKinds.ts";

/**
 * 95 % bootstrap intervals of a strategy's figures over its repeats, each computed the way the
 * figure itself is: p99 from the resampled repeats' burst histograms merged with HDR `add`
 * (percentiles are never averaged), rates pooled (rejects / requests of the resample), cost and
 * time to recover as the resample's mean; the market's amplification and makers' refused share
 * pooled, its other figures as means. One set of resamples serves every metric.
 */

/** What one repeat contributes. */
export interface RepeatSample {
  burstUs: Histogram | undefined;
  requests: number;
  rejected: number;
  split: RejectSplit;
  staleReads: number;
  staleChecked: number;
  /** Natural minutes; null: never recovered (counts as +infinity). */
  timeToRecoverMin: number | null;
  /** null: the run has no burst phase to recover from. */
  hasBurst: boolean;
  costInstanceMinutes: number | null;
  costUsd: number | null;
  /** The run's market figures; absent without market seconds (its market intervals are then null). */
  market?: {
    liquidatedNotionalUsdt: number;
    shockNotionalUsdt: number;
    failedStops: number;
    adlEvents: number;
    adlNotionalUsdt: number;
    makerRequests: number;
    makerRequestsRefused: number;
    burstDepthUsdt: number | null;
  };
}

const pct = (num: number, den: number) => (den > 0 ? (100 * num) / den : null);

function pooled(
  samples: readonly RepeatSample[],
  num: (s: RepeatSample) => number,
  den: (s: RepeatSample) => number,
) {
  return (idx: readonly number[]) => {
    let a = 0;
    let b = 0;
    for (const i of idx) {
      const s = samples[i] as RepeatSample;
      a += num(s);
      b += den(s);
    }
    return pct(a, b);
  };
}

function mean(samples: readonly RepeatSample[], get: (s: RepeatSample) => number | null) {
  return (idx: readonly number[]) => {
    let sum = 0;
    for (const i of idx) {
      const v = get(samples[i] as RepeatSample);
      if (v === null) return null;
      sum += v;
    }
    return sum / idx.length;
  };
}

type Market = NonNullable<RepeatSample["market"]>;

function marketIntervals(
  samples: readonly RepeatSample[],
  interval: (f: (idx: readonly number[]) => number | null) => Interval | null,
): Record<MarketMetricKey, Interval | null> {
  const of = (get: (m: Market) => number | null) =>
    mean(samples, (s) => (s.market === undefined ? null : get(s.market)));
  // A run without market figures makes the pooled ratio unknown, not smaller.
  const ratio = (num: (m: Market) => number, den: (m: Market) => number, scale: number) => {
    const known = samples.every((s) => s.market !== undefined);
    const f = pooled(
      samples,
      (s) => (s.market === undefined ? 0 : num(s.market)),
      (s) => (s.market === undefined ? 0 : den(s.market)),
    );
    return (idx: readonly number[]) => {
      const v = known ? f(idx) : null;
      return v === null ? null : (v / 100) * scale;
    };
  };
  return {
    liquidatedNotionalUsdt: interval(of((m) => m.liquidatedNotionalUsdt)),
    amplification: interval(
      ratio(
        (m) => m.liquidatedNotionalUsdt,
        (m) => m.shockNotionalUsdt,
        1,
      ),
    ),
    failedStops: interval(of((m) => m.failedStops)),
    adlEvents: interval(of((m) => m.adlEvents)),
    adlNotionalUsdt: interval(of((m) => m.adlNotionalUsdt)),
    makerRefusedPct: interval(
      ratio(
        (m) => m.makerRequestsRefused,
        (m) => m.makerRequests,
        100,
      ),
    ),
    burstDepthUsdt: interval(of((m) => m.burstDepthUsdt)),
  };
}

/** Intervals per metric, or null for all of them below BOOTSTRAP.minRepeats repeats. */
export function repeatIntervals(
  samples: readonly RepeatSample[],
  opts: { resamples?: number; seed?: number } = {},
): Record<MetricKey, Interval | null> | null {
  if (samples.length < BOOTSTRAP.minRepeats) return null;
  const sets = resampleIndexSets(
    samples.length,
    opts.resamples ?? BOOTSTRAP.resamples,
    opts.seed ?? BOOTSTRAP.seed,
  );
  const merged = latencyHistogram();
  const p99 = (idx: readonly number[]) => {
    merged.reset();
    for (const i of idx) {
      const h = samples[i]?.burstUs;
      if (h !== undefined) merged.add(h);
    }
    return merged.totalCount > 0 ? merged.getValueAtPercentile(99) / 1000 : null;
  };
  const requests = (s: RepeatSample) => s.requests;
  const interval = (f: (idx: readonly number[]) => number | null) => percentileInterval(sets, f);
  return {
    p99BurstMs: interval(p99),
    rejectedPct: interval(pooled(samples, (s) => s.rejected, requests)),
    capacityRejectedPct: interval(pooled(samples, (s) => s.split.capacity, requests)),
    policyRejectedPct: interval(pooled(samples, (s) => s.split.policy, requests)),
    businessRejectedPct: interval(pooled(samples, (s) => s.split.business, requests)),
    stalePct: interval(
      pooled(
        samples,
        (s) => s.staleReads,
        (s) => s.staleChecked,
      ),
    ),
    timeToRecoverMin: interval(
      mean(samples, (s) => (s.hasBurst ? (s.timeToRecoverMin ?? Number.POSITIVE_INFINITY) : null)),
    ),
    costInstanceMinutes: interval(mean(samples, (s) => s.costInstanceMinutes)),
    costUsd: interval(mean(samples, (s) => s.costUsd)),
    ...marketIntervals(samples, interval),
  };
}
