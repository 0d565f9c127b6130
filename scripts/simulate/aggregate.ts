import {
  emptyFluidStepResult,
  FluidQueue,
  type FluidStepResult,
  type LatencyRecorder,
} from "../../mock-exchange/capacity/fluidQueue.ts";
import { Provisioner, type TierSample } from "../../mock-exchange/capacity/provisioner.ts";
import { resolveStrategy } from "../../mock-exchange/capacity/strategies.ts";
import { TIERS, type TierName } from "../../mock-exchange/capacity/types.ts";
import type { ServiceClass } from "../../mock-exchange/defaults.ts";
import {
  REJECT_REASONS,
  type RejectReason,
  type TimelinePoint,
  TRAFFIC_CLASSES,
  type TrafficClass,
} from "../../reports/model.ts";
import { CANCEL_SHARE, FILL_SHARE, WEIGHT, WRITES_PER_FILL } from "./behaviour.ts";
import { ratesAt } from "./perRequest.ts";
import type { SimulationInput, SimulationSink } from "./types.ts";

/**
 * The aggregate (fluid) simulation for production scale: the same profile, provisioner and
 * strategy as a drill, with each tier's queue replaced by FluidQueue (capacity/fluidQueue.ts),
 * in steps of a second (a tenth of the rate-limit window when that is shorter, so the rush at each
 * window's start is resolved), so 100k requests/s for hours costs O(seconds), not O(requests).
 *
 * Approximations on top of FluidQueue's own (each checked against the per-request simulation at
 * drill size in test/unit/simulate.test.ts):
 * - Per-IP weight limits: every client offers the same share of the weight; within each fixed
 *   window requests pass until that share reaches the budget, then none do until the next window
 *   (so the passed load arrives as a rush at each window's start, as per request).
 * - Priority shedding: cancels use the reserved workers' queue only (per request they may also
 *   take a general worker); new requests use the general workers with the shedding queue limit.
 * - The sequencer serves at most sequencerOrdersPerS; orders beyond it in a step time out.
 * - Read-your-writes: each fill's read-back goes out in the same step; it is stale when the
 *   replica's lag (backlog / apply rate + base lag) exceeds the read's time in the read tier.
 */

const SERVICE_CLASSES: readonly ServiceClass[] = ["order", "position", "depth", "other"];

type PerClass = Record<ServiceClass, number>;
const zeros = (): PerClass => ({ order: 0, position: 0, depth: 0, other: 0 });

/** Turns fractional request counts into whole ones without losing any (carries the rest). */
class WholeCounts {
  private readonly rest = new Map<string, number>();
  take(key: string, amount: number): number {
    const total = (this.rest.get(key) ?? 0) + amount;
    const whole = Math.floor(total + 1e-9);
    this.rest.set(key, total - whole);
    return whole;
  }
}

/** Feeds FluidQueue's latency points for one class into the sink, at the current step. */
class ClassLatencySink implements LatencyRecorder {
  tMs = 0;
  constructor(
    private readonly sink: SimulationSink,
    private readonly cls: TrafficClass,
  ) {}
  recordValueWithCount(valueUs: number, count: number): void {
    this.sink.record(this.tMs, this.cls, valueUs / 1000, count, undefined);
  }
}

interface TierQueues {
  general: FluidQueue;
  reserved: FluidQueue | null;
  generalOut: FluidStepResult;
  reservedOut: FluidStepResult;
}

export function simulateAggregate(input: SimulationInput, sink: SimulationSink): void {
  const { profile, config, normalRatePerS, timeScale, durationS } = input;
  const cap = config.capacity;
  const strategy = resolveStrategy(cap.strategy, cap.tiers, cap.strategyParams);
  const provisioner = new Provisioner({ strategy, sizing: cap.tiers, faults: config.faults });
  const shedding = strategy.shedding;
  const queueOptions = {
    serviceTimeMs: cap.serviceTimeMs,
    serviceTimeMinMs: cap.serviceTimeMinMs,
    queueTimeoutMs: cap.queueTimeoutMs,
  };
  const tiers = {} as Record<TierName, TierQueues>;
  for (const name of TIERS) {
    tiers[name] = {
      general: new FluidQueue({
        ...queueOptions,
        maxQueue:
          shedding === null
            ? cap.maxQueue
            : Math.max(1, Math.floor(cap.maxQueue * shedding.newOrderQueueFraction)),
      }),
      reserved: shedding === null ? null : new FluidQueue({ ...queueOptions, maxQueue: cap.maxQueue }),
      generalOut: emptyFluidStepResult(),
      reservedOut: emptyFluidStepResult(),
    };
  }
  const latencySinks = {
    order: new ClassLatencySink(sink, "order"),
    position: new ClassLatencySink(sink, "position"),
    depth: new ClassLatencySink(sink, "depth"),
  };
  // FluidQueue records per service class; `other` never arrives here.
  const latencyByService: Record<ServiceClass, LatencyRecorder> = {
    ...latencySinks,
    other: latencySinks.depth,
  };
  const whole = new WholeCounts();
  const samples: Record<TierName, TierSample> = {
    gateway: { busyFraction: 0, demandRatio: 0 },
    read: { busyFraction: 0, demandRatio: 0 },
  };
  const rates = { order: 0, position: 0, depth: 0 } as Record<TrafficClass, number>;
  const windowMs = 60_000 / timeScale;
  const budgetPerWindow = config.limits.weightPerMinute / timeScale;
  const clients = input.clients;
  // Steps resolve the rate-limit window: a tenth of it, at most a second (see the file comment).
  const stepMs = Math.min(1000, windowMs / 10);
  const stepsPerSecond = Math.max(1, Math.round(1000 / stepMs));
  const dtMs = 1000 / stepsPerSecond;
  const dtS = dtMs / 1000;
  const sequencerPerStep = (cap.sequencerOrdersPerS * dtMs) / 1000;
  let replicaBacklog = 0;
  /** Weight one (average) client has used in the current window, and which window that is. */
  let usedInWindow = 0;
  let window = -1;
  // Faults and schedule steps at natural time 0 apply before the first step.
  provisioner.advance(0, samples);
  let pendingEvents = provisioner.takeEvents();

  const seconds = Math.ceil(durationS);
  for (let second = 0; second < seconds; second++) {
    const rejected: Record<TrafficClass, Partial<Record<RejectReason, number>>> = {
      order: {},
      position: {},
      depth: {},
    };
    const offered: Record<TrafficClass, number> = { order: 0, position: 0, depth: 0 };
    let admitted = 0;
    let stale = 0;
    let busyGateway = 0;
    let busyRead = 0;
    let replicaLagMs = 0;
    const events = pendingEvents;
    pendingEvents = [];
    const g = tiers.gateway;
    const r = tiers.read;
    let gWorkers = 0;

    for (let sub = 0; sub < stepsPerSecond; sub++) {
      const tMs = second * 1000 + sub * dtMs;
      const recordAt = tMs + dtMs / 2;
      latencySinks.order.tMs = recordAt;
      latencySinks.position.tMs = recordAt;
      latencySinks.depth.tMs = recordAt;
      ratesAt(profile, normalRatePerS, timeScale, recordAt / 1000, rates);
      const orders = rates.order * dtS;
      const cancels = orders * CANCEL_SHARE;
      const newOrders = orders - cancels;
      const depth = rates.depth * dtS;
      const reads = rates.position * dtS;
      const errorRate = provisioner.errorRate();

      // Fixed-window weight limit per IP, every client offering the same share: within a window
      // a client's requests pass until its weight (refused ones included, as the limiter counts
      // them) reaches the budget. Read-backs are estimated from the fills they follow.
      const thisWindow = Math.floor(tMs / windowMs);
      if (thisWindow !== window) {
        window = thisWindow;
        usedInWindow = 0;
      }
      const readbacksEstimate = newOrders * FILL_SHARE;
      const weightPerClient =
        (cancels * WEIGHT.cancel + depth * WEIGHT.depth + (reads + readbacksEstimate) * WEIGHT.position) /
        clients;
      const room = Math.max(0, budgetPerWindow - usedInWindow);
      const pass = weightPerClient <= room ? 1 : room / weightPerClient;
      usedInWindow += weightPerClient;

      const reject = (cls: TrafficClass, reason: RejectReason, n: number, latencyMs: number) => {
        if (!(n > 0)) return;
        rejected[cls][reason] = (rejected[cls][reason] ?? 0) + n;
        const count = whole.take(`${cls}/${reason}`, n);
        if (count > 0) sink.record(recordAt, cls, latencyMs, count, reason);
      };
      reject("order", "rate_limited", cancels * (1 - pass), 0);
      reject("depth", "rate_limited", depth * (1 - pass), 0);

      // Gateway: cancels (priority) and new orders, depth.
      gWorkers = provisioner.workers("gateway");
      const reservedWorkers =
        g.reserved === null || gWorkers < 2
          ? 0
          : Math.max(1, Math.round(gWorkers * (shedding?.reservedFraction ?? 0)));
      const cancelsIn = cancels * pass * (1 - errorRate);
      const newOrdersIn = newOrders * (1 - errorRate);
      const depthIn = depth * pass * (1 - errorRate);
      reject("order", "error", (cancels * pass + newOrders) * errorRate, 0);
      reject("depth", "error", depth * pass * errorRate, 0);
      const gArrivals = zeros();
      if (g.reserved !== null && reservedWorkers > 0) {
        const rArrivals = zeros();
        rArrivals.order = cancelsIn;
        g.reserved.step(dtMs, reservedWorkers, rArrivals, latencyByService, g.reservedOut);
        gArrivals.order = newOrdersIn;
      } else {
        emptyInto(g.reservedOut);
        gArrivals.order = cancelsIn + newOrdersIn;
      }
      gArrivals.depth = depthIn;
      g.general.step(dtMs, gWorkers - reservedWorkers, gArrivals, latencyByService, g.generalOut);
      let ordersAdmitted = g.generalOut.admitted.order + g.reservedOut.admitted.order;
      for (const out of [g.generalOut, g.reservedOut]) {
        reject("order", "timeout", out.timeout.order, cap.queueTimeoutMs);
        reject("order", "overloaded", out.overloaded.order, 0);
        reject("order", "error", out.unavailable.order, 0);
        reject("depth", "timeout", out.timeout.depth, cap.queueTimeoutMs);
        reject("depth", "overloaded", out.overloaded.depth, 0);
        reject("depth", "error", out.unavailable.depth, 0);
      }
      // The sequencer: what it cannot take in a step waits past the timeout.
      if (ordersAdmitted > sequencerPerStep) {
        reject("order", "timeout", ordersAdmitted - sequencerPerStep, cap.queueTimeoutMs);
        ordersAdmitted = sequencerPerStep;
      }
      const newShare = cancelsIn + newOrdersIn > 0 ? newOrdersIn / (cancelsIn + newOrdersIn) : 0;
      const fills = ordersAdmitted * newShare * FILL_SHARE;

      // Replica: fills are writes; lag = backlog / apply rate (+ base lag).
      replicaBacklog = Math.max(0, replicaBacklog + fills * WRITES_PER_FILL - config.replica.applyPerS * dtS);
      replicaLagMs =
        replicaBacklog > 0
          ? (replicaBacklog / config.replica.applyPerS) * 1000 + config.replica.baseLagMs
          : 0;

      // Read tier: panicked readers and read-backs.
      const readbacks = fills;
      reject("position", "rate_limited", (reads + readbacks) * (1 - pass), 0);
      reject("position", "error", (reads + readbacks) * pass * errorRate, 0);
      const rWorkers = provisioner.workers("read");
      const rArrivals = zeros();
      rArrivals.position = (reads + readbacks) * pass * (1 - errorRate);
      emptyInto(r.reservedOut);
      r.general.step(dtMs, rWorkers, rArrivals, latencyByService, r.generalOut);
      reject("position", "timeout", r.generalOut.timeout.position, cap.queueTimeoutMs);
      reject("position", "overloaded", r.generalOut.overloaded.position, 0);
      reject("position", "error", r.generalOut.unavailable.position, 0);
      const readsServed = r.generalOut.admitted.position;
      const readbackShare = reads + readbacks > 0 ? readbacks / (reads + readbacks) : 0;
      const checked = whole.take("checked", readsServed * readbackShare);
      // A read-back is stale when the replica is further behind than the read took to be served.
      const readTimeMs =
        cap.serviceTimeMs.position +
        (r.generalOut.queueDepth * cap.serviceTimeMs.position) / Math.max(1, rWorkers);
      const staleNow = replicaLagMs > readTimeMs ? checked : 0;
      stale += staleNow;
      sink.stale(recordAt, checked, staleNow, replicaLagMs - readTimeMs);

      offered.order += orders;
      offered.position += reads + readbacks;
      offered.depth += depth;
      admitted += ordersAdmitted + g.generalOut.admitted.depth + g.reservedOut.admitted.depth + readsServed;

      // Provisioning loop.
      const gWork = gArrivals.order * cap.serviceTimeMs.order + gArrivals.depth * cap.serviceTimeMs.depth;
      const reservedWork =
        g.reserved !== null && reservedWorkers > 0 ? cancelsIn * cap.serviceTimeMs.order : 0;
      samples.gateway.busyFraction = mergeBusy(g, gWorkers, reservedWorkers);
      samples.gateway.demandRatio = ratio(gWork + reservedWork, gWorkers * dtMs);
      samples.read.busyFraction = r.generalOut.busyFraction;
      samples.read.demandRatio = r.generalOut.demandRatio;
      busyGateway += samples.gateway.busyFraction / stepsPerSecond;
      busyRead += samples.read.busyFraction / stepsPerSecond;
      provisioner.advance(((tMs + dtMs) / 1000) * timeScale, samples);
      for (const e of provisioner.takeEvents()) events.push(e);
    }

    // The timeline line for this second.
    const endMs = (second + 1) * 1000;
    const gQueue = Math.round(g.generalOut.queueDepth + g.reservedOut.queueDepth);
    const point: TimelinePoint = {
      tsMs: endMs,
      tWallS: second + 1,
      offered: 0,
      admitted: Math.round(admitted),
      served: 0,
      rejected: {},
      byClass: {},
      queueDepth: gQueue,
      queueDepthMax: gQueue,
      busyWorkers: Math.round(busyGateway * gWorkers),
      workers: gWorkers,
      utilisation: round3(busyGateway),
      replicaLagMs: Math.round(replicaLagMs),
      replicaBacklog: Math.round(replicaBacklog),
      staleReadsServed: stale,
      serverP99Ms: null,
      tNaturalS: (endMs / 1000) * timeScale,
      rejectedByClass: {},
      tiers: {
        gateway: { ...provisioner.state("gateway"), utilisation: round3(busyGateway), queueDepth: gQueue },
        read: {
          ...provisioner.state("read"),
          utilisation: round3(busyRead),
          queueDepth: Math.round(r.generalOut.queueDepth),
        },
      },
      costInstanceMinutes: roundAll(provisioner.cost()),
      events,
    };
    for (const cls of TRAFFIC_CLASSES) {
      const refused = Object.values(rejected[cls]).reduce((a, b) => a + (b ?? 0), 0);
      const served = Math.round(Math.max(0, offered[cls] - refused));
      point.byClass[cls] = { offered: Math.round(offered[cls]), served, rejected: Math.round(refused) };
      point.offered += Math.round(offered[cls]);
      point.served += served;
      const byReason: Partial<Record<RejectReason, number>> = {};
      for (const reason of REJECT_REASONS) {
        const n = rejected[cls][reason];
        if (n === undefined || n <= 0) continue;
        byReason[reason] = Math.round(n);
        point.rejected[reason] = (point.rejected[reason] ?? 0) + Math.round(n);
      }
      if (Object.keys(byReason).length > 0) point.rejectedByClass[cls] = byReason;
    }
    sink.timeline(point);
  }
}

function mergeBusy(t: TierQueues, workers: number, reserved: number): number {
  if (workers <= 0) return 0;
  const general = workers - reserved;
  return (t.generalOut.busyFraction * general + t.reservedOut.busyFraction * reserved) / workers;
}

function ratio(workMs: number, capacityMs: number): number {
  if (capacityMs > 0) return workMs / capacityMs;
  return workMs > 0 ? Number.POSITIVE_INFINITY : 0;
}

function emptyInto(out: FluidStepResult): void {
  for (const k of SERVICE_CLASSES) {
    out.admitted[k] = 0;
    out.timeout[k] = 0;
    out.overloaded[k] = 0;
    out.unavailable[k] = 0;
  }
  out.queueDepth = 0;
  out.busyFraction = 0;
  out.demandRatio = 0;
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

function roundAll(r: Record<TierName, number>): Record<TierName, number> {
  return { gateway: round3(r.gateway), read: round3(r.read) };
}
