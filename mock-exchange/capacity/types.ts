import type { CapacityEvent, TierName, TierState } from "../../loadtests/vocabulary/capacity.ts";

/**
 * The capacity and provisioning model's own types (docs/architecture.md "Vocabulary": strategy): scaling
 * and shedding policies, resolved strategies, and what the model hands the timeline each second.
 * Shared by the drill (real-time queueing, control loops compressed by the time scale) and the
 * simulator (everything in virtual time). Plain data only. The words profiles and the run folder
 * share (tiers, faults, capacity events) are the vocabulary's (loadtests/vocabulary/capacity.ts).
 *
 * Times here are NATURAL seconds since the start of the drill or simulation (the profile's
 * clock): control loops and faults live in natural time; only queueing runs in wall time.
 */

/**
 * What a target-tracking policy shares with the presets that fix it (strategies.ts
 * `TargetTrackingParams`, a venue file's `strategyParams.reactive`): declared once, with the
 * rules a venue file is checked against.
 */
export interface TargetTrackingTunables {
  /**
   * What is tracked. `utilisation`: busy fraction of ready capacity, capped at 1 like CPU (an
   * overloaded fleet reads 100%, so each decision at most multiplies by 1/target).
   * `demand`: offered work over ready capacity, can exceed 1 (like ALB request count per target).
   */
  metric: "utilisation" | "demand";
  /**
   * Desired value of the metric, 0..1.
   * @exclusiveMinimum 0
   * @maximum 1
   */
  targetUtilisation: number;
  /**
   * Within this relative distance of the target nothing happens (HPA tolerance 0.1).
   * @minimum 0
   * @maximum 1
   */
  tolerance: number;
  /**
   * Length of one metric datapoint, natural s (CloudWatch 60 detailed / 300 basic; HPA sync 15).
   * @exclusiveMinimum 0
   */
  metricPeriodS: number;
  /**
   * Consecutive datapoints above target before scaling out (AWS about 3).
   * @asType integer
   * @minimum 1
   */
  datapointsToScaleOut: number;
  /**
   * Consecutive datapoints below target before scaling in (AWS about 15).
   * @asType integer
   * @minimum 1
   */
  datapointsToScaleIn: number;
  /**
   * Launch to running, natural s (VM about 25-30 s; pod about 5 s).
   * @minimum 0
   */
  bootS: number;
  /**
   * Running to serving: application bootstrap / warm-up, natural s.
   * @minimum 0
   */
  warmupS: number;
  /**
   * After a scale-out, no further scale-out for this long, natural s (simple scaling 300).
   * @minimum 0
   */
  cooldownS: number;
  /**
   * Largest step per decision, percent of the current fleet (or minStepInstances if larger).
   * @minimum 0
   */
  maxStepPercent: number;
  /**
   * Scale in only to the highest recommendation of this window, natural s (HPA 300).
   * @minimum 0
   */
  scaleInStabilisationS: number;
}

/**
 * Target tracking (docs/facts.md "Scaling lag"): AWS-like (CloudWatch period, datapoints to
 * alarm, boot + warm-up, cooldown) and HPA-like (15 s sync, 10% tolerance, max(100%, 4 pods)
 * per sync, 300 s scale-down stabilisation) are two presets of this one policy.
 */
export interface TargetTrackingPolicy extends TargetTrackingTunables {
  kind: "target-tracking";
  minStepInstances: number;
  minInstances: number;
  maxInstances: number;
}

export interface FixedPolicy {
  kind: "fixed";
  instances: number;
}

/** Pre-scale at known times (a planned event), natural s from the start. */
export interface ScheduledPolicy {
  kind: "scheduled";
  /** Instances before the first step. */
  instances: number;
  /** Each step launches (or terminates) instances at atS; launched ones boot + warm up. */
  steps: Array<{ atS: number; instances: number }>;
  bootS: number;
  warmupS: number;
}

export type ScalingPolicy = FixedPolicy | TargetTrackingPolicy | ScheduledPolicy;

/**
 * Priority load shedding (docs/facts.md: 503 -1008 applies to new orders; reduce-only,
 * close-position and cancels are exempt; Solana 2024: spam starved priority traffic).
 */
export interface SheddingPolicy {
  /**
   * Fraction of each tier's ready workers reserved for priority requests (cancels, reduce-only, liquidations).
   * @minimum 0
   * @maximum 1
   */
  reservedFraction: number;
  /**
   * New (non-priority) requests are shed with 503 -1008 once the queue holds this fraction of maxQueue.
   * @minimum 0
   * @maximum 1
   */
  newOrderQueueFraction: number;
}

/** A named, documented strategy after presets and combinations (`reactive+priority-shedding`) are resolved. */
export interface ResolvedStrategy {
  /** As given on the command line, e.g. `reactive+priority-shedding`. */
  name: string;
  description: string;
  tiers: Record<TierName, ScalingPolicy>;
  /** null when shedding is off: every request waits in one FIFO queue. */
  shedding: SheddingPolicy | null;
}

/** A tier's state at the end of a second, as the capacity model reports it to the timeline. */
export interface CapacitySnapshotTier extends TierState {
  utilisation: number;
  queueDepth: number;
}

/** What the capacity model hands the timeline when a second closes. */
export interface CapacitySnapshot {
  tNaturalS: number;
  /** Gateway workers busy at the end of the second. */
  busyWorkers: number;
  tiers: Record<TierName, CapacitySnapshotTier>;
  costInstanceMinutes: Record<TierName, number>;
  events: CapacityEvent[];
  replicaLagMs: number;
  replicaBacklog: number;
}

// Moved to the vocabulary; re-exported for one step for modules other changes are moving now.
export {
  type CapacityEvent,
  type CapacityEventKind,
  FAULT_KINDS,
  type FaultKind,
  type FaultSpec,
  TIERS,
  type TierName,
  type TierSizing,
  type TierState,
} from "../../loadtests/vocabulary/capacity.ts";
