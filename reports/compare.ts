import { StampedeError } from "../loadtests/vocabulary/cliErrors.ts";
import { BOOTSTRAP, type Interval, overlaps } from "./bootstrap.ts";
import { repeatIntervals } from "./compareIntervals.ts";
import { type LoadedRun, loadedRun, loadRun, meanDepthUsdt, type RunJson } from "./compareRuns.ts";
import { costUsd, type PricesUsdPerInstanceHour, parsePricePerInstanceHour } from "./cost.ts";
import { type Histogram, latencyHistogram } from "./ingest.ts";
import { failedStops } from "./market.ts";
import { splitRejects } from "./rejectKinds.ts";
import { type Percentiles, SparseHistogram } from "./sparse.ts";

export { type LoadedRun, loadedRun, loadRun, meanDepthUsdt, type RunJson };

const round3 = (x: number) => Math.round(x * 1000) / 1000;
const DEFAULT_PRICES = parsePricePerInstanceHour(undefined);

import { sumCounts } from "./summary.ts";

/**
 * `stampede compare`: strategies (or runs) side by side. Reads run folders only (run.json,
 * summary.json, latency.hlog + client.jsonl, timeline.jsonl), like the rest of reports/.
 *
 * Rules (the pure functions below carry them, and the unit tests pin them):
 * - Burst phase: the phase named "burst", else the one with the highest load multiple (the
 *   first of equals).
 * - Pre-burst phase: among the phases that end by the burst's start, the last one at the lowest
 *   multiple (the normal-load phase, not a ramp into the burst).
 * - Time to recover: seconds from the burst's end to the start of the first second (at or after
 *   the end) whose p99 is at or under the pre-burst phase's p99; null when that never happens.
 * - Percentiles are never averaged: a strategy's repeats are merged with `add` (whole-run,
 *   burst-phase and per-second histograms), and its p99 and spectrum are read from the merged
 *   histogram. Rates are pooled (total rejects / total requests). Cost and time to recover,
 *   which are not percentiles, are means.
 * - Rejects are split by kind (reports/rejectKinds.ts): capacity (503, 408, 5xx), policy (429,
 *   418) and business (order 400), each pooled like the total.
 * - Cost in money: each run's instance-minutes per tier times a price per instance-hour
 *   (reports/cost.ts; defaults in loadtests/vocabulary/pricing.ts).
 * - Noise: with >= 5 repeats per strategy, each metric gets a 95 % percentile-bootstrap interval
 *   (reports/bootstrap.ts, reports/compareIntervals.ts) and overlapping intervals mean "no
 *   difference". With 2-4 repeats the spread is the min..max of the per-run values and
 *   overlapping spreads mean "no difference". Otherwise "better" or "worse" than the baseline
 *   (the first strategy). Without repeats there is no noise estimate and values are compared
 *   plainly. Lower is better for every metric but book depth (MARKET_METRICS `better: "higher"`).
 * - Market (runs whose timeline carries `market`; columns only when some run has it): liquidated
 *   notional, failed stops, ADL and book depth as means over the repeats; amplification and the
 *   makers' refused share pooled (Σ liquidated / Σ shock, Σ refused / Σ sent). Runs differing in
 *   oracle are different groups, labelled "<strategy> · <oracle>".
 */

// ---------------------------------------------------------------------------------------------
// Pure rules

/** A new latency histogram holding every count of `hs` (HdrHistogram `add`; inputs untouched). */
export function mergeHistograms(hs: readonly Histogram[]): Histogram {
  const merged = latencyHistogram();
  for (const h of hs) merged.add(h);
  return merged;
}

/** The same for sparse (per-second) histograms. */
export function mergeSparse(hs: readonly SparseHistogram[]): SparseHistogram {
  const merged = new SparseHistogram();
  for (const h of hs) merged.add(h);
  return merged;
}

/** Highest x of a spectrum: 99.9999 %. */
const SPECTRUM_MAX_X = 1e6;

/**
 * Percentile spectrum as HdrHistogram's plotter draws it: points [x, ms] with x = 1/(1-p)
 * (p as a fraction), 5 points per halving of the distance to 100 %, up to the last
 * percentile the histogram's count resolves (1/(1-p) <= totalCount), then the maximum.
 * Values in the histogram are µs; y is ms.
 */
export function spectrum(h: Percentiles, ticksPerHalfDistance = 5): Array<[number, number]> {
  if (h.totalCount === 0) return [];
  const out: Array<[number, number]> = [];
  const limit = Math.min(h.totalCount, SPECTRUM_MAX_X);
  for (let i = 0; ; i++) {
    const x = 2 ** (i / ticksPerHalfDistance);
    if (x > limit) break;
    const p = 100 * (1 - 1 / x);
    out.push([x, h.getValueAtPercentile(p) / 1000]);
  }
  const last = out[out.length - 1];
  const maxMs = h.getValueAtPercentile(100) / 1000;
  if (last === undefined || last[0] < limit || last[1] < maxMs) out.push([Math.max(limit, 1), maxMs]);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Metrics, spreads, verdicts

export const METRICS = [
  { key: "p99BurstMs", label: "p99 in the burst", unit: "ms" },
  { key: "rejectedPct", label: "rejected", unit: "%" },
  { key: "capacityRejectedPct", label: "capacity rejects (503/408/5xx)", unit: "%" },
  { key: "policyRejectedPct", label: "policy rejects (429/418)", unit: "%" },
  { key: "businessRejectedPct", label: "order rejects (400)", unit: "%" },
  { key: "stalePct", label: "stale reads", unit: "%" },
  // In the profile's natural minutes: wall seconds shrink a recovery by the time scale.
  { key: "timeToRecoverMin", label: "time to recover", unit: "natural min" },
  { key: "costInstanceMinutes", label: "cost", unit: "instance-min" },
  { key: "costUsd", label: "cost", unit: "USD" },
] as const;

/**
 * The market outcome beside them (summary.json `market`), listed only when some compared run has
 * market seconds, so a comparison of runs without a market model is unchanged.
 */
export const MARKET_METRICS = [
  { key: "liquidatedNotionalUsdt", label: "liquidated notional", unit: "USDT" },
  { key: "amplification", label: "amplification (liquidated / shock)", unit: "x" },
  { key: "failedStops", label: "failed stops (refused + late + unfilled)", unit: "stops" },
  { key: "adlEvents", label: "ADL events", unit: "events" },
  { key: "adlNotionalUsdt", label: "ADL notional", unit: "USDT" },
  { key: "makerRefusedPct", label: "makers' requests refused", unit: "%" },
  { key: "burstDepthUsdt", label: "book depth near the mid in the burst", unit: "USDT", better: "higher" },
] as const;

export type BaseMetricKey = (typeof METRICS)[number]["key"];
export type MarketMetricKey = (typeof MARKET_METRICS)[number]["key"];
export type MetricKey = BaseMetricKey | MarketMetricKey;

/** A column of the comparison; `better: "higher"` for the one figure where more is better. */
export interface MetricInfo {
  key: MetricKey;
  label: string;
  unit: string;
  better?: "higher";
}

/** Figures by metric: every base one, the market ones when the comparison has them. */
export type ByMetric<T> = Record<BaseMetricKey, T> & Partial<Record<MarketMetricKey, T>>;

/** One run's figures; null where the run cannot say (no burst phase, never recovered...). */
export type RunMetrics = ByMetric<number | null> & {
  /** Wall seconds, as summary.json's burst.timeToRecoverS (timeToRecoverMin is the same in natural minutes). */
  timeToRecoverS: number | null;
};

export interface Spread {
  /**
   * The strategy's figure: p99 from the repeats' merged histogram, rates pooled over the
   * repeats, cost and time to recover as the mean. null when unknown or (time to recover)
   * when some repeat never recovered.
   */
  value: number | null;
  /** How `value` was made. */
  kind: "pooled" | "mean";
  /** Per-run values (null: not available / never recovered). */
  values: Array<number | null>;
  /** Range of the per-run values (null values left out); null when there is none. */
  min: number | null;
  max: number | null;
  n: number;
  /** What a null per-run value means: "never" (time to recover: +infinity) or "unknown". */
  nullMeans: "never" | "unknown";
  /**
   * 95 % bootstrap interval over the repeats (>= 5 of them), else null; an upper bound of
   * +infinity (null in JSON) is a resample mean that includes a run that never recovered.
   */
  ci95: Interval | null;
}

/**
 * Spread of per-run values; `pooled` overrides the mean (percentiles and rates). `nullMeans`
 * "never" (time to recover) makes a null rank above every number; "unknown" makes the metric
 * incomparable.
 */
export function spreadOf(
  values: ReadonlyArray<number | null>,
  pooled?: number | null,
  nullMeans: "never" | "unknown" = "unknown",
): Spread {
  const known = values.filter((v): v is number => v !== null);
  const complete = known.length === values.length && values.length > 0;
  const mean = complete ? known.reduce((a, b) => a + b, 0) / known.length : null;
  return {
    value: pooled !== undefined ? pooled : mean,
    kind: pooled !== undefined ? "pooled" : "mean",
    values: [...values],
    min: known.length > 0 ? Math.min(...known) : null,
    max: known.length > 0 ? Math.max(...known) : null,
    n: values.length,
    nullMeans,
    ci95: null,
  };
}

export type VerdictWord = "baseline" | "better" | "worse" | "no difference";

export interface Verdict {
  verdict: VerdictWord;
  /** Why, in words (e.g. "spreads overlap", "single run: no noise estimate"). */
  note: string;
}

export const SINGLE_RUN_NOTE = "single run: no noise estimate";

const hasNull = (s: Spread) => s.values.some((v) => v === null);
/** Lowest per-run value, +infinity for "never"; null when incomparable. */
const lo = (s: Spread) => {
  if (s.values.length === 0 || (hasNull(s) && s.nullMeans === "unknown")) return null;
  return s.min ?? Number.POSITIVE_INFINITY;
};
const hi = (s: Spread) => {
  if (s.values.length === 0 || (hasNull(s) && s.nullMeans === "unknown")) return null;
  return hasNull(s) ? Number.POSITIVE_INFINITY : s.max;
};
const headline = (s: Spread) => {
  if (s.values.length === 0) return null;
  if (s.value !== null) return s.value;
  // A mean that is null because a run never recovered: +infinity; otherwise unknown.
  return hasNull(s) && s.nullMeans === "never" ? Number.POSITIVE_INFINITY : null;
};

/**
 * `other` against `baseline` (lower is better). With a noise estimate (both have >= 2 runs)
 * overlapping min..max ranges mean "no difference"; without one, the figures are compared as
 * they are. Unknown figures (no runs, no burst phase) give "no difference".
 */
export function verdictOf(baseline: Spread, other: Spread): Verdict {
  if (baseline.ci95 !== null && other.ci95 !== null) {
    const over = `95 % intervals over ${other.n} and ${baseline.n} repeats`;
    if (overlaps(baseline.ci95, other.ci95)) return { verdict: "no difference", note: `overlapping ${over}` };
    return other.ci95.hi < baseline.ci95.lo
      ? { verdict: "better", note: `separate ${over}` }
      : { verdict: "worse", note: `separate ${over}` };
  }
  const noisy = baseline.n >= 2 && other.n >= 2;
  if (noisy) {
    const bLo = lo(baseline);
    const bHi = hi(baseline);
    const oLo = lo(other);
    const oHi = hi(other);
    if (bLo === null || bHi === null || oLo === null || oHi === null)
      return { verdict: "no difference", note: "no figure to compare" };
    if (bLo <= oHi && oLo <= bHi)
      return {
        verdict: "no difference",
        note: `inside the spread over ${other.n} and ${baseline.n} repeats`,
      };
    return oHi < bLo
      ? { verdict: "better", note: `outside the spread over ${other.n} and ${baseline.n} repeats` }
      : { verdict: "worse", note: `outside the spread over ${other.n} and ${baseline.n} repeats` };
  }
  const b = headline(baseline);
  const o = headline(other);
  if (b === null || o === null) return { verdict: "no difference", note: "no figure to compare" };
  if (o === b) return { verdict: "no difference", note: SINGLE_RUN_NOTE };
  return { verdict: o < b ? "better" : "worse", note: SINGLE_RUN_NOTE };
}

// ---------------------------------------------------------------------------------------------
// The comparison

/** A strategy (or, comparing runs, one run): its runs are repeats of each other. */
export interface Group {
  label: string;
  runs: LoadedRun[];
}

export interface ComparedRun {
  runId: string;
  runDir: string;
  seed: number | null;
  strategy: string | null;
  simulated: boolean;
  timeScale: number | null;
  metrics: RunMetrics;
}

export interface ComparedGroup {
  label: string;
  strategy: string | null;
  /** The runs' oracle mode; present only when some compared run has one. */
  oracle?: string | null;
  runs: ComparedRun[];
  metrics: ByMetric<Spread>;
  /** Verdict of each metric against the baseline (the first group's is "baseline"). */
  verdicts: ByMetric<Verdict>;
  /** Burst phase used (name), or null. */
  burstPhase: string | null;
  preBurstPhase: string | null;
  requests: number;
  /** Percentile spectra [1/(1-p), ms] of the merged histograms: whole run and burst phase. */
  spectrum: { overall: Array<[number, number]>; burst: Array<[number, number]> };
  /** Per-second series (repeats merged): p99 from the merged histograms; counts as means. */
  series: {
    t: number[];
    p99Ms: Array<number | null>;
    rejectedPerS: Array<number | null>;
    instancesReady: Array<number | null>;
  };
}

export interface Comparison {
  kind: "stampede-comparison";
  version: 1;
  createdAt: string;
  /** The first group: the one every verdict is relative to. */
  baseline: string;
  /** Runs per strategy when every strategy was repeated (>= 2), else null. */
  repeats: number | null;
  noise: string;
  /** How the 95 % intervals were made, or null when some strategy has fewer than 5 repeats. */
  intervals: { method: string; resamples: number; level: number; seed: number } | null;
  /** Prices behind `costUsd`. */
  pricesUsdPerInstanceHour: PricesUsdPerInstanceHour;
  /** Profile name when every run shares it, else null. */
  profile: string | null;
  metrics: ReadonlyArray<MetricInfo>;
  groups: ComparedGroup[];
}

function strategyOf(r: LoadedRun): string | null {
  if (typeof r.summary.strategy === "string") return r.summary.strategy;
  const s = r.run.strategy;
  if (typeof s === "string") return s;
  if (s !== null && typeof s === "object" && typeof (s as { name?: unknown }).name === "string")
    return (s as { name: string }).name;
  return null;
}

/** run.json `oracle`: the market model's oracle mode; null without one. */
export function oracleOfRun(r: LoadedRun): string | null {
  const o = r.run.oracle;
  return typeof o === "string" && o !== "" ? o : null;
}

/** A column's name: the strategy, and its oracle when the comparison has oracles ("reactive · index-twap"). */
export function groupLabel(strategy: string, oracle: string | null): string {
  return oracle === null ? strategy : `${strategy} · ${oracle}`;
}

/** The group key of a run: its strategy (or run id), with its oracle when any compared run has one. */
function keyOf(r: LoadedRun, withOracle: boolean): string {
  const s = strategyOf(r) ?? r.runId;
  return withOracle ? groupLabel(s, oracleOfRun(r) ?? "no market") : s;
}

/**
 * Groups runs by strategy (and oracle, when some run has one: runs valuing collateral
 * differently are not repeats of each other) in first-seen order; runs without a strategy are
 * their own group.
 */
export function groupByStrategy(runs: readonly LoadedRun[]): Group[] {
  const withOracle = runs.some((r) => oracleOfRun(r) !== null);
  const groups: Group[] = [];
  const byLabel = new Map<string, Group>();
  for (const r of runs) {
    const label = keyOf(r, withOracle);
    let g = byLabel.get(label);
    if (g === undefined) {
      g = { label, runs: [] };
      byLabel.set(label, g);
      groups.push(g);
    }
    g.runs.push(r);
  }
  return groups;
}

/** One group per run, labelled by strategy and oracle as above (and run id when those repeat). */
export function groupByRun(runs: readonly LoadedRun[]): Group[] {
  const withOracle = runs.some((r) => oracleOfRun(r) !== null);
  const counts = new Map<string, number>();
  for (const r of runs) {
    const s = keyOf(r, withOracle);
    counts.set(s, (counts.get(s) ?? 0) + 1);
  }
  return runs.map((r) => {
    const s = keyOf(r, withOracle);
    return { label: (counts.get(s) ?? 0) > 1 ? `${s} (${r.runId})` : s, runs: [r] };
  });
}

function groupSeries(runs: readonly LoadedRun[]): ComparedGroup["series"] {
  const last = Math.max(
    -1,
    ...runs.map((r) => Math.max(-1, ...r.ingested.seconds.keys())),
    ...runs.map((r) => Math.max(-1, ...r.timeline.map((p) => p.t))),
  );
  const series: ComparedGroup["series"] = { t: [], p99Ms: [], rejectedPerS: [], instancesReady: [] };
  const byT = runs.map((r) => new Map(r.timeline.map((p) => [p.t, p])));
  for (let t = 0; t <= last; t++) {
    const hs: SparseHistogram[] = [];
    const rejects: number[] = [];
    const ready: number[] = [];
    runs.forEach((r, i) => {
      const sec = r.ingested.seconds.get(t);
      if (sec !== undefined && sec.latencyUs.totalCount > 0) hs.push(sec.latencyUs);
      if (t <= Math.max(-1, ...r.ingested.seconds.keys())) rejects.push(sumCounts(sec?.rejected));
      const tiers = byT[i]?.get(t)?.tiers;
      if (tiers !== undefined) {
        let n = 0;
        for (const tier of Object.values(tiers)) n += tier?.ready ?? 0;
        ready.push(n);
      }
    });
    const merged = mergeSparse(hs);
    const mean = (xs: number[]) => (xs.length > 0 ? round3(xs.reduce((a, b) => a + b, 0) / xs.length) : null);
    series.t.push(t);
    series.p99Ms.push(merged.totalCount > 0 ? merged.getValueAtPercentile(99) / 1000 : null);
    series.rejectedPerS.push(mean(rejects));
    series.instancesReady.push(mean(ready));
  }
  return series;
}

/** The market figures of a group (MARKET_METRICS): means, amplification and refusals pooled. */
function marketSpreads(runs: readonly LoadedRun[]): Record<MarketMetricKey, Spread> {
  let liquidated = 0;
  let shock = 0;
  let sent = 0;
  let refused = 0;
  const all = runs.every((r) => r.market !== undefined);
  for (const r of runs) {
    liquidated += r.market?.liquidatedNotional ?? 0;
    shock += r.market?.shockNotional ?? 0;
    sent += r.market?.makerRequests ?? 0;
    refused += r.market?.makerRequestsRefused ?? 0;
  }
  const values = (k: MarketMetricKey) => runs.map((r) => r.metrics[k] ?? null);
  return {
    liquidatedNotionalUsdt: spreadOf(values("liquidatedNotionalUsdt")),
    amplification: spreadOf(values("amplification"), all && shock > 0 ? round3(liquidated / shock) : null),
    failedStops: spreadOf(values("failedStops")),
    adlEvents: spreadOf(values("adlEvents")),
    adlNotionalUsdt: spreadOf(values("adlNotionalUsdt")),
    makerRefusedPct: spreadOf(
      values("makerRefusedPct"),
      all && sent > 0 ? round3((100 * refused) / sent) : null,
    ),
    burstDepthUsdt: spreadOf(values("burstDepthUsdt")),
  };
}

function compareGroup(
  g: Group,
  prices: PricesUsdPerInstanceHour,
  columns: readonly MetricInfo[],
  withOracle: boolean,
): Omit<ComparedGroup, "verdicts"> {
  // The runs' money is re-priced here: loadRun priced them at the defaults.
  const runs = g.runs.map((r) => ({
    ...r,
    metrics: {
      ...r.metrics,
      costUsd:
        r.summary.cost?.instanceMinutes === undefined
          ? null
          : costUsd(r.summary.cost.instanceMinutes, prices),
    },
  }));
  const first = runs[0];
  const burst = first?.burst ?? -1;
  const preBurst = first?.preBurst ?? -1;
  const overall = mergeHistograms(runs.map((r) => r.ingested.overall.latencyUs));
  const burstHs = runs
    .map((r) => (r.burst >= 0 ? r.ingested.byPhase[r.burst]?.latencyUs : undefined))
    .filter((h): h is Histogram => h !== undefined);
  const burstMerged = mergeHistograms(burstHs);
  let requests = 0;
  let rejected = 0;
  let stale = 0;
  let checked = 0;
  const split = { capacity: 0, policy: 0, business: 0 };
  for (const r of runs) {
    requests += r.ingested.overall.latencyUs.totalCount;
    rejected += sumCounts(r.ingested.overall.rejected);
    stale += r.ingested.staleReads;
    checked += r.ingested.staleChecked;
    const s = splitRejects(r.ingested.overall.rejected);
    split.capacity += s.capacity;
    split.policy += s.policy;
    split.business += s.business;
  }
  const pooledPct = (n: number) => (requests > 0 ? round3((100 * n) / requests) : null);
  const values = (k: BaseMetricKey) => runs.map((r) => r.metrics[k]);
  const withMarket = columns.some((m) => m.key === "liquidatedNotionalUsdt");
  const metrics: ByMetric<Spread> = {
    p99BurstMs: spreadOf(
      values("p99BurstMs"),
      burstMerged.totalCount > 0 ? burstMerged.getValueAtPercentile(99) / 1000 : null,
    ),
    rejectedPct: spreadOf(values("rejectedPct"), pooledPct(rejected)),
    capacityRejectedPct: spreadOf(values("capacityRejectedPct"), pooledPct(split.capacity)),
    policyRejectedPct: spreadOf(values("policyRejectedPct"), pooledPct(split.policy)),
    businessRejectedPct: spreadOf(values("businessRejectedPct"), pooledPct(split.business)),
    stalePct: spreadOf(values("stalePct"), checked > 0 ? round3((100 * stale) / checked) : null),
    timeToRecoverMin: spreadOf(values("timeToRecoverMin"), undefined, "never"),
    costInstanceMinutes: spreadOf(values("costInstanceMinutes")),
    costUsd: spreadOf(values("costUsd")),
    ...(withMarket ? marketSpreads(runs) : {}),
  };
  const intervals = repeatIntervals(runs.map(repeatSample));
  if (intervals !== null)
    for (const m of columns) {
      const s = metrics[m.key];
      if (s !== undefined) s.ci95 = intervals[m.key];
    }
  const strategies = new Set(runs.map(strategyOf));
  const oracles = new Set(runs.map(oracleOfRun));
  return {
    label: g.label,
    strategy: strategies.size === 1 ? ([...strategies][0] ?? null) : null,
    ...(withOracle ? { oracle: oracles.size === 1 ? ([...oracles][0] ?? null) : null } : {}),
    runs: runs.map((r) => ({
      runId: r.runId,
      runDir: r.runDir,
      seed: typeof r.run.seed === "number" ? r.run.seed : null,
      strategy: strategyOf(r),
      simulated: r.summary.simulated === true || r.run.simulated === true,
      timeScale: typeof r.run.scales?.timeScale === "number" ? r.run.scales.timeScale : null,
      metrics: r.metrics,
    })),
    metrics,
    burstPhase: first?.phases[burst]?.name ?? null,
    preBurstPhase: first?.phases[preBurst]?.name ?? null,
    requests,
    spectrum: { overall: spectrum(overall), burst: spectrum(burstMerged) },
    series: groupSeries(runs),
  };
}

function repeatSample(r: LoadedRun) {
  return {
    burstUs: r.burst >= 0 ? r.ingested.byPhase[r.burst]?.latencyUs : undefined,
    requests: r.ingested.overall.latencyUs.totalCount,
    rejected: sumCounts(r.ingested.overall.rejected),
    split: splitRejects(r.ingested.overall.rejected),
    staleReads: r.ingested.staleReads,
    staleChecked: r.ingested.staleChecked,
    timeToRecoverMin: r.metrics.timeToRecoverMin,
    hasBurst: r.burst >= 0,
    costInstanceMinutes: r.metrics.costInstanceMinutes,
    costUsd: r.metrics.costUsd,
    ...(r.market === undefined
      ? {}
      : {
          market: {
            liquidatedNotionalUsdt: r.market.liquidatedNotional,
            shockNotionalUsdt: r.market.shockNotional,
            failedStops: failedStops(r.market),
            adlEvents: r.market.adl.events,
            adlNotionalUsdt: r.market.adl.notional,
            makerRequests: r.market.makerRequests,
            makerRequestsRefused: r.market.makerRequestsRefused,
            burstDepthUsdt: r.burstDepthUsdt ?? null,
          },
        }),
  };
}

/** A verdict for a figure where higher is better: verdictOf ranks lower first, so the words swap. */
function flipped(v: Verdict): Verdict {
  if (v.verdict === "better") return { ...v, verdict: "worse" };
  if (v.verdict === "worse") return { ...v, verdict: "better" };
  return v;
}

function noiseOf(minRuns: number, maxRuns: number): string {
  const k = minRuns === maxRuns ? `${minRuns}` : `${minRuns}-${maxRuns}`;
  if (minRuns >= BOOTSTRAP.minRepeats)
    return `${k} repeats per strategy: 95 % percentile-bootstrap intervals (${BOOTSTRAP.resamples} seeded resamples of the repeats); overlapping intervals are "no difference"`;
  if (minRuns >= 2)
    return `${k} repeats per strategy: a difference inside the min..max spread of the repeats is "no difference" (95 % intervals need >= ${BOOTSTRAP.minRepeats} repeats)`;
  return SINGLE_RUN_NOTE;
}

/**
 * The comparison of groups; the first group is the baseline. `prices` (USD per instance-hour
 * per tier) defaults to loadtests/vocabulary/pricing.ts.
 */
export function buildComparison(
  groups: readonly Group[],
  createdAt: Date = new Date(),
  prices: PricesUsdPerInstanceHour = DEFAULT_PRICES,
): Comparison {
  if (groups.length === 0 || groups.some((g) => g.runs.length === 0))
    throw new StampedeError("E_USAGE", "compare needs at least one run per strategy");
  const runs = groups.flatMap((g) => g.runs);
  const columns: MetricInfo[] = [
    ...METRICS,
    ...(runs.some((r) => r.market !== undefined) ? MARKET_METRICS : []),
  ].map((m) => ({ ...m }));
  const withOracle = runs.some((r) => oracleOfRun(r) !== null);
  const compared = groups.map((g) => compareGroup(g, prices, columns, withOracle));
  const base = compared[0] as Omit<ComparedGroup, "verdicts">;
  const withVerdicts: ComparedGroup[] = compared.map((g, i) => {
    const verdicts = {} as Record<MetricKey, Verdict>;
    for (const m of columns) {
      const b = base.metrics[m.key];
      const o = g.metrics[m.key];
      if (b === undefined || o === undefined) continue;
      verdicts[m.key] =
        i === 0
          ? { verdict: "baseline", note: "every verdict is relative to this one" }
          : m.better === "higher"
            ? flipped(verdictOf(b, o))
            : verdictOf(b, o);
    }
    return { ...g, verdicts };
  });
  const minRuns = Math.min(...groups.map((g) => g.runs.length));
  const maxRuns = Math.max(...groups.map((g) => g.runs.length));
  const repeats = minRuns >= 2 ? minRuns : null;
  const profiles = new Set(groups.flatMap((g) => g.runs.map((r) => r.run.profile?.name ?? null)));
  return {
    kind: "stampede-comparison",
    version: 1,
    createdAt: createdAt.toISOString(),
    baseline: base.label,
    repeats,
    noise: noiseOf(minRuns, maxRuns),
    intervals:
      minRuns >= BOOTSTRAP.minRepeats
        ? {
            method:
              "percentile bootstrap over the repeats (p99 from HDR-merged histograms, rates pooled, cost and time to recover as means)",
            resamples: BOOTSTRAP.resamples,
            level: BOOTSTRAP.level,
            seed: BOOTSTRAP.seed,
          }
        : null,
    pricesUsdPerInstanceHour: { ...prices },
    profile: profiles.size === 1 ? ([...profiles][0] ?? null) : null,
    metrics: columns,
    groups: withVerdicts,
  };
}
