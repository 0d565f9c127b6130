import * as hdr from "hdr-histogram-js";
import type { TimelinePoint } from "../loadtests/vocabulary/runFolder.ts";
import type { RejectReason, TrafficClass } from "../loadtests/vocabulary/traffic.ts";
import type { CapacitySnapshot } from "./capacity/types.ts";

/**
 * The server's own account of each wall second: what arrived, what it admitted, served and
 * refused (by reason and class), and how the capacity model looked. One line per second in
 * `timeline.jsonl`; the reporter lines it up with the client-side samples.
 */

interface ClassCounters {
  offered: number;
  served: number;
  rejected: number;
}

/**
 * Closed seconds kept for `GET /__stampede/timeline?since=S`, oldest dropped first: a drill's
 * orchestrator fetches every second as it closes (and writes timeline.jsonl), so this is only for
 * late readers of a long `stampede serve`. One point is ~1.1 KB of heap: 6 wall hours are ~24 MB.
 */
const MAX_SECONDS_KEPT = 6 * 3600;

export class Timeline {
  private readonly points: TimelinePoint[] = [];
  private offered = 0;
  private admitted = 0;
  private served = 0;
  private queueDepthMax = 0;
  private staleReadsServed = 0;
  private liquidations = 0;
  private liquidationsShown = 0;
  private readonly rejected: Partial<Record<RejectReason, number>> = {};
  private readonly byClass: Partial<Record<TrafficClass, ClassCounters>> = {};
  private readonly rejectedByClass: Partial<Record<TrafficClass, Partial<Record<RejectReason, number>>>> = {};
  // Time in the system (queue + service) of responses sent this second, in microseconds.
  private readonly residenceUs = hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 3_600_000_000,
    numberOfSignificantValueDigits: 3,
  });

  constructor(private readonly originMs: number) {}

  arrival(cls: TrafficClass | undefined): void {
    this.offered++;
    if (cls !== undefined) this.classCounters(cls).offered++;
  }

  admittedOne(queueDepth: number): void {
    this.admitted++;
    if (queueDepth > this.queueDepthMax) this.queueDepthMax = queueDepth;
  }

  /** A response the client will count as served (2xx), with its time in the system. */
  servedOne(cls: TrafficClass | undefined, residenceMs: number): void {
    this.served++;
    if (cls !== undefined) this.classCounters(cls).served++;
    this.residenceUs.recordValue(Math.max(1, Math.round(residenceMs * 1000)));
  }

  rejectedOne(cls: TrafficClass | undefined, reason: RejectReason, residenceMs: number): void {
    this.rejected[reason] = (this.rejected[reason] ?? 0) + 1;
    if (cls !== undefined) {
      this.classCounters(cls).rejected++;
      let byReason = this.rejectedByClass[cls];
      if (byReason === undefined) {
        byReason = {};
        this.rejectedByClass[cls] = byReason;
      }
      byReason[reason] = (byReason[reason] ?? 0) + 1;
    }
    this.residenceUs.recordValue(Math.max(1, Math.round(residenceMs * 1000)));
  }

  staleRead(): void {
    this.staleReadsServed++;
  }

  /** A liquidation order; `shown` when the forceOrder feed's throttle will publish it (forceOrderThrottle.ts). */
  liquidation(shown: boolean): void {
    this.liquidations++;
    if (shown) this.liquidationsShown++;
  }

  /** Closes wall second `second` (counted from the origin) and starts the next. */
  closeSecond(second: number, capacity: CapacitySnapshot): TimelinePoint {
    const gateway = capacity.tiers.gateway;
    const point: TimelinePoint = {
      tsMs: this.originMs + (second + 1) * 1000,
      tWallS: second + 1,
      offered: this.offered,
      admitted: this.admitted,
      served: this.served,
      rejected: { ...this.rejected },
      byClass: structuredClone(this.byClass),
      queueDepth: gateway.queueDepth,
      queueDepthMax: Math.max(this.queueDepthMax, gateway.queueDepth),
      busyWorkers: capacity.busyWorkers,
      workers: gateway.workers,
      utilisation: gateway.utilisation,
      replicaLagMs: Math.round(capacity.replicaLagMs),
      replicaBacklog: capacity.replicaBacklog,
      staleReadsServed: this.staleReadsServed,
      serverP99Ms: this.residenceUs.totalCount > 0 ? this.residenceUs.getValueAtPercentile(99) / 1000 : null,
      tNaturalS: Math.round(capacity.tNaturalS * 1000) / 1000,
      rejectedByClass: structuredClone(this.rejectedByClass),
      tiers: capacity.tiers,
      costInstanceMinutes: {
        gateway: round3(capacity.costInstanceMinutes.gateway),
        read: round3(capacity.costInstanceMinutes.read),
      },
      events: capacity.events,
      liquidations: this.liquidations,
      liquidationsShown: this.liquidationsShown,
    };
    this.points.push(point);
    if (this.points.length > MAX_SECONDS_KEPT) this.points.shift();
    this.offered = 0;
    this.admitted = 0;
    this.served = 0;
    this.queueDepthMax = 0;
    this.staleReadsServed = 0;
    this.liquidations = 0;
    this.liquidationsShown = 0;
    for (const key of Object.keys(this.rejected)) delete this.rejected[key as RejectReason];
    for (const key of Object.keys(this.byClass)) delete this.byClass[key as TrafficClass];
    for (const key of Object.keys(this.rejectedByClass)) delete this.rejectedByClass[key as TrafficClass];
    this.residenceUs.reset();
    return point;
  }

  /** Closed seconds with tWallS > sinceS. */
  since(sinceS: number): TimelinePoint[] {
    return this.points.filter((p) => p.tWallS > sinceS);
  }

  private classCounters(cls: TrafficClass): ClassCounters {
    let c = this.byClass[cls];
    if (c === undefined) {
      c = { offered: 0, served: 0, rejected: 0 };
      this.byClass[cls] = c;
    }
    return c;
  }
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
