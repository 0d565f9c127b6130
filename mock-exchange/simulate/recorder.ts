import type { WallPhase } from "../../loadtests/lib/plan.ts";
import type { TimelinePoint } from "../../loadtests/vocabulary/runFolder.ts";
import type { RejectReason, TrafficClass } from "../../loadtests/vocabulary/traffic.ts";
import {
  type Ingested,
  recordLatency,
  recordReject,
  recordStaleAge,
  rollUp,
  type SecondTally,
  secondTally,
} from "../../reports/ingest.ts";
import { outcomeOfReason, recordOutcome } from "../../reports/outcomes.ts";
import { CLIENT_OVERHEAD_MS } from "./behaviour.ts";
import type { SimulationSink } from "./types.ts";

/**
 * Collects a simulation into the reporter's own per-second form (the same SecondTally a k6 csv
 * is ingested into), so `writeIngested` stores it as latency.hlog + client.jsonl and the report
 * is built exactly as for a drill. Latency is what the client would have seen: the server's time
 * in the system plus the client overhead a drill measures (behaviour.ts CLIENT_OVERHEAD_MS).
 */
export class SimulationRecorder implements SimulationSink {
  readonly seconds = new Map<number, SecondTally>();
  readonly timelinePoints: TimelinePoint[] = [];

  /** @param t0Ms the virtual start, as a Unix time, so files carry real-looking timestamps. */
  constructor(private readonly t0Ms: number) {}

  record(
    tMs: number,
    cls: TrafficClass,
    latencyMs: number,
    n: number,
    reason: RejectReason | undefined,
  ): void {
    if (n <= 0) return;
    const sec = secondTally(this.seconds, Math.floor(tMs / 1000));
    const us = (latencyMs + CLIENT_OVERHEAD_MS) * 1000;
    recordLatency(sec, cls, us, n);
    recordOutcome(sec.byOutcome, cls, outcomeOfReason(reason), us, n);
    if (reason !== undefined) recordReject(sec, cls, reason, n);
  }

  stale(tMs: number, checked: number, stale: number, ageMs: number): void {
    if (checked <= 0) return;
    const sec = secondTally(this.seconds, Math.floor(tMs / 1000));
    sec.staleChecked += checked;
    sec.staleReads += stale;
    if (stale > 0) recordStaleAge(sec, ageMs, stale);
  }

  timeline(point: TimelinePoint): void {
    this.timelinePoints.push({ ...point, tsMs: point.tsMs + this.t0Ms });
  }

  ingested(phases: readonly WallPhase[]): Ingested {
    return rollUp(this.t0Ms * 1000, this.seconds, phases);
  }
}
