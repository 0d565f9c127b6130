import { classMultiple } from "../../loadtests/lib/plan.ts";
import type { Profile } from "../../loadtests/profiles/types.ts";
import { CAPACITY_TICK_MS, CapacityModel, closeCapacitySecond } from "../../mock-exchange/capacity/model.ts";
import { ReadReplica } from "../../mock-exchange/capacity/readReplica.ts";
import { WeightLimiter } from "../../mock-exchange/limits/weightLimiter.ts";
import { type Random, seededRandom } from "../../mock-exchange/random.ts";
import { Timeline } from "../../mock-exchange/timeline.ts";
import { TRAFFIC_CLASSES, type TrafficClass } from "../../reports/model.ts";
import {
  CANCEL_SHARE,
  FILL_SHARE,
  MAKER_ACCOUNT,
  READBACK_DELAY_MS,
  WEIGHT,
  WRITES_PER_FILL,
} from "./behaviour.ts";
import type { SimulationInput, SimulationSink } from "./types.ts";

/**
 * Per-request discrete-event simulation in virtual time: Poisson arrivals per class from the
 * profile, each through the same parts the mock exchange uses in a drill (WeightLimiter,
 * CapacityModel with its Provisioner, ReadReplica, Timeline). Exact for the model; its cost is
 * O(requests log requests), so it is for drill-sized rates (the calibration against k6) and for
 * checking the aggregate approximation at small scale.
 */

/** Arrivals are generated in slices of this many ms (Poisson count, uniform times within). */
const SLICE_MS = 10;

enum Kind {
  Arrival = 0,
  Response = 1,
}

interface SimEvent {
  atMs: number;
  kind: Kind;
  cls: TrafficClass;
  client: number;
  /** Arrival time of the request this response belongs to. */
  sentMs: number;
  /** Response: the refusal reason, or "" when served. */
  reason: string;
  /** A read-back that checks read-your-writes against a fill acknowledged at ackMs (-1: none). */
  ackMs: number;
  /** Response of a new order that filled: a write to replicate and a read-back to send. */
  filled: boolean;
}

/** Min-heap of events by time; ties keep insertion order (seq). */
class EventHeap {
  private readonly items: SimEvent[] = [];
  private readonly seqs: number[] = [];
  private seq = 0;
  get size(): number {
    return this.items.length;
  }
  peekTime(): number {
    return this.items.length === 0 ? Number.POSITIVE_INFINITY : (this.items[0] as SimEvent).atMs;
  }
  push(e: SimEvent): void {
    const items = this.items;
    const seqs = this.seqs;
    let i = items.length;
    items.push(e);
    seqs.push(this.seq++);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(i, p)) break;
      this.swap(i, p);
      i = p;
    }
  }
  pop(): SimEvent {
    const items = this.items;
    const top = items[0] as SimEvent;
    const last = items.pop() as SimEvent;
    const lastSeq = this.seqs.pop() as number;
    if (items.length > 0) {
      items[0] = last;
      this.seqs[0] = lastSeq;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= items.length) break;
        const r = l + 1;
        const m = r < items.length && this.less(r, l) ? r : l;
        if (!this.less(m, i)) break;
        this.swap(i, m);
        i = m;
      }
    }
    return top;
  }
  private less(a: number, b: number): boolean {
    const ea = this.items[a] as SimEvent;
    const eb = this.items[b] as SimEvent;
    return ea.atMs < eb.atMs || (ea.atMs === eb.atMs && (this.seqs[a] as number) < (this.seqs[b] as number));
  }
  private swap(a: number, b: number): void {
    const t = this.items[a] as SimEvent;
    this.items[a] = this.items[b] as SimEvent;
    this.items[b] = t;
    const s = this.seqs[a] as number;
    this.seqs[a] = this.seqs[b] as number;
    this.seqs[b] = s;
  }
}

/** Poisson(mean) by inversion for small means, normal approximation for large ones. */
export function poisson(random: Random, mean: number): number {
  if (mean <= 0) return 0;
  if (mean > 50) {
    // Box-Muller; the continuity-corrected normal is within a fraction of a percent here.
    const u = 1 - random();
    const v = random();
    const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    return Math.max(0, Math.round(mean + Math.sqrt(mean) * z));
  }
  const limit = Math.exp(-mean);
  let k = 0;
  let p = random();
  while (p > limit) {
    k++;
    p *= random();
  }
  return k;
}

/** Rate of each class at wall time t (s since start), requests per wall second. */
export function ratesAt(
  profile: Profile,
  normal: Record<TrafficClass, number>,
  timeScale: number,
  tS: number,
  out: Record<TrafficClass, number>,
): void {
  let start = 0;
  for (const p of profile.phases) {
    const end = start + p.durationS / timeScale;
    if (tS < end) {
      const f = end > start ? (tS - start) / (end - start) : 0;
      for (const cls of TRAFFIC_CLASSES) {
        const m = classMultiple(p, cls);
        out[cls] = normal[cls] * (m.from + (m.to - m.from) * f);
      }
      return;
    }
    start = end;
  }
  for (const cls of TRAFFIC_CLASSES) out[cls] = 0;
}

export function simulatePerRequest(input: SimulationInput, sink: SimulationSink): void {
  const { profile, config, normalRatePerS, timeScale, durationS, seed } = input;
  const random = seededRandom(seed);
  const arrivalsRandom = seededRandom(seed ^ 0x9e3779b9);
  const capacity = new CapacityModel(config, random, 0);
  const limiter = new WeightLimiter(config.limits.weightPerMinute, timeScale, 0);
  const replica = new ReadReplica({ ...config.replica, symbolCount: 1 });
  const timeline = new Timeline(0);
  const clients = input.clients;
  const clientKeys = Array.from({ length: clients }, (_, i) => `client-${i}`);
  const heap = new EventHeap();
  const rates = { order: 0, position: 0, depth: 0 } as Record<TrafficClass, number>;
  const endMs = durationS * 1000;
  // Requests still in flight at the end are answered (like k6's graceful stop), up to the timeout.
  const drainMs = endMs + config.capacity.queueTimeoutMs + 5_000;
  let lastMs = 0;
  const slice: Array<{ atMs: number; cls: TrafficClass }> = [];

  // The shared tick of the server, in virtual time: the provisioning loop every CAPACITY_TICK_MS,
  // and a timeline line at every whole second.
  const ticksPerSecond = Math.round(1000 / CAPACITY_TICK_MS);
  let ticks = 0;
  const closeUpTo = (tMs: number) => {
    while ((ticks + 1) * CAPACITY_TICK_MS <= tMs) {
      ticks++;
      const t = ticks * CAPACITY_TICK_MS;
      if (ticks % ticksPerSecond !== 0) {
        capacity.tick(t);
        continue;
      }
      const second = ticks / ticksPerSecond - 1;
      sink.timeline(timeline.closeSecond(second, closeCapacitySecond(capacity, replica, t, second)));
    }
  };

  const respond = (e: SimEvent) => {
    const latencyMs = e.atMs - e.sentMs;
    if (e.reason === "") {
      timeline.servedOne(e.cls, latencyMs);
      sink.record(e.atMs, e.cls, latencyMs, 1, undefined);
      if (e.cls === "position") {
        replica.advance(e.atMs);
        const behind = replica.isBehind(e.client);
        if (behind) timeline.staleRead();
        if (e.ackMs >= 0) sink.stale(e.atMs, 1, behind ? 1 : 0, behind ? e.atMs - e.ackMs : 0);
      }
      if (e.filled) {
        replica.record(e.client, 0, 1, 1, e.atMs, e.atMs);
        for (let w = 1; w < WRITES_PER_FILL; w++) replica.record(MAKER_ACCOUNT, 0, 1, 1, e.atMs, e.atMs);
        heap.push({
          atMs: e.atMs + READBACK_DELAY_MS,
          kind: Kind.Arrival,
          cls: "position",
          client: e.client,
          sentMs: 0,
          reason: "",
          ackMs: e.atMs,
          filled: false,
        });
      }
    } else {
      timeline.rejectedOne(e.cls, e.reason as never, latencyMs);
      sink.record(e.atMs, e.cls, latencyMs, 1, e.reason as never);
    }
  };

  const arrive = (atMs: number, cls: TrafficClass, client: number, ackMs: number) => {
    timeline.arrival(cls);
    const cancel = cls === "order" && arrivalsRandom() < CANCEL_SHARE;
    const weight = cancel ? WEIGHT.cancel : WEIGHT[cls];
    const response: SimEvent = {
      atMs,
      kind: Kind.Response,
      cls,
      client,
      sentMs: atMs,
      reason: "",
      ackMs,
      filled: false,
    };
    if (!limiter.consume(clientKeys[client] as string, weight, atMs).allowed) {
      response.reason = "rate_limited";
      respond(response);
      return;
    }
    const a = capacity.admit(atMs, cls, cancel);
    switch (a.outcome) {
      case "overloaded":
        response.reason = "overloaded";
        respond(response);
        return;
      case "unavailable":
      case "error":
        response.reason = "error";
        respond(response);
        return;
      case "timeout":
        response.reason = "timeout";
        response.atMs = a.dueMs;
        heap.push(response);
        return;
      case "admitted":
        timeline.admittedOne(capacity.queueDepth(cls, atMs));
        response.atMs = a.dueMs;
        response.filled = cls === "order" && !cancel && arrivalsRandom() < FILL_SHARE;
        heap.push(response);
    }
  };

  for (let sliceStart = 0; sliceStart < drainMs; sliceStart += SLICE_MS) {
    const sliceEnd = sliceStart + SLICE_MS;
    slice.length = 0;
    if (sliceStart < endMs) {
      ratesAt(profile, normalRatePerS, timeScale, sliceStart / 1000, rates);
      for (const cls of TRAFFIC_CLASSES) {
        const n = poisson(arrivalsRandom, (rates[cls] * SLICE_MS) / 1000);
        for (let i = 0; i < n; i++) slice.push({ atMs: sliceStart + arrivalsRandom() * SLICE_MS, cls });
      }
      slice.sort((a, b) => a.atMs - b.atMs);
    }
    let next = 0;
    for (;;) {
      const arrivalAt =
        next < slice.length ? (slice[next] as { atMs: number }).atMs : Number.POSITIVE_INFINITY;
      const eventAt = heap.peekTime();
      const at = Math.min(arrivalAt, eventAt);
      if (at >= sliceEnd) break;
      closeUpTo(at);
      lastMs = at;
      if (eventAt <= arrivalAt) {
        const e = heap.pop();
        if (e.kind === Kind.Response) respond(e);
        else arrive(e.atMs, e.cls, e.client, e.ackMs);
      } else {
        const s = slice[next++] as { atMs: number; cls: TrafficClass };
        arrive(s.atMs, s.cls, Math.floor(arrivalsRandom() * clients), -1);
      }
    }
    if (sliceEnd >= endMs && heap.size === 0) break;
  }
  closeUpTo(Math.ceil(Math.max(endMs, lastMs) / 1000) * 1000);
}
