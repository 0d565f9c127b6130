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
import { CANCEL_SHARE, FILL_SHARE, WEIGHT } from "./behaviour.ts";
import { ratesAt } from "./perRequest.ts";
import type { SimulationInput, SimulationSink } from "./types.ts";

/**
 * The aggregate (fluid) simulation for production scale: the same profile, provisioner and
 * strategy as a drill, with each tier's queue replaced by FluidQueue (capacity/fluidQueue.ts),
 * one step per virtual second, so 100k requests/s for hours costs O(seconds), not O(requests).
 *
 * Approximations on top of FluidQueue's own (each checked against the per-request simulation at
 * drill size in test/unit/simulate.test.ts):
 * - Per-IP weight limits: every client offers the same share of the weight, so a fraction
 *   min(1, budget / demand per client per window) of weighted requests passes.
 * - Priority shedding: cancels use the reserved workers' queue only (per request they may also
 *   take a general worker); new requests use the general workers with the shedding queue limit.
 * - The sequencer serves at most sequencerOrdersPerS; orders beyond it in a step time out.
 * - Read-your-writes: each fill's read-back goes out in the same step; it is stale when the
 *   replica's lag (backlog / apply rate + base lag) exceeds the read's time in the read tier.
 */

const STEP_MS = 1000;
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
  const windowS = 60 / timeScale;
  const budgetPerWindow = config.limits.weightPerMinute / timeScale;
  const clients = input.clients;
  const sequencerPerStep = (cap.sequencerOrdersPerS * STEP_MS) / 1000;
  let replicaBacklog = 0;
  // Faults and schedule steps at natural time 0 apply before the first step.
  provisioner.advance(0, samples);
  let pendingEvents = provisioner.takeEvents();

  const steps = Math.ceil((durationS * 1000) / STEP_MS);
  for (let step = 0; step < steps; step++) {
    const tMs = step * STEP_MS;
    const recordAt = tMs + STEP_MS / 2;
    for (const s of Object.values(latencySinks)) s.tMs = recordAt;
    ratesAt(profile, normalRatePerS, timeScale, recordAt / 1000, rates);
    const dtS = STEP_MS / 1000;
    const orders = rates.order * dtS;
    const cancels = orders * CANCEL_SHARE;
    const newOrders = orders - cancels;
    const depth = rates.depth * dtS;
    const reads = rates.position * dtS;
    const errorRate = provisioner.errorRate();

    // Per-IP weight, evenly spread over the clients. Read-backs are added below, after the fills
    // they follow; their weight is counted with an estimate from the gateway (fills of new orders).
    const readbacksEstimate = newOrders * FILL_SHARE;
    const weightPerS =
      (cancels * WEIGHT.cancel + depth * WEIGHT.depth + (reads + readbacksEstimate) * WEIGHT.position) / dtS;
    const demandPerClientPerWindow = (weightPerS * windowS) / clients;
    const pass = demandPerClientPerWindow > budgetPerWindow ? budgetPerWindow / demandPerClientPerWindow : 1;

    const rejected: Record<TrafficClass, Partial<Record<RejectReason, number>>> = {
      order: {},
      position: {},
      depth: {},
    };
    const reject = (cls: TrafficClass, reason: RejectReason, n: number, latencyMs: number) => {
      if (!(n > 0)) return;
      rejected[cls][reason] = (rejected[cls][reason] ?? 0) + n;
      const count = whole.take(`${cls}/${reason}`, n);
      if (count > 0) sink.record(recordAt, cls, latencyMs, count, reason);
    };
    reject("order", "rate_limited", cancels * (1 - pass), 0);
    reject("depth", "rate_limited", depth * (1 - pass), 0);

    // Gateway: cancels (priority) and new orders, depth.
    const g = tiers.gateway;
    const gWorkers = provisioner.workers("gateway");
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
      g.reserved.step(STEP_MS, reservedWorkers, rArrivals, latencyByService, g.reservedOut);
      gArrivals.order = newOrdersIn;
    } else {
      emptyInto(g.reservedOut);
      gArrivals.order = cancelsIn + newOrdersIn;
    }
    gArrivals.depth = depthIn;
    g.general.step(STEP_MS, gWorkers - reservedWorkers, gArrivals, latencyByService, g.generalOut);
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
    replicaBacklog = Math.max(0, replicaBacklog + fills - (config.replica.applyPerS * STEP_MS) / 1000);
    const replicaLagMs =
      replicaBacklog > 0 ? (replicaBacklog / config.replica.applyPerS) * 1000 + config.replica.baseLagMs : 0;

    // Read tier: panicked readers and read-backs.
    const readbacks = fills;
    reject("position", "rate_limited", (reads + readbacks) * (1 - pass), 0);
    reject("position", "error", (reads + readbacks) * pass * errorRate, 0);
    const r = tiers.read;
    const rWorkers = provisioner.workers("read");
    const rArrivals = zeros();
    rArrivals.position = (reads + readbacks) * pass * (1 - errorRate);
    emptyInto(r.reservedOut);
    r.general.step(STEP_MS, rWorkers, rArrivals, latencyByService, r.generalOut);
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
    const stale = replicaLagMs > readTimeMs ? checked : 0;
    sink.stale(recordAt, checked, stale, replicaLagMs - readTimeMs);

    // Provisioning loop, then the timeline line for this second.
    const gWork = gArrivals.order * cap.serviceTimeMs.order + gArrivals.depth * cap.serviceTimeMs.depth;
    samples.gateway.busyFraction = mergeBusy(g, gWorkers, reservedWorkers);
    samples.gateway.demandRatio = ratio(
      gWork + cancelsIn * (g.reserved !== null && reservedWorkers > 0 ? cap.serviceTimeMs.order : 0),
      gWorkers * STEP_MS,
    );
    samples.read.busyFraction = r.generalOut.busyFraction;
    samples.read.demandRatio = r.generalOut.demandRatio;
    const endMs = tMs + STEP_MS;
    provisioner.advance((endMs / 1000) * timeScale, samples);
    const events = pendingEvents.concat(provisioner.takeEvents());
    pendingEvents = [];

    const offered: Record<TrafficClass, number> = { order: orders, position: reads + readbacks, depth };
    const point: TimelinePoint = {
      tsMs: endMs,
      tWallS: step + 1,
      offered: 0,
      admitted: 0,
      served: 0,
      rejected: {},
      byClass: {},
      queueDepth: Math.round(g.generalOut.queueDepth + g.reservedOut.queueDepth),
      queueDepthMax: Math.round(g.generalOut.queueDepth + g.reservedOut.queueDepth),
      busyWorkers: Math.round(samples.gateway.busyFraction * gWorkers),
      workers: gWorkers,
      utilisation: round3(samples.gateway.busyFraction),
      replicaLagMs: Math.round(replicaLagMs),
      replicaBacklog: Math.round(replicaBacklog),
      staleReadsServed: stale,
      serverP99Ms: null,
      tNaturalS: (endMs / 1000) * timeScale,
      rejectedByClass: {},
      tiers: {
        gateway: {
          ...provisioner.state("gateway"),
          utilisation: round3(samples.gateway.busyFraction),
          queueDepth: Math.round(g.generalOut.queueDepth + g.reservedOut.queueDepth),
        },
        read: {
          ...provisioner.state("read"),
          utilisation: round3(samples.read.busyFraction),
          queueDepth: Math.round(r.generalOut.queueDepth),
        },
      },
      costInstanceMinutes: roundAll(provisioner.cost()),
      events,
    };
    for (const cls of TRAFFIC_CLASSES) {
      const refused = Object.values(rejected[cls]).reduce((a, b) => a + (b ?? 0), 0);
      point.byClass[cls] = {
        offered: Math.round(offered[cls]),
        served: Math.round(Math.max(0, offered[cls] - refused)),
        rejected: Math.round(refused),
      };
      point.offered += Math.round(offered[cls]);
      point.served += Math.round(Math.max(0, offered[cls] - refused));
      const byReason: Partial<Record<RejectReason, number>> = {};
      for (const reason of REJECT_REASONS) {
        const n = rejected[cls][reason];
        if (n === undefined || n <= 0) continue;
        byReason[reason] = Math.round(n);
        point.rejected[reason] = (point.rejected[reason] ?? 0) + Math.round(n);
      }
      if (Object.keys(byReason).length > 0) point.rejectedByClass[cls] = byReason;
    }
    point.admitted = Math.round(
      ordersAdmitted + g.generalOut.admitted.depth + g.reservedOut.admitted.depth + readsServed,
    );
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
