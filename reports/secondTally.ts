import type * as hdr from "hdr-histogram-js";
import type { RejectReason, TrafficClass } from "./model.ts";
import type { OutcomeSeconds, OutcomeTally } from "./outcomes.ts";
import { SparseHistogram } from "./sparse.ts";

/**
 * The per-second tally every source (k6 csv, latency.hlog + client.jsonl, a simulation) records
 * into, and the helpers that record into it; reports/rollUp.ts rolls the seconds up.
 */

export type Histogram = hdr.Histogram;

export interface Tally {
  latencyUs: Histogram;
  rejected: Partial<Record<RejectReason, number>>;
  /** The same requests by outcome (reports/outcomes.ts); absent when built without them. */
  byOutcome?: OutcomeTally;
}

export type ReasonCounts = Partial<Record<RejectReason, number>>;

/**
 * One wall-clock second of client data: the unit everything else is rolled up from (with `add`
 * for histograms and sums for counts), and what latency.hlog + client.jsonl store. Its
 * histograms are sparse (see reports/sparse.ts): same buckets and percentiles as HDR ones.
 */
export interface SecondTally {
  /** Every request of the second: the classes' histograms plus the unclassified one. */
  latencyUs: SparseHistogram;
  byClass: Partial<Record<TrafficClass, SparseHistogram>>;
  /** Requests without a known class tag; null when there were none. */
  unclassifiedUs: SparseHistogram | null;
  /** Every reject of the second by reason (= rejectedByClass + rejectedUnclassified). */
  rejected: ReasonCounts;
  rejectedByClass: Partial<Record<TrafficClass, ReasonCounts>>;
  /** Rejects whose sample had no known class tag. */
  rejectedUnclassified: ReasonCounts;
  /**
   * Requests by endpoint (k6's `name` tag, e.g. "POST /fapi/v1/order"): a second breakdown of
   * the same requests as `byClass`, so never added to `latencyUs` again. Requests without a name
   * (simulated runs) are in no endpoint.
   */
  byEndpoint: Map<string, SparseHistogram>;
  /** Rejects by endpoint, then reason (also counted in `rejected`); rejects without a name in none. */
  rejectedByEndpoint: Map<string, ReasonCounts>;
  staleReads: number;
  staleChecked: number;
  /** Ages of the stale reads, ms (values < 1 recorded as 1); null when none. */
  staleAgeMs: SparseHistogram | null;
  /** Highest stale age seen, ms, unrounded; null when none. */
  staleAgeMaxMs: number | null;
  droppedIterations: number;
  /**
   * The second's requests again by class and outcome, keyed `<class>/<outcome>` (see
   * reports/outcomes.ts): a breakdown of `latencyUs`, never added to it.
   */
  byOutcome: OutcomeSeconds;
  /**
   * Written by the k6 output extension only (reports/lateness.ts): how far behind schedule the
   * second's iterations started, µs; latency from each request's scheduled start, µs; the
   * second's highest lateness, ms. Absent (or null) for csv and simulated runs.
   */
  latenessUs?: SparseHistogram | null;
  correctedUs?: SparseHistogram | null;
  lateMsMax?: number | null;
}

/**
 * What the reporter works on. Only `seconds` (and t0) is primary: `overall`, `byClass`,
 * `byPhase`, `staleAgeMs` and the counters are rolled up from it by `rollUp`, so data from the
 * k6 csv and data read back from latency.hlog + client.jsonl give the same summary.
 */
export interface Ingested {
  /** Unix µs of the drill's start (k6 setup() done; a simulation's t0); null if unknown. */
  t0Us: number | null;
  overall: Tally;
  byClass: Partial<Record<TrafficClass, Tally>>;
  /** Per endpoint (k6's `name` tag), from the seconds' `byEndpoint`; empty for simulated runs. */
  byEndpoint: Map<string, Tally>;
  /** Per phase, from the seconds whose middle lies in the phase (see `phaseIndex`). */
  byPhase: Tally[];
  seconds: Map<number, SecondTally>;
  staleReads: number;
  staleChecked: number;
  staleAgeMs: Histogram;
  droppedIterations: number;
  /** Rows seen per metric name in the k6 csv, for cross-checks against the raw file; empty otherwise. */
  rowsByMetric: Map<string, number>;
  /**
   * Sample files that ended mid-stream (a gzip without its trailer, a last record cut mid-line),
   * by file name: read as far as they go, and the run is not complete. Absent: none.
   */
  truncatedFiles?: string[];
}

export function newSecondTally(): SecondTally {
  return {
    latencyUs: new SparseHistogram(),
    byClass: {},
    unclassifiedUs: null,
    rejected: {},
    rejectedByClass: {},
    rejectedUnclassified: {},
    byEndpoint: new Map(),
    rejectedByEndpoint: new Map(),
    staleReads: 0,
    staleChecked: 0,
    staleAgeMs: null,
    staleAgeMaxMs: null,
    droppedIterations: 0,
    byOutcome: new Map(),
  };
}

/** The tally of second t, created empty on first use. */
export function secondTally(seconds: Map<number, SecondTally>, t: number): SecondTally {
  let sec = seconds.get(t);
  if (sec === undefined) {
    sec = newSecondTally();
    seconds.set(t, sec);
  }
  return sec;
}

/**
 * Records `count` requests of latency `us` (µs, >= 1) of a class (undefined: unclassified) and,
 * when given, of an endpoint (k6's `name` tag).
 */
export function recordLatency(
  sec: SecondTally,
  cls: TrafficClass | undefined,
  us: number,
  count = 1,
  endpoint?: string,
): void {
  const v = Math.max(1, Math.round(us));
  sec.latencyUs.recordValueWithCount(v, count);
  if (endpoint !== undefined) {
    let e = sec.byEndpoint.get(endpoint);
    if (e === undefined) {
      e = new SparseHistogram();
      sec.byEndpoint.set(endpoint, e);
    }
    e.recordValueWithCount(v, count);
  }
  let h: SparseHistogram | null | undefined;
  if (cls === undefined) {
    h = sec.unclassifiedUs;
    if (h === null) {
      h = new SparseHistogram();
      sec.unclassifiedUs = h;
    }
  } else {
    h = sec.byClass[cls];
    if (h === undefined) {
      h = new SparseHistogram();
      sec.byClass[cls] = h;
    }
  }
  h.recordValueWithCount(v, count);
}

/** Records n rejects of a reason for a class (undefined: unclassified) and, when given, an endpoint. */
export function recordReject(
  sec: SecondTally,
  cls: TrafficClass | undefined,
  reason: RejectReason,
  n = 1,
  endpoint?: string,
): void {
  bump(sec.rejected, reason, n);
  if (endpoint !== undefined) recordEndpointReject(sec, endpoint, reason, n);
  if (cls === undefined) bump(sec.rejectedUnclassified, reason, n);
  else {
    let counts = sec.rejectedByClass[cls];
    if (counts === undefined) {
      counts = {};
      sec.rejectedByClass[cls] = counts;
    }
    bump(counts, reason, n);
  }
}

/** Adds n rejects to an endpoint's counts only (the totals are recorded by `recordReject`). */
export function recordEndpointReject(
  sec: SecondTally,
  endpoint: string,
  reason: RejectReason,
  n: number,
): void {
  let counts = sec.rejectedByEndpoint.get(endpoint);
  if (counts === undefined) {
    counts = {};
    sec.rejectedByEndpoint.set(endpoint, counts);
  }
  bump(counts, reason, n);
}

/** Records one stale read's age, ms. */
export function recordStaleAge(sec: SecondTally, ageMs: number, count = 1): void {
  if (sec.staleAgeMs === null) sec.staleAgeMs = new SparseHistogram();
  sec.staleAgeMs.recordValueWithCount(Math.max(1, Math.round(ageMs)), count);
  sec.staleAgeMaxMs = Math.max(sec.staleAgeMaxMs ?? 0, ageMs);
}

export function addCounts(into: ReasonCounts, from: ReasonCounts): void {
  for (const [reason, n] of Object.entries(from) as Array<[RejectReason, number]>)
    if (n !== undefined) bump(into, reason, n);
}

export function bump(counts: ReasonCounts, reason: RejectReason, n: number): void {
  counts[reason] = (counts[reason] ?? 0) + n;
}
