import {
  isOracleMode,
  type MarketSecond,
  type MarketSummary,
  ORACLE_MODES,
  type OracleMode,
} from "../loadtests/vocabulary/market.ts";
import type { TimelinePoint } from "../loadtests/vocabulary/runFolder.ts";

/**
 * summary.json `market` (docs/summary.md "market"): the run's market outcome, summed from the
 * timeline's per-second `market` figures. Exact sums and exact percentiles over every value, so a
 * summary and a comparison built from the same timeline agree.
 */

const round2 = (x: number) => Math.round(x * 100) / 100;
const round3 = (x: number) => Math.round(x * 1000) / 1000;
const finite = (v: unknown): number => (typeof v === "number" && Number.isFinite(v) ? v : 0);

/** A timeline line's market second, when it carries one that looks like one. */
export function marketOf(p: Partial<TimelinePoint>): MarketSecond | undefined {
  const m = p.market;
  return m !== null && typeof m === "object" && m.symbols !== null && typeof m.symbols === "object"
    ? m
    : undefined;
}

/**
 * The value at percentile `p` (0..100) by nearest rank: the smallest value with at least p % of
 * the values at or under it; null without values.
 */
export function nearestRank(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  // The epsilon keeps 0.99 x 100 (99.00000000000001 in floating point) at rank 99.
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length - 1e-9));
  return sorted[Math.min(sorted.length, rank) - 1] as number;
}

/**
 * The oracle margin used: run.json's, else the mode whose price the collateral's `oracle` price
 * matched most closely (runs recorded before run.json carried it). Without collateral every mode
 * values the same (nothing), so the first mode stands for all.
 */
export function oracleOf(
  run: Record<string, unknown> | undefined,
  seconds: readonly MarketSecond[],
): OracleMode {
  if (isOracleMode(run?.oracle)) return run.oracle;
  const distance: Record<OracleMode, number> = { "internal-spot": 0, "index-twap": 0, "conversion-rate": 0 };
  for (const s of seconds)
    for (const c of Object.values(s.collateral ?? {})) {
      distance["internal-spot"] += Math.abs(finite(c.oracle) - finite(c.spot));
      distance["index-twap"] += Math.abs(finite(c.oracle) - finite(c.indexTwap));
      distance["conversion-rate"] += Math.abs(finite(c.oracle) - finite(c.conversionRate));
    }
  return ORACLE_MODES.reduce((best, m) => (distance[m] < distance[best] ? m : best), ORACLE_MODES[0]);
}

/** summary.json `market`; undefined when no line of the timeline carries `market`. */
export function marketSummary(
  timeline: ReadonlyArray<Partial<TimelinePoint>>,
  run?: Record<string, unknown>,
): MarketSummary | undefined {
  const seconds = timeline.map(marketOf).filter((m): m is MarketSecond => m !== undefined);
  const first = seconds[0];
  const last = seconds[seconds.length - 1];
  if (first === undefined || last === undefined) return undefined;
  let liquidations = 0;
  let liquidationsShown = 0;
  for (const p of timeline) {
    liquidations += finite(p.liquidations);
    liquidationsShown += finite(p.liquidationsShown);
  }
  let liquidated = 0;
  let shock = 0;
  const stops = { triggered: 0, filled: 0, refused: 0, late: 0 };
  const slippageBps: number[] = [];
  let fundMin = Number.POSITIVE_INFINITY;
  const adl = { events: 0, notional: 0 };
  const adlAccounts = new Set<number>();
  let makerRequests = 0;
  let makerRequestsRefused = 0;
  for (const s of seconds) {
    for (const sym of Object.values(s.symbols)) liquidated += finite(sym.liquidatedNotionalUsdt);
    shock += finite(s.shockNotionalUsdt);
    stops.triggered += finite(s.stops?.triggered);
    stops.filled += finite(s.stops?.filled);
    stops.refused += finite(s.stops?.refused);
    stops.late += finite(s.stops?.late);
    for (const v of s.stops?.slippageBps ?? []) if (Number.isFinite(v)) slippageBps.push(v);
    fundMin = Math.min(fundMin, finite(s.insuranceFund?.minUsdt));
    adl.events += finite(s.adlEvents);
    adl.notional += finite(s.adlNotionalUsdt);
    for (const a of s.adlAccounts ?? []) adlAccounts.add(a);
    makerRequests += finite(s.makerRequests);
    makerRequestsRefused += finite(s.makerRequestsRefused);
  }
  const bps = (p: number) => {
    const v = nearestRank(slippageBps, p);
    return v === null ? null : round3(v);
  };
  return {
    oracle: oracleOf(run, seconds),
    liquidations,
    liquidationsShown,
    liquidatedNotional: round2(liquidated),
    shockNotional: round2(shock),
    amplification: shock > 0 ? round3(liquidated / shock) : null,
    stopLosses: { ...stops, slippageBps: { p50: bps(50), p99: bps(99) } },
    insuranceFund: {
      start: round2(finite(first.insuranceFund?.openUsdt)),
      min: round2(fundMin),
      end: round2(finite(last.insuranceFund?.closeUsdt)),
    },
    adl: { events: adl.events, notional: round2(adl.notional), accounts: adlAccounts.size },
    makerRequests,
    makerRequestsRefused,
  };
}

/** Stops that did not protect their owner: refused, placed too late, or triggered without a fill. */
export function failedStops(m: MarketSummary): number {
  const s = m.stopLosses;
  return s.refused + s.late + Math.max(0, s.triggered - s.filled);
}
