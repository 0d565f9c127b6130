import type { CapacityEvent } from "../loadtests/vocabulary/capacity.ts";
import type { MarketSummary } from "../loadtests/vocabulary/market.ts";
import type { TimelinePoint } from "../loadtests/vocabulary/runFolder.ts";
import type { RejectReason, TrafficClass } from "../loadtests/vocabulary/traffic.ts";
import type { Outcome } from "./outcomes.ts";
import type { ScaleOutLag } from "./scalingLag.ts";

/**
 * The data the reporter works on. Everything here is derived from the files in
 * `runs/<id>/` (k6.csv.gz, timeline.jsonl, generator.jsonl, run.json) and nothing else,
 * so a report can be re-rendered, merged or compared later. The words it shares with the k6
 * scripts and the venue (traffic classes, reject reasons, the timeline's lines) are the
 * vocabulary's (loadtests/vocabulary/).
 */

// Moved to the vocabulary; re-exported for one step so modules being moved elsewhere still compile.
export type { TimelinePoint } from "../loadtests/vocabulary/runFolder.ts";
export {
  REJECT_REASONS,
  type RejectReason,
  TRAFFIC_CLASSES,
  type TrafficClass,
} from "../loadtests/vocabulary/traffic.ts";

export interface LatencyPercentilesMs {
  p50: number;
  p90: number;
  /** Optional only because summaries written before it lack it. */
  p95?: number;
  p99: number;
  p999: number;
  max: number;
  /** Mean latency, ms (HdrHistogram's mean). Optional only because summaries written before it lack it. */
  mean?: number;
}

/** Requests of one outcome (reports/outcomes.ts) and their own latency percentiles. */
export interface OutcomeSummary {
  requests: number;
  latencyMs: LatencyPercentilesMs;
}

/** Served (2xx) requests and the requests of each outcome that occurred, apart. */
export interface OutcomeBreakdown {
  /** 2xx only: refusals answered at once do not pull the percentiles down. */
  served?: OutcomeSummary;
  byOutcome?: Partial<Record<Outcome, OutcomeSummary>>;
}

export interface ClassSummary extends OutcomeBreakdown {
  requests: number;
  latencyMs: LatencyPercentilesMs;
  rejected: { total: number; byReason: Partial<Record<RejectReason, number>> };
}

/**
 * How much of a phase the run's client data covers: `full`, `partial` (the run ended inside it)
 * or `none` (the run ended before it began). A complete run covers every phase fully.
 */
export type PhaseCoverage = "none" | "partial" | "full";

export interface PhaseSummary extends OutcomeBreakdown {
  name: string;
  /** Seconds since the test's t0 (wall clock). */
  startS: number;
  endS: number;
  /** Load multiple of normal at the phase's end (profiles speak in multiples). */
  multiple: number;
  /** Optional only because summaries written before it lack it (read a missing one as `full`). */
  coverage?: PhaseCoverage;
  /** 0 for a phase that did not run. */
  requests: number;
  /** null when the phase did not run (coverage `none`): not measured is not zero. */
  latencyMs: LatencyPercentilesMs | null;
  /** null when the phase did not run (coverage `none`). */
  rejected: ClassSummary["rejected"] | null;
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
  /**
   * Served (2xx) requests alone; null when the client data carry no outcomes (logs written
   * before them). Optional only because summaries written before it lack it.
   */
  served?: OutcomeSummary | null;
  /** Requests by outcome, each with its own percentiles; absent without outcome data. */
  byOutcome?: Partial<Record<Outcome, OutcomeSummary>>;
  rejected: {
    total: number;
    rate: number;
    byReason: Partial<Record<RejectReason, number>>;
    /** Refused by policy (429, 418); rate over all requests. Optional only for older summaries. */
    policy?: { total: number; rate: number };
    /** Refused for lack of capacity (503, 408, 502, no response); rate over all requests. */
    capacity?: { total: number; rate: number };
  };
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
  /**
   * True when the drill was stopped by a signal (SIGINT, SIGTERM; run.json `interrupted`).
   * Optional only because summaries written before it lack it.
   */
  interrupted?: boolean;
  /**
   * False when the run was cut short (docs/summary.md "Completeness"): a signal, a failed or
   * killed k6, truncated sample files, a venue reset. Optional only because summaries written
   * before it lack it; readers treat a missing one as true.
   */
  complete?: boolean;
  /** Every cause, `<cause>: <detail>`, joined with "; "; present only when `complete` is false. */
  incompleteReason?: string;
  /** The same causes one by one; present only when `complete` is false. */
  incompleteReasons?: string[];
  /** Provisioning strategy (run.json `strategy`, a name or `{name}`); null when the run does not say. */
  strategy: string | null;
  /** True for a `stampede simulate` run (run.json `simulated: true`): virtual time, no k6 samples. */
  simulated: boolean;
  /**
   * What the capacity cost, in natural instance-minutes (ready + booting), from the last
   * timeline line that has `costInstanceMinutes`; zeros when the timeline has none.
   */
  cost: { instanceMinutes: { gateway: number; read: number; total: number } };
  /**
   * Each scale-out's lag in natural time, from demand crossing the strategy's target to the
   * capacity being ready (reports/scalingLag.ts). Optional only because summaries written
   * before it lack it.
   */
  capacity?: { scaleOuts: ScaleOutLag[] };
  /** Every capacity event of the timeline (scale decisions, instances ready, faults), in order. */
  events: CapacityEvent[];
  /**
   * The market outcome (docs/summary.md "market"), summed from the timeline's `market` seconds;
   * absent when the venue ran no market model.
   */
  market?: MarketSummary;
}

/** One wall-clock second of client-side (k6) data, t = seconds since t0. */
export interface SecondPoint {
  t: number;
  requests: number;
  /** null when no request completed in that second. */
  latencyMs: LatencyPercentilesMs | null;
  byClass: Partial<Record<TrafficClass, { requests: number; p99Ms: number | null }>>;
  /** The second's requests by outcome with their p99; absent without outcome data. */
  byOutcome?: Partial<Record<Outcome, { requests: number; p99Ms: number | null }>>;
  rejectedByReason: Partial<Record<RejectReason, number>>;
  staleReads: number;
  staleChecked: number;
  /** Highest stale age seen in that second, ms; null when none. */
  staleAgeMaxMs: number | null;
  droppedIterations: number;
  /** Lateness of the iterations started in that second, ms (k6 output extension runs only). */
  lateMs?: { p99: number; max: number };
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
