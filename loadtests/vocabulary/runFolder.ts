import type { CapacityEvent, TierName, TierState } from "./capacity.ts";
import type { MarketSecond } from "./market.ts";
import type { RejectReason, TrafficClass } from "./traffic.ts";

/**
 * Types of the run folder (`runs/<id>/`) that more than one part writes or reads: the server's
 * timeline.jsonl (written by the mock exchange and the simulators, read by the reporter) and the
 * plan's phases in run.json (written by the orchestrator, read by the reporter).
 */

/** One phase of run.json's `plan` on the wall clock: seconds since the start, multiples of normal. */
export interface WallPhase {
  name: string;
  startS: number;
  endS: number;
  fromMultiple: number;
  toMultiple: number;
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
   * per second (docs/facts.md "Liquidation stream"), counted whether or not anybody listens.
   */
  liquidationsShown?: number;
  /**
   * The market this second (mock-exchange/market/): prices by every oracle, depth near the mid,
   * liquidated notional, the insurance fund, makers' refused requests, ADL and stops. Absent when
   * the venue runs no market model (no `market` in the profile) and in timelines written before it.
   */
  market?: MarketSecond;
}
