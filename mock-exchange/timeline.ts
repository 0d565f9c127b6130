import * as hdr from "hdr-histogram-js";
import type { RejectReason, TimelinePoint, TrafficClass } from "../reports/model.ts";

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

export interface CapacitySnapshot {
  queueDepth: number;
  busyWorkers: number;
  workers: number;
  busyMs: number;
  replicaLagMs: number;
  replicaBacklog: number;
}

const MAX_SECONDS_KEPT = 6 * 3600;

export class Timeline {
  private readonly points: TimelinePoint[] = [];
  private offered = 0;
  private admitted = 0;
  private served = 0;
  private queueDepthMax = 0;
  private staleReadsServed = 0;
  private readonly rejected: Partial<Record<RejectReason, number>> = {};
  private readonly byClass: Partial<Record<TrafficClass, ClassCounters>> = {};
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
    if (cls !== undefined) this.classCounters(cls).rejected++;
    this.residenceUs.recordValue(Math.max(1, Math.round(residenceMs * 1000)));
  }

  staleRead(): void {
    this.staleReadsServed++;
  }

  /** Closes wall second `second` (counted from the origin) and starts the next. */
  closeSecond(second: number, capacity: CapacitySnapshot): TimelinePoint {
    const point: TimelinePoint = {
      tsMs: this.originMs + (second + 1) * 1000,
      tWallS: second + 1,
      offered: this.offered,
      admitted: this.admitted,
      served: this.served,
      rejected: { ...this.rejected },
      byClass: structuredClone(this.byClass),
      queueDepth: capacity.queueDepth,
      queueDepthMax: Math.max(this.queueDepthMax, capacity.queueDepth),
      busyWorkers: capacity.busyWorkers,
      workers: capacity.workers,
      utilisation: capacity.workers > 0 ? Math.min(1, capacity.busyMs / (capacity.workers * 1000)) : 0,
      replicaLagMs: Math.round(capacity.replicaLagMs),
      replicaBacklog: capacity.replicaBacklog,
      staleReadsServed: this.staleReadsServed,
      serverP99Ms: this.residenceUs.totalCount > 0 ? this.residenceUs.getValueAtPercentile(99) / 1000 : null,
    };
    this.points.push(point);
    if (this.points.length > MAX_SECONDS_KEPT) this.points.shift();
    this.offered = 0;
    this.admitted = 0;
    this.served = 0;
    this.queueDepthMax = 0;
    this.staleReadsServed = 0;
    for (const key of Object.keys(this.rejected)) delete this.rejected[key as RejectReason];
    for (const key of Object.keys(this.byClass)) delete this.byClass[key as TrafficClass];
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
