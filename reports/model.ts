import type { CapacityEvent, TierName, TierState } from "../mock-exchange/capacity/types.ts";

/**
 * The data the reporter works on. Everything here is derived from the files in
 * `runs/<id>/` (k6.csv.gz, timeline.jsonl, generator.jsonl, run.json) and nothing else,
 * so a report can be re-rendered, merged or compared later.
 */

/** Traffic classes, see design.md "Vocabulary". */
export const TRAFFIC_CLASSES = ["order", "position", "depth"] as const;
export type TrafficClass = (typeof TRAFFIC_CLASSES)[number];

/** Reject reasons, see design.md "Vocabulary". */
export const REJECT_REASONS = [
  "rate_limited", // 429
  "banned", // 418
  "overloaded", // 503 -1008
  "timeout", // 503 -1007, 408, or the client's own timeout
  "order_rejected", // 400 from the engine (unknown order, would-immediately-trigger, ...)
  "error", // anything else: other 5xx, connection errors
] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];

export interface LatencyPercentilesMs {
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
}

export interface ClassSummary {
  requests: number;
  latencyMs: LatencyPercentilesMs;
  rejected: { total: number; byReason: Partial<Record<RejectReason, number>> };
}

export interface PhaseSummary extends ClassSummary {
  name: string;
  /** Seconds since the test's t0 (wall clock). */
  startS: number;
  endS: number;
  /** Load multiple of normal at the phase's end (profiles speak in multiples). */
  multiple: number;
}

export interface Summary {
  requests: number;
  latencyMs: LatencyPercentilesMs;
  byClass: Partial<Record<TrafficClass, ClassSummary>>;
  /**
   * Per endpoint (k6's `name` tag, e.g. "POST /fapi/v1/order"), names sorted; empty when the
   * samples carry no names (simulated runs). Rejects count here only when the reject sample
   * carries the name too. Optional only because summaries written before it lack it.
   */
  byEndpoint?: Record<string, ClassSummary>;
  byPhase: PhaseSummary[];
  /**
   * Burst-scoped figures (docs/summary.md "burst"); null when the profile has no burst.
   * Optional only because summaries written before it lack it.
   */
  burst?: {
    /** The burst phase: named "burst", else the first phase reaching the highest multiple. */
    phase: string;
    startS: number;
    endS: number;
    /** The last phase before the burst at the lowest multiple; null when none. */
    preBurstPhase: string | null;
    /** Start of the rise: the first phase after the pre-burst one whose multiple grows. */
    riseStartS: number;
    /** p99 of the burst phase's merged histogram, ms; null when it had no requests. */
    p99Ms: number | null;
    /** p99 of the pre-burst phase's merged histogram, ms; null when none or no requests. */
    preBurstP99Ms: number | null;
    /** Seconds from the rise's start to the first second with a capacity reject; null if none. */
    timeToFirstRejectS: number | null;
    /** Seconds from the burst's end to the first second whose p99 <= the pre-burst p99; null if never. */
    timeToRecoverS: number | null;
    /** Seconds from the burst's end until queue depth is 0 and replica lag is back to its pre-burst max. */
    backlogDrainS: number | null;
    /** Highest replica lag from the rise on, ms; null without a timeline. */
    peakReplicaLagMs: number | null;
  } | null;
  rejected: { total: number; rate: number; byReason: Partial<Record<RejectReason, number>> };
  staleReads: {
    /** Reads whose returned position was older than a change the client already had acknowledged. */
    count: number;
    /** Reads that had an acknowledged change to check against. */
    checked: number;
    rate: number;
    ageMs: { p50: number; p99: number; max: number };
  };
  droppedIterations: number;
  /**
   * Latency from each request's scheduled start (its iteration's lateness plus its duration, as
   * wrk2 reports it), ms; null when lateness was not measured (csv-only or simulated runs).
   */
  correctedLatencyMs?: LatencyPercentilesMs | null;
  generator: {
    /** Mean CPU use of the k6 process over the run, in cores (1.0 = one core busy). */
    k6CpuCores: number;
    /** Highest per-second CPU use of k6, in cores. */
    k6CpuCoresMax: number;
    /** Highest per-second CPU use of the exchange (stampede) process, in cores; 1.0 saturates its event loop. */
    exchangeCpuCoresMax: number;
    /** Highest resident memory of k6, MB. */
    k6RssMbMax: number;
    /**
     * How far behind the arrival schedule k6 started iterations, ms (k6 output extension); null
     * when not measured (csv-only or simulated runs). p99 above 10 ms is a generator warning.
     */
    lateMs?: { p50: number; p99: number; max: number } | null;
    /** True when k6 itself was probably the bottleneck (dropped iterations, or a saturated core). */
    bottleneck: boolean;
    warnings: string[];
  };
  durationS: number;
  /** Provisioning strategy (run.json `strategy`, a name or `{name}`); null when the run does not say. */
  strategy: string | null;
  /** True for a `stampede simulate` run (run.json `simulated: true`): virtual time, no k6 samples. */
  simulated: boolean;
  /**
   * What the capacity cost, in natural instance-minutes (ready + booting), from the last
   * timeline line that has `costInstanceMinutes`; zeros when the timeline has none.
   */
  cost: { instanceMinutes: { gateway: number; read: number; total: number } };
  /** Every capacity event of the timeline (scale decisions, instances ready, faults), in order. */
  events: CapacityEvent[];
}

/** One wall-clock second of client-side (k6) data, t = seconds since t0. */
export interface SecondPoint {
  t: number;
  requests: number;
  /** null when no request completed in that second. */
  latencyMs: LatencyPercentilesMs | null;
  byClass: Partial<Record<TrafficClass, { requests: number; p99Ms: number | null }>>;
  rejectedByReason: Partial<Record<RejectReason, number>>;
  staleReads: number;
  staleChecked: number;
  /** Highest stale age seen in that second, ms; null when none. */
  staleAgeMaxMs: number | null;
  droppedIterations: number;
  /** Lateness of the iterations started in that second, ms (k6 output extension runs only). */
  lateMs?: { p99: number; max: number };
}

/** One line of the server's timeline.jsonl (one per wall second). */
export interface TimelinePoint {
  /** Unix ms at the end of the second. */
  tsMs: number;
  /** Seconds since the exchange started (wall). */
  tWallS: number;
  offered: number;
  admitted: number;
  served: number;
  rejected: Partial<Record<RejectReason, number>>;
  byClass: Partial<Record<TrafficClass, { offered: number; served: number; rejected: number }>>;
  queueDepth: number;
  queueDepthMax: number;
  busyWorkers: number;
  workers: number;
  /** Fraction of worker-time busy during the second (0..1). */
  utilisation: number;
  replicaLagMs: number;
  replicaBacklog: number;
  staleReadsServed: number;
  /** Server-side time in the system (queue + service), ms, p99 over the second; null when idle. */
  serverP99Ms: number | null;
  /** Natural seconds since the start at the end of this second (tWallS x time scale). */
  tNaturalS: number;
  /** Refusals by class and reason (the `rejected` map split per class). */
  rejectedByClass: Partial<Record<TrafficClass, Partial<Record<RejectReason, number>>>>;
  /** Each provisioned tier at the end of the second (queueDepth/utilisation above are the gateway's). */
  tiers: Record<TierName, TierState & { utilisation: number; queueDepth: number }>;
  /** Instance-minutes (natural) billed so far, ready + booting, per tier; cumulative. */
  costInstanceMinutes: Record<TierName, number>;
  /** Scale decisions, instances becoming ready, faults: what happened during this second. */
  events: CapacityEvent[];
  /**
   * Liquidation orders the venue executed this second (forced closes, ADL counterparties not
   * included). Absent from timelines written before the liquidation feed existed.
   */
  liquidations?: number;
  /**
   * Of those, how many the public `<symbol>@forceOrder` feed publishes: one snapshot per symbol
   * per second (reference.md "Liquidation stream"), counted whether or not anybody listens.
   */
  liquidationsShown?: number;
}

export interface GeneratorPoint {
  tsMs: number;
  /** CPU used by k6 during the second, in cores. */
  k6CpuCores: number;
  /** CPU used by the stampede process (mock exchange + orchestrator), in cores. */
  exchangeCpuCores: number;
  /** Resident memory of k6, MB (VUs cost memory; sized from the plan's VU counts). */
  k6RssMb?: number;
}

export interface PhaseSpan {
  name: string;
  startS: number;
  endS: number;
  /** Multiple of normal load at phase start and end (linear ramp between). */
  fromMultiple: number;
  toMultiple: number;
}

/** Everything `report.html` shows. Built by reports/ from the run folder only. */
export interface ReportModel {
  runId: string;
  run: Record<string, unknown>;
  summary: Summary;
  seconds: SecondPoint[];
  /** Server timeline re-based to t0, with t = seconds since t0. */
  timeline: Array<TimelinePoint & { t: number }>;
  generator: Array<GeneratorPoint & { t: number }>;
  phases: PhaseSpan[];
  /**
   * Latency percentile spectrum of the whole run: points [x = 1/(1-p), latency ms], read from the
   * run's merged histograms (overall, and each class's own), never from averaged percentiles.
   * Absent from models built without the histograms (the spectrum chart then shows "no data").
   */
  spectrum?: {
    overall: Array<[x: number, ms: number]>;
    byClass: Partial<Record<TrafficClass, Array<[x: number, ms: number]>>>;
  };
}
