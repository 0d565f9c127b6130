/**
 * The vocabulary of the capacity and provisioning model (design.md "Vocabulary": strategy).
 * Shared by the drill (real-time queueing, control loops compressed by the time scale), the
 * simulator (everything in virtual time) and the reporter (timeline.jsonl). Plain data only.
 *
 * Times here are NATURAL seconds since the start of the drill or simulation (the profile's
 * clock): control loops and faults live in natural time; only queueing runs in wall time.
 */

/**
 * The provisioned tiers. `gateway` serves orders and depth (then orders pass the sequencer);
 * `read` is the read-replica tier that serves position and account reads.
 */
export const TIERS = ["gateway", "read"] as const;
export type TierName = (typeof TIERS)[number];

/** How one tier is sized for normal load: instances, and requests each serves at once. */
export interface TierSizing {
  /** Instances that normal load needs (what `fixed` runs and `overprovisioned` multiplies). */
  baselineInstances: number;
  /** Requests one instance serves concurrently (workers per instance). */
  concurrencyPerInstance: number;
}

/**
 * Target tracking (reference.md "Scaling lag"): AWS-like (CloudWatch period, datapoints to
 * alarm, boot + warm-up, cooldown) and HPA-like (15 s sync, 10% tolerance, max(100%, 4 pods)
 * per sync, 300 s scale-down stabilisation) are two presets of this one policy.
 */
export interface TargetTrackingPolicy {
  kind: "target-tracking";
  /**
   * What is tracked. `utilisation`: busy fraction of ready capacity, capped at 1 like CPU (an
   * overloaded fleet reads 100%, so each decision at most multiplies by 1/target).
   * `demand`: offered work over ready capacity, can exceed 1 (like ALB request count per target).
   */
  metric: "utilisation" | "demand";
  /** Desired value of the metric, 0..1. */
  targetUtilisation: number;
  /** Within this relative distance of the target nothing happens (HPA tolerance 0.1). */
  tolerance: number;
  /** Length of one metric datapoint, natural s (CloudWatch 60 detailed / 300 basic; HPA sync 15). */
  metricPeriodS: number;
  /** Consecutive datapoints above target before scaling out (AWS about 3). */
  datapointsToScaleOut: number;
  /** Consecutive datapoints below target before scaling in (AWS about 15). */
  datapointsToScaleIn: number;
  /** Launch to running, natural s (VM about 25-30 s; pod about 5 s). */
  bootS: number;
  /** Running to serving: application bootstrap / warm-up, natural s. */
  warmupS: number;
  /** After a scale-out, no further scale-out for this long, natural s (simple scaling 300). */
  cooldownS: number;
  /** Largest step per decision: max(current x maxStepPercent/100, minStepInstances) added. */
  maxStepPercent: number;
  minStepInstances: number;
  minInstances: number;
  maxInstances: number;
  /** Scale in only to the highest recommendation of this window, natural s (HPA 300). */
  scaleInStabilisationS: number;
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
 * Priority load shedding (reference.md: 503 -1008 applies to new orders; reduce-only,
 * close-position and cancels are exempt; Solana 2024: spam starved priority traffic).
 */
export interface SheddingPolicy {
  /** Fraction of each tier's ready workers reserved for priority requests (cancels, reduce-only, liquidations). */
  reservedFraction: number;
  /** New (non-priority) requests are shed with 503 -1008 once the queue holds this fraction of maxQueue. */
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

/** Faults scripted in a profile, natural seconds from the start. */
export type FaultSpec =
  /** A fraction of every tier's instances is gone at atS and back (ready) after durationS. */
  | { kind: "zone-outage"; atS: number; durationS: number; fraction: number }
  /** A dependency fails: this fraction of requests answer 503 -1001 (reason `error`) for durationS. */
  | { kind: "dependency-errors"; atS: number; durationS: number; errorRate: number }
  /** Read replicas lost at atS for good; only a scaling policy brings them back (minutes). */
  | { kind: "replica-loss"; atS: number; replicas: number }
  /**
   * The whole region goes at atS: no capacity. After detectionDelayS the standby region is
   * promoted; it serves after failoverS more, at baseline size (warm standby).
   */
  | { kind: "region-failover"; atS: number; detectionDelayS: number; failoverS: number };

export type FaultKind = FaultSpec["kind"];
export const FAULT_KINDS: readonly FaultKind[] = [
  "zone-outage",
  "dependency-errors",
  "replica-loss",
  "region-failover",
];

export type CapacityEventKind =
  | "scale-out" // decision taken: instances launched
  | "scale-in" // decision taken: instances terminated
  | "instances-ready" // launched instances finished boot + warm-up
  | "fault-start"
  | "fault-end"
  | "failover"; // standby region promoted

export interface CapacityEvent {
  /** Natural seconds since the start. */
  atS: number;
  kind: CapacityEventKind;
  tier?: TierName;
  /** Instances after the event (ready + booting) where it applies. */
  instances?: number;
  detail: string;
}

/** One tier at one moment, as the timeline records it. */
export interface TierState {
  ready: number;
  booting: number;
  /** Ready workers (ready instances x concurrency), after faults. */
  workers: number;
}
