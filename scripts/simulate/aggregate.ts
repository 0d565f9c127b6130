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
import { BanList } from "../../mock-exchange/limits/banList.ts";
import { limitWindowCompression } from "../../mock-exchange/limits/window.ts";
import {
  REJECT_REASONS,
  type RejectReason,
  type TimelinePoint,
  TRAFFIC_CLASSES,
  type TrafficClass,
} from "../../reports/model.ts";
import { iterationMix, WEIGHT, WRITES_PER_FILL } from "./behaviour.ts";
import { ratesAt } from "./perRequest.ts";
import type { SimulationInput, SimulationSink } from "./types.ts";

/**
 * The aggregate (fluid) simulation for production scale: the same profile, provisioner and
 * strategy as a drill, with each tier's queue replaced by FluidQueue (capacity/fluidQueue.ts),
 * in steps of a second (a tenth of the weight window when that is shorter, so the rush at each
 * window's start is resolved, and at most half the 10 s order window), so 100k requests/s for
 * hours costs O(seconds), not O(requests).
 *
 * Approximations on top of FluidQueue's own (each checked against the per-request simulation at
 * drill size in test/unit/simulate.test.ts):
 * - Per-IP weight limits: every client offers the same share of the weight; within each fixed
 *   window requests pass until that share reaches the budget, then none do until the next window
 *   (so the passed load arrives as a rush at each window's start, as per request). New orders
 *   pass the per-account order counts (10 s and 1 min windows) the same way.
 * - IP bans (limits/banList.ts): the average client's weight refusals are counted per window;
 *   past the tolerated count the excess refusals are bans (418) and the client is banned from
 *   the end of that step for the escalating ban length. Every client offers the same, so all are
 *   banned together, where per request they are banned one by one within the same window or
 *   two; the ban starts up to one step late, during which its new orders still pass. Bans
 *   synchronised across clients refuse more than per request (at drill size, smoke at the
 *   venue's trigger: 98% refused vs 95-96%, and the reactive autoscaler sees no demand while all
 *   are banned), so the approximation errs towards refusing; drills run with bans out of reach
 *   (scripts/exchangeConfig.ts).
 * - Behaviours (behaviour.ts): each class's iterations send the mix's expected requests per
 *   iteration, all in the same step (per request they follow each other's responses); a
 *   closer's close follows a served read, so closes are scaled by the previous step's share of
 *   position reads served; patient checkers send like panicked ones (whether a session is told
 *   to wait is a per-request matter).
 * - Priority shedding: cancels and reduce-only/close-position orders use the reserved workers'
 *   queue only (per request they may also take a general worker); new requests use the general
 *   workers with the shedding queue limit.
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
  // Requests per iteration of each class, from the profile's behaviours (the default mix: a
  // trader's cancel or new order, one position read, one depth read).
  const orderMix = iterationMix(profile.behaviours, "order");
  const readsPerPositionIteration = iterationMix(profile.behaviours, "position").reads;
  const depthPerIteration = iterationMix(profile.behaviours, "depth").depth;
  const newPerOrderIteration = orderMix.newOrders + orderMix.priorityOrders;
  /** Share of new orders (closes aside) that fill at once, and of those that pass priority shedding. */
  const baseFillShare =
    newPerOrderIteration > 0 ? (orderMix.newOrderFills + orderMix.priorityFills) / newPerOrderIteration : 0;
  const basePriorityShare = newPerOrderIteration > 0 ? orderMix.priorityOrders / newPerOrderIteration : 0;
  const closeFillShare = orderMix.closes > 0 ? orderMix.closeFills / orderMix.closes : 0;
  /** Share of the position reads offered in the previous step that were served. */
  let readServedShare = 1;
  const limits = config.limits;
  // Limit windows compress like the exchange's (limits/window.ts): one factor, windows nested.
  const compression = limitWindowCompression(limits, timeScale);
  const windowMs = 60_000 / compression;
  const budgetPerWindow = limits.weightPerMinute / compression;
  const window10sMs = 10_000 / compression;
  // A count passes while it stays at or under the budget (OrderCountLimiter): whole orders.
  const orders10sCap = Math.floor(limits.ordersPer10s / compression + 1e-9);
  const orders1mCap = Math.floor(limits.ordersPerMinute / compression + 1e-9);
  const refusalsBeforeBan = limits.banAfterRefusalsPerMinute / compression;
  const bans = new BanList(limits, timeScale, 0, compression);
  const clients = input.clients;
  // Steps resolve the rate-limit windows: a tenth of the weight window, half the 10 s order
  // window (its budget binds less: 300 per 10 s is 1,800 per minute, above 1,200), at most a second.
  const stepMs = Math.min(1000, windowMs / 10, window10sMs / 2);
  const stepsPerSecond = Math.max(1, Math.round(1000 / stepMs));
  const dtMs = 1000 / stepsPerSecond;
  const dtS = dtMs / 1000;
  const sequencerPerStep = (cap.sequencerOrdersPerS * dtMs) / 1000;
  let replicaBacklog = 0;
  /** Weight one (average) client has used in the current window, and which window that is. */
  let usedInWindow = 0;
  let window = -1;
  /** The average client's weight refusals in the current window, its ban end and bans so far. */
  let refusalsInWindow = 0;
  let bannedUntilMs = 0;
  let offences = 0;
  /**
   * The average account's orders: offered in the current 10 s window (a Poisson mean), and the
   * mean and variance of what the minute's finished 10 s windows passed.
   */
  let offered10s = 0;
  let minuteMean = 0;
  let minuteVariance = 0;
  let window10s = -1;
  const before: Moments = { mean: 0, variance: 0 };
  const after: Moments = { mean: 0, variance: 0 };
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
      const orderIterations = rates.order * dtS;
      const cancels = orderIterations * orderMix.cancels;
      // Closes (priority, after a served read) join the new orders.
      const closes = orderIterations * orderMix.closes * readServedShare;
      const newOrders = orderIterations * newPerOrderIteration + closes;
      const others = newOrders - closes;
      const fillShare =
        closes > 0 ? (others * baseFillShare + closes * closeFillShare) / newOrders : baseFillShare;
      const priorityNewShare =
        closes > 0 ? (others * basePriorityShare + closes) / newOrders : basePriorityShare;
      const orders = cancels + newOrders;
      const depth = rates.depth * dtS * depthPerIteration;
      // Position reads: the class's own, and those order behaviours send before acting.
      const reads = rates.position * dtS * readsPerPositionIteration + orderIterations * orderMix.reads;
      const errorRate = provisioner.errorRate();

      const reject = (cls: TrafficClass, reason: RejectReason, n: number, latencyMs: number) => {
        if (!(n > 0)) return;
        rejected[cls][reason] = (rejected[cls][reason] ?? 0) + n;
        const count = whole.take(`${cls}/${reason}`, n);
        if (count > 0) sink.record(recordAt, cls, latencyMs, count, reason);
      };

      // A ban carried into this step refuses everything before the weight is counted (418).
      const bannedShare = Math.min(1, Math.max(0, (bannedUntilMs - tMs) / dtMs));
      const open = 1 - bannedShare;
      reject("order", "banned", orders * bannedShare, 0);
      reject("depth", "banned", depth * bannedShare, 0);
      reject("position", "banned", reads * bannedShare, 0);

      // Fixed-window weight limit per IP, every client offering the same share: within a window
      // a client's requests pass until its weight (refused ones included, as the limiter counts
      // them) reaches the budget. Read-backs are estimated from the fills they follow.
      // Step starts are sums of a fractional dtMs: the epsilon keeps a window's steps together.
      const thisWindow = Math.floor(tMs / windowMs + 1e-9);
      const this10s = Math.floor(tMs / window10sMs + 1e-9);
      if (this10s !== window10s) {
        // The finished 10 s window's passed orders join the minute's (10 s windows are independent).
        cappedPoisson(offered10s, orders10sCap, before);
        minuteMean += before.mean;
        minuteVariance += before.variance;
        window10s = this10s;
        offered10s = 0;
      }
      if (thisWindow !== window) {
        window = thisWindow;
        usedInWindow = 0;
        refusalsInWindow = 0;
        minuteMean = 0;
        minuteVariance = 0;
      }
      // Order counts per account (weight 0: new orders reach them unless banned). An account's
      // orders are Poisson (per request they are), so they overflow a budget their mean rate only
      // just fits: of n offered in a 10 s window min(n, cap) pass (exact moments); the minute
      // counts what its 10 s windows passed, a sum of capped Poissons, and passes min(sum, cap)
      // (normal approximation with that sum's mean and variance). Refused orders count nowhere.
      const newPerClient = (newOrders * open) / clients;
      let orderPass = 1;
      if (newPerClient > 0) {
        cappedPoisson(offered10s, orders10sCap, before);
        cappedPoisson(offered10s + newPerClient, orders10sCap, after);
        const passedBefore = expectedMinNormal(
          minuteMean + before.mean,
          minuteVariance + before.variance,
          orders1mCap,
        );
        const passedAfter = expectedMinNormal(
          minuteMean + after.mean,
          minuteVariance + after.variance,
          orders1mCap,
        );
        orderPass = Math.min(1, Math.max(0, (passedAfter - passedBefore) / newPerClient));
        offered10s += newPerClient;
      }
      reject("order", "rate_limited", newOrders * open * (1 - orderPass), 0);

      const readbacksEstimate = newOrders * open * orderPass * fillShare;
      const weighted = (cancels + depth + reads) * open + readbacksEstimate;
      const weightPerClient =
        ((cancels * WEIGHT.cancel + depth * WEIGHT.depth + reads * WEIGHT.position) * open +
          readbacksEstimate * WEIGHT.position) /
        clients;
      const room = Math.max(0, budgetPerWindow - usedInWindow);
      const pass = weightPerClient <= room ? 1 : room / weightPerClient;
      usedInWindow += weightPerClient;

      // Ban accounting: refusals past the tolerated count are answered 418 and start a ban at
      // the end of this step (banList.ts's rule, for the average client).
      const refusedPerClient = (weighted * (1 - pass)) / clients;
      let banShare = 0;
      if (refusedPerClient > 0 && refusalsInWindow + refusedPerClient > refusalsBeforeBan) {
        const tolerated = Math.max(0, refusalsBeforeBan - refusalsInWindow);
        banShare = 1 - tolerated / refusedPerClient;
        refusalsInWindow = 0;
        const startMs = tMs + dtMs;
        if (offences > 0 && startMs - bannedUntilMs >= limits.banForgetMs / timeScale) offences = 0;
        offences++;
        bannedUntilMs = startMs + bans.banLengthMs(offences);
      } else {
        refusalsInWindow += refusedPerClient;
      }
      const limited = (1 - pass) * (1 - banShare);
      const bannedNow = (1 - pass) * banShare;
      reject("order", "rate_limited", cancels * open * limited, 0);
      reject("depth", "rate_limited", depth * open * limited, 0);
      reject("order", "banned", cancels * open * bannedNow, 0);
      reject("depth", "banned", depth * open * bannedNow, 0);

      // Gateway: cancels (priority) and new orders, depth.
      gWorkers = provisioner.workers("gateway");
      const reservedWorkers =
        g.reserved === null || gWorkers < 2
          ? 0
          : Math.max(1, Math.round(gWorkers * (shedding?.reservedFraction ?? 0)));
      const cancelsIn = cancels * open * pass * (1 - errorRate);
      const newOrdersIn = newOrders * open * orderPass * (1 - errorRate);
      // Reduce-only and close-position orders pass shedding as cancels do (venue.ts isPriority).
      const priorityIn = cancelsIn + newOrdersIn * priorityNewShare;
      const generalOrdersIn = newOrdersIn * (1 - priorityNewShare);
      const depthIn = depth * open * pass * (1 - errorRate);
      reject("order", "error", (cancels * open * pass + newOrders * open * orderPass) * errorRate, 0);
      reject("depth", "error", depth * open * pass * errorRate, 0);
      const gArrivals = zeros();
      if (g.reserved !== null && reservedWorkers > 0) {
        const rArrivals = zeros();
        rArrivals.order = priorityIn;
        g.reserved.step(dtMs, reservedWorkers, rArrivals, latencyByService, g.reservedOut);
        gArrivals.order = generalOrdersIn;
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
      const fills = ordersAdmitted * newShare * fillShare;

      // Replica: fills are writes; lag = backlog / apply rate (+ base lag).
      replicaBacklog = Math.max(0, replicaBacklog + fills * WRITES_PER_FILL - config.replica.applyPerS * dtS);
      replicaLagMs =
        replicaBacklog > 0
          ? (replicaBacklog / config.replica.applyPerS) * 1000 + config.replica.baseLagMs
          : 0;

      // Read tier: panicked readers and read-backs.
      const readbacks = fills;
      const readsOpen = reads * open + readbacks;
      reject("position", "rate_limited", readsOpen * limited, 0);
      reject("position", "banned", readsOpen * bannedNow, 0);
      reject("position", "error", readsOpen * pass * errorRate, 0);
      const rWorkers = provisioner.workers("read");
      const rArrivals = zeros();
      rArrivals.position = readsOpen * pass * (1 - errorRate);
      emptyInto(r.reservedOut);
      r.general.step(dtMs, rWorkers, rArrivals, latencyByService, r.generalOut);
      reject("position", "timeout", r.generalOut.timeout.position, cap.queueTimeoutMs);
      reject("position", "overloaded", r.generalOut.overloaded.position, 0);
      reject("position", "error", r.generalOut.unavailable.position, 0);
      const readsServed = r.generalOut.admitted.position;
      if (reads + readbacks > 0) readServedShare = readsServed / (reads + readbacks);
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
        g.reserved !== null && reservedWorkers > 0 ? priorityIn * cap.serviceTimeMs.order : 0;
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

interface Moments {
  mean: number;
  variance: number;
}

/**
 * Mean and variance of min(N, cap) for N ~ Poisson(mean): the orders that pass a budget of `cap`
 * when `mean` are offered. Summed term by term up to cap (the terms far past the mean are
 * negligible and end the sum); the censored normal beyond mean 500 (production size).
 */
export function cappedPoisson(mean: number, cap: number, out: Moments): Moments {
  if (mean <= 0 || cap <= 0) {
    out.mean = 0;
    out.variance = 0;
    return out;
  }
  if (mean > 500) return censoredNormal(mean, mean, cap, out);
  let p = Math.exp(-mean);
  let below = 0;
  let m1 = 0;
  let m2 = 0;
  for (let k = 0; k < cap; k++) {
    below += p;
    m1 += k * p;
    m2 += k * k * p;
    if (k > mean && p < 1e-15) break;
    p *= mean / (k + 1);
  }
  const above = Math.max(0, 1 - below);
  m1 += cap * above;
  m2 += cap * cap * above;
  out.mean = m1;
  out.variance = Math.max(0, m2 - m1 * m1);
  return out;
}

/** E[min(S, cap)] for S normal with this mean and variance, kept within [0, min(mean, cap)]. */
export function expectedMinNormal(mean: number, variance: number, cap: number): number {
  if (cap <= 0 || mean <= 0) return 0;
  if (variance <= 0) return Math.min(mean, cap);
  const sd = Math.sqrt(variance);
  const z = (cap - mean) / sd;
  // E[(S - cap)+] = sd (phi(z) - z (1 - Phi(z))).
  const value = mean - sd * (normalPdf(z) - z * (1 - normalCdf(z)));
  return Math.min(mean, cap, Math.max(0, value));
}

/** Mean and variance of min(X, cap) for X normal (truncated-normal moments). */
function censoredNormal(mean: number, variance: number, cap: number, out: Moments): Moments {
  const sd = Math.sqrt(variance);
  const z = (cap - mean) / sd;
  const below = normalCdf(z);
  const pdf = normalPdf(z);
  const m1 = mean * below - sd * pdf + cap * (1 - below);
  const m2 = (mean * mean + variance) * below - sd * (mean + cap) * pdf + cap * cap * (1 - below);
  out.mean = m1;
  out.variance = Math.max(0, m2 - m1 * m1);
  return out;
}

function normalPdf(z: number): number {
  return Math.exp(-0.5 * z * z) / Math.sqrt(2 * Math.PI);
}

/** Standard normal CDF (Abramowitz and Stegun 26.2.17, error < 7.5e-8). */
function normalCdf(z: number): number {
  const t = 1 / (1 + 0.2316419 * Math.abs(z));
  const poly =
    t * (0.31938153 + t * (-0.356563782 + t * (1.781477937 + t * (-1.821255978 + t * 1.330274429))));
  const tail = normalPdf(z) * poly;
  return z >= 0 ? 1 - tail : tail;
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
