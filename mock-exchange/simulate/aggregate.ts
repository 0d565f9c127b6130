import {
  type BehaviourName,
  backoffFactor,
  classMix,
  clientBehaviour,
  HONOURS_RETRY_AFTER,
} from "../../loadtests/lib/behaviours.ts";
import { drillIterationBudgetS, planDrill } from "../../loadtests/lib/plan.ts";
import {
  REJECT_REASONS,
  type RejectReason,
  type TimelinePoint,
  TRAFFIC_CLASSES,
  type TrafficClass,
} from "../../reports/model.ts";
import {
  emptyFluidStepResult,
  FluidQueue,
  type FluidStepResult,
  type LatencyRecorder,
} from "../capacity/fluidQueue.ts";
import { Provisioner, type TierSample } from "../capacity/provisioner.ts";
import { resolveStrategy } from "../capacity/strategies.ts";
import { TIERS, type TierName } from "../capacity/types.ts";
import type { ServiceClass } from "../defaults.ts";
import { BanList } from "../limits/banList.ts";
import { limitWindowCompression } from "../limits/window.ts";
import { behaviourIterationMix, type IterationMix, WEIGHT, WRITES_PER_FILL } from "./behaviour.ts";
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
 * drill size in test/unit/simulate.test.ts and simulateBans.test.ts):
 * - Clients are grouped by their behaviours (a client's behaviour in each class is fixed,
 *   clientBehaviour in loadtests/lib/behaviours.ts): a group sends its share of every class's
 *   iterations (its clients' share of the class's VUs, clientGroups), each running the group's
 *   behaviours (behaviour.ts's expected requests per iteration, all in the same step; per
 *   request they follow each other's responses). Within a group every client offers the same.
 * - Per-IP weight limits, per group: within each fixed window the group's average client's
 *   requests pass until its weight reaches the budget, then none do until the next window (so
 *   the passed load arrives as a rush at each window's start, as per request). New orders pass
 *   the per-account order counts (10 s and 1 min windows) the same way.
 * - IP bans (limits/banList.ts), per group: the group's average client's weight refusals are
 *   counted per window; past the tolerated count the excess refusals are bans (418) and the
 *   group is banned from the end of that step for the escalating ban length. A group's clients
 *   are banned together, where per request they are banned one by one within the same window
 *   or two; the ban starts up to one step late, during which its new orders still pass.
 * - Patient checkers (a group whose position behaviour honours Retry-After): each client's
 *   sessions (the drill's position VUs per client) send only while not told to wait; a refused
 *   read (429, or 418 in a ban) blocks its session for Retry-After (the window's rest in whole
 *   seconds, or the ban's) times its back-off (backoffFactor, at the step's refused share), of
 *   which it misses the whole turns (expectedSkipMs: a session's turn comes every VUs / rate).
 *   The group's position reads are scaled by its share of sessions not waiting.
 * - A closer's order follows a served read: scaled by the previous step's share of its group's
 *   position reads served. A panicked checker's retry follows a read the limits refused at once,
 *   in the same step; it is refused again (the window is spent, or the IP banned).
 * - Priority shedding: cancels and reduce-only/close-position orders use the reserved workers'
 *   queue only (per request they may also take a general worker); new requests use the general
 *   workers with the shedding queue limit.
 * - The sequencer serves at most sequencerOrdersPerS; orders beyond it in a step time out.
 *   Refusals after the limits (queue timeouts, shedding, errors) fall on the groups in
 *   proportion to what each brought to the tier.
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

/** Clients with the same behaviour in every class, and what their average client has done. */
interface Group {
  /** Clients in the group, and their share of each class's iterations (their share of its VUs). */
  clients: number;
  share: Record<TrafficClass, number>;
  names: Record<TrafficClass, BehaviourName>;
  /** Requests per iteration of the group's behaviour in each class. */
  mix: Record<TrafficClass, IterationMix>;
  /** Its position behaviour waits out Retry-After (patient-checker). */
  patient: boolean;
  /** Weight the average client used in the current window, its refusals there, its ban and bans so far. */
  usedInWindow: number;
  refusalsInWindow: number;
  bannedUntilMs: number;
  offences: number;
  /**
   * The average account's orders: offered in the current 10 s window (a Poisson mean), and the
   * mean and variance of what the minute's finished 10 s windows passed.
   */
  offered10s: number;
  minuteMean: number;
  minuteVariance: number;
  /** Share of the position reads the group offered in the previous step that were served. */
  readServedShare: number;
  /** Patient groups: position sessions (VUs) per client, those waiting out a Retry-After, and when they are released. */
  sessions: number;
  waiting: number;
  releases: Array<{ atMs: number; sessions: number }>;
  /** Patient groups: share of their reads refused lately (a session's chance of a refusal in a row). */
  refusedShare: number;
}

/** What a group sends in one step, and how the limits treat it (totals over the group's clients). */
interface GroupStep {
  cancels: number;
  newOrders: number;
  /** Of newOrders: the closer's orders after a served read. */
  afterRead: number;
  fillShare: number;
  priorityNewShare: number;
  depth: number;
  /** Position reads of the position behaviour (patient: those of sessions not waiting), and of the order behaviour. */
  classReads: number;
  orderReads: number;
  /** Reads sent again at once after a limit refusal (panicked-checker), all refused. */
  retries: number;
  open: number;
  pass: number;
  orderPass: number;
  limited: number;
  bannedNow: number;
  /** What reached the gateway and the read tier. */
  cancelsIn: number;
  newOrdersIn: number;
  depthIn: number;
  readsIn: number;
  readbacks: number;
}

const emptyGroupStep = (): GroupStep => ({
  cancels: 0,
  newOrders: 0,
  afterRead: 0,
  fillShare: 0,
  priorityNewShare: 0,
  depth: 0,
  classReads: 0,
  orderReads: 0,
  retries: 0,
  open: 1,
  pass: 1,
  orderPass: 1,
  limited: 0,
  bannedNow: 0,
  cancelsIn: 0,
  newOrdersIn: 0,
  depthIn: 0,
  readsIn: 0,
  readbacks: 0,
});

/**
 * A group of clients with the same behaviour and the same number of VUs in every class, and its
 * share of each class's iterations.
 */
export interface ClientGroup {
  names: Record<TrafficClass, BehaviourName>;
  clients: number;
  share: Record<TrafficClass, number>;
}

/**
 * The groups of clients with the same behaviours and VUs, in order of their first client. Clients
 * are numbered as the drill numbers them (clientBehaviour per class); a class's iterations go
 * round-robin to its `vus[cls]` VUs, VU v being client v % clients (perRequest.ts, as
 * loadtests/drill.ts maps VUs to clients), so a client's share of them is its share of the VUs:
 * the lowest-numbered clients get one VU more when the VUs do not divide evenly, which sends
 * them a little more and brings them to their limits a little sooner (a group per VU count
 * keeps that: per request the bans of one behaviour's clients start over a window or two, not
 * at one instant).
 */
export function clientGroups(
  mix: SimulationInput["profile"]["behaviours"],
  clients: number,
  vus: Record<TrafficClass, number>,
): ClientGroup[] {
  const mixes = {
    order: classMix(mix, "order"),
    position: classMix(mix, "position"),
    depth: classMix(mix, "depth"),
  };
  const vusOf = (cls: TrafficClass, c: number) => {
    const v = Math.max(1, vus[cls]);
    return Math.floor(v / clients) + (c < v % clients ? 1 : 0);
  };
  const groups = new Map<string, ClientGroup>();
  for (let i = 0; i < clients; i++) {
    const names = {
      order: clientBehaviour(mixes.order, i, clients),
      position: clientBehaviour(mixes.position, i, clients),
      depth: clientBehaviour(mixes.depth, i, clients),
    };
    const counts = TRAFFIC_CLASSES.map((cls) => vusOf(cls, i));
    const key = `${names.order}|${names.position}|${names.depth}|${counts.join(",")}`;
    let g = groups.get(key);
    if (g === undefined) {
      g = { names, clients: 0, share: { order: 0, position: 0, depth: 0 } };
      groups.set(key, g);
    }
    g.clients++;
    for (const cls of TRAFFIC_CLASSES) g.share[cls] += vusOf(cls, i) / Math.max(1, vus[cls]);
  }
  return [...groups.values()];
}

/**
 * How long a patient session refused now sends nothing, in expectation: it waits Retry-After
 * times backoffFactor(k), having been refused k times in a row before with probability
 * (1 - q) q^k when a share q of its requests is refused; its turns come every `turnMs` (k6 hands
 * a class's iterations round-robin to its VUs), so it misses ceil(wait / turn) - 1 of them.
 */
export function expectedSkipMs(retryAfterMs: number, q: number, turnMs: number): number {
  if (!(turnMs > 0) || !Number.isFinite(turnMs)) return 0;
  const skip = (k: number) => (Math.ceil((retryAfterMs * backoffFactor(k)) / turnMs - 1e-9) - 1) * turnMs;
  let mean = 0;
  let p = 1 - q;
  let k = 0;
  for (; k < 16; k++) {
    mean += p * skip(k);
    p *= q;
  }
  // The rest (k >= 16) at the largest factor.
  return mean + q ** 16 * skip(k);
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
  const clients = input.clients;
  // Position sessions per client: the drill's position VUs (a patient client's sessions).
  const plan = planDrill(
    { ...profile, normalRatePerS },
    { timeScale, iterationBudgetS: drillIterationBudgetS(cap) },
  );
  const positionVUs = Math.max(1, plan.classes.position.maxVUs);
  const vus = {
    order: plan.classes.order.maxVUs,
    position: plan.classes.position.maxVUs,
    depth: plan.classes.depth.maxVUs,
  };
  const groups: Group[] = clientGroups(profile.behaviours, clients, vus).map((g) => ({
    clients: g.clients,
    share: g.share,
    names: g.names,
    mix: {
      order: behaviourIterationMix(g.names.order),
      position: behaviourIterationMix(g.names.position),
      depth: behaviourIterationMix(g.names.depth),
    },
    patient: HONOURS_RETRY_AFTER[g.names.position],
    usedInWindow: 0,
    refusalsInWindow: 0,
    bannedUntilMs: 0,
    offences: 0,
    offered10s: 0,
    minuteMean: 0,
    minuteVariance: 0,
    readServedShare: 1,
    sessions: Math.max(1e-9, (g.share.position * positionVUs) / g.clients),
    waiting: 0,
    releases: [],
    refusedShare: 0,
  }));
  const steps = groups.map(emptyGroupStep);
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
  // Steps resolve the rate-limit windows: a tenth of the weight window, half the 10 s order
  // window (its budget binds less: 300 per 10 s is 1,800 per minute, above 1,200), at most a second.
  const stepMs = Math.min(1000, windowMs / 10, window10sMs / 2);
  const stepsPerSecond = Math.max(1, Math.round(1000 / stepMs));
  const dtMs = 1000 / stepsPerSecond;
  const dtS = dtMs / 1000;
  const sequencerPerStep = (cap.sequencerOrdersPerS * dtMs) / 1000;
  let replicaBacklog = 0;
  let window = -1;
  let window10s = -1;
  const before: Moments = { mean: 0, variance: 0 };
  const after: Moments = { mean: 0, variance: 0 };
  // Per behaviour, within a step: offered and refused by reason (for sink.behaviour).
  const byBehaviour = sink.behaviour === undefined ? null : new BehaviourTally();
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
      const errorRate = provisioner.errorRate();

      const reject = (cls: TrafficClass, reason: RejectReason, n: number, latencyMs: number) => {
        if (!(n > 0)) return;
        rejected[cls][reason] = (rejected[cls][reason] ?? 0) + n;
        const count = whole.take(`${cls}/${reason}`, n);
        if (count > 0) sink.record(recordAt, cls, latencyMs, count, reason);
      };

      // Step starts are sums of a fractional dtMs: the epsilon keeps a window's steps together.
      const thisWindow = Math.floor(tMs / windowMs + 1e-9);
      const this10s = Math.floor(tMs / window10sMs + 1e-9);
      for (const grp of groups) {
        if (this10s !== window10s) {
          // The finished 10 s window's passed orders join the minute's (10 s windows are independent).
          cappedPoisson(grp.offered10s, orders10sCap, before);
          grp.minuteMean += before.mean;
          grp.minuteVariance += before.variance;
          grp.offered10s = 0;
        }
        if (thisWindow !== window) {
          grp.usedInWindow = 0;
          grp.refusalsInWindow = 0;
          grp.minuteMean = 0;
          grp.minuteVariance = 0;
        }
      }
      window10s = this10s;
      window = thisWindow;
      // Retry-After of a weight refusal now: the window's rest, in whole seconds (WeightLimiter).
      const windowRetryAfterMs = Math.max(1, Math.ceil(((window + 1) * windowMs - tMs) / 1000)) * 1000;

      // ---- limits, per group ------------------------------------------------------------------
      for (let k = 0; k < groups.length; k++) {
        const grp = groups[k] as Group;
        const st = steps[k] as GroupStep;
        const om = grp.mix.order;
        const orderIterations = rates.order * dtS * grp.share.order;
        const cancels = orderIterations * om.cancels;
        // The closer's orders (after a served read) join the new orders.
        const afterRead = orderIterations * om.afterRead * grp.readServedShare;
        const others = orderIterations * (om.newOrders + om.priorityOrders);
        const newOrders = others + afterRead;
        const otherFills = om.newOrderFills + om.priorityFills;
        const baseFillShare = others > 0 ? (orderIterations * otherFills) / others : 0;
        const basePriorityShare = others > 0 ? (orderIterations * om.priorityOrders) / others : 0;
        const afterFillShare = om.afterRead > 0 ? om.afterReadFills / om.afterRead : 0;
        const afterPriorityShare = om.afterRead > 0 ? om.afterReadPriority / om.afterRead : 0;
        st.cancels = cancels;
        st.newOrders = newOrders;
        st.afterRead = afterRead;
        st.fillShare =
          newOrders > 0 ? (others * baseFillShare + afterRead * afterFillShare) / newOrders : baseFillShare;
        st.priorityNewShare =
          newOrders > 0
            ? (others * basePriorityShare + afterRead * afterPriorityShare) / newOrders
            : basePriorityShare;
        st.depth = rates.depth * dtS * grp.share.depth * grp.mix.depth.depth;
        // Position reads: the class's own (a patient group's sessions that are not waiting), and
        // those the order behaviour sends before acting.
        for (let i = 0; i < grp.releases.length; ) {
          const rel = grp.releases[i] as { atMs: number; sessions: number };
          if (rel.atMs <= tMs) {
            grp.waiting = Math.max(0, grp.waiting - rel.sessions);
            grp.releases[i] = grp.releases[grp.releases.length - 1] as { atMs: number; sessions: number };
            grp.releases.pop();
          } else i++;
        }
        const sending = grp.patient ? Math.max(0, 1 - grp.waiting / grp.sessions) : 1;
        st.classReads = rates.position * dtS * grp.share.position * grp.mix.position.reads * sending;
        st.orderReads = orderIterations * om.reads;
        const reads = st.classReads + st.orderReads;
        const orders = cancels + newOrders;

        // A ban carried into this step refuses everything before the weight is counted (418).
        const bannedShare = Math.min(1, Math.max(0, (grp.bannedUntilMs - tMs) / dtMs));
        const open = 1 - bannedShare;
        st.open = open;
        reject("order", "banned", orders * bannedShare, 0);
        reject("depth", "banned", st.depth * bannedShare, 0);
        reject("position", "banned", reads * bannedShare, 0);
        byBehaviour?.refuse(grp.names.order, "banned", (orders + st.orderReads) * bannedShare);
        byBehaviour?.refuse(grp.names.depth, "banned", st.depth * bannedShare);
        byBehaviour?.refuse(grp.names.position, "banned", st.classReads * bannedShare);

        // Order counts per account (weight 0: new orders reach them unless banned). An account's
        // orders are Poisson (per request they are), so they overflow a budget their mean rate
        // only just fits: of n offered in a 10 s window min(n, cap) pass (exact moments); the
        // minute counts what its 10 s windows passed, a sum of capped Poissons, and passes
        // min(sum, cap) (normal approximation with that sum's mean and variance). Refused orders
        // count nowhere.
        const newPerClient = (newOrders * open) / grp.clients;
        let orderPass = 1;
        if (newPerClient > 0) {
          cappedPoisson(grp.offered10s, orders10sCap, before);
          cappedPoisson(grp.offered10s + newPerClient, orders10sCap, after);
          const passedBefore = expectedMinNormal(
            grp.minuteMean + before.mean,
            grp.minuteVariance + before.variance,
            orders1mCap,
          );
          const passedAfter = expectedMinNormal(
            grp.minuteMean + after.mean,
            grp.minuteVariance + after.variance,
            orders1mCap,
          );
          orderPass = Math.min(1, Math.max(0, (passedAfter - passedBefore) / newPerClient));
          grp.offered10s += newPerClient;
        }
        st.orderPass = orderPass;
        reject("order", "rate_limited", newOrders * open * (1 - orderPass), 0);
        byBehaviour?.refuse(grp.names.order, "rate_limited", newOrders * open * (1 - orderPass));

        // Fixed-window weight limit per IP: within a window a client's requests pass until its
        // weight (refused ones included, as the limiter counts them) reaches the budget.
        // Read-backs are estimated from the fills they follow.
        const readbacksEstimate = newOrders * open * orderPass * st.fillShare;
        const weighted = (cancels + st.depth + reads) * open + readbacksEstimate;
        const weightPerClient =
          ((cancels * WEIGHT.cancel + st.depth * WEIGHT.depth + reads * WEIGHT.position) * open +
            readbacksEstimate * WEIGHT.position) /
          grp.clients;
        const room = Math.max(0, budgetPerWindow - grp.usedInWindow);
        const pass = weightPerClient <= room ? 1 : room / weightPerClient;
        // The class's reads refused at once are sent again at once (panicked-checker): into the
        // same exhausted window, or the same ban, so refused again; they count as refusals and,
        // outside a ban, their weight counts too.
        const retryPer = grp.mix.position.retriesPerRefusal;
        const retriesOpen = st.classReads * open * (1 - pass) * retryPer;
        const retriesBanned = st.classReads * bannedShare * retryPer;
        st.retries = retriesOpen + retriesBanned;
        grp.usedInWindow += weightPerClient + (retriesOpen * WEIGHT.position) / grp.clients;
        reject("position", "banned", retriesBanned, 0);
        byBehaviour?.refuse(grp.names.position, "banned", retriesBanned);
        byBehaviour?.offer(grp.names.position, st.retries);

        // Ban accounting: refusals past the tolerated count are answered 418 and start a ban at
        // the end of this step (banList.ts's rule, for the group's average client).
        const refusedPerClient = (weighted * (1 - pass) + retriesOpen) / grp.clients;
        let banShare = 0;
        if (refusedPerClient > 0 && grp.refusalsInWindow + refusedPerClient > refusalsBeforeBan) {
          const tolerated = Math.max(0, refusalsBeforeBan - grp.refusalsInWindow);
          banShare = 1 - tolerated / refusedPerClient;
          grp.refusalsInWindow = 0;
          const startMs = tMs + dtMs;
          if (grp.offences > 0 && startMs - grp.bannedUntilMs >= limits.banForgetMs / timeScale)
            grp.offences = 0;
          grp.offences++;
          grp.bannedUntilMs = startMs + bans.banLengthMs(grp.offences);
        } else {
          grp.refusalsInWindow += refusedPerClient;
        }
        st.pass = pass;
        st.limited = (1 - pass) * (1 - banShare);
        st.bannedNow = (1 - pass) * banShare;
        reject("position", "rate_limited", retriesOpen * (1 - banShare), 0);
        reject("position", "banned", retriesOpen * banShare, 0);
        byBehaviour?.refuse(grp.names.position, "rate_limited", retriesOpen * (1 - banShare));
        byBehaviour?.refuse(grp.names.position, "banned", retriesOpen * banShare);
        reject("order", "rate_limited", cancels * open * st.limited, 0);
        reject("depth", "rate_limited", st.depth * open * st.limited, 0);
        reject("order", "banned", cancels * open * st.bannedNow, 0);
        reject("depth", "banned", st.depth * open * st.bannedNow, 0);
        byBehaviour?.refuse(grp.names.order, "rate_limited", cancels * open * st.limited);
        byBehaviour?.refuse(grp.names.depth, "rate_limited", st.depth * open * st.limited);
        byBehaviour?.refuse(grp.names.order, "banned", cancels * open * st.bannedNow);
        byBehaviour?.refuse(grp.names.depth, "banned", st.depth * open * st.bannedNow);

        // A patient group's refused reads block their sessions: for the ban's rest (whole
        // seconds) when banned, else for the window's, times the expected back-off.
        if (grp.patient && st.classReads > 0) {
          // A session's refusals in a row come from its attempts a turn apart: the share refused
          // over the last turns, not within this step (within a window the first steps pass and
          // the last are refused).
          const refusedNow = Math.min(1, bannedShare + open * (1 - pass));
          const turnMs = (1000 * positionVUs) / Math.max(1e-9, rates.position);
          // Averaged over half a turn (or window): fitted to the per-request simulation of smoke,
          // where it puts the patient clients' reads within 3% (time scales 60 and 180).
          const a = Math.min(1, dtMs / (0.5 * Math.max(turnMs, windowMs)));
          grp.refusedShare += a * (refusedNow - grp.refusedShare);
          const q = grp.refusedShare;
          const perClient = st.classReads / grp.clients;
          // 418s (the carried ban, or one this step starts) and 429s.
          const banned = perClient * (bannedShare + open * st.bannedNow);
          const limited = perClient * open * st.limited;
          const banRestMs = Math.max(1, Math.ceil((grp.bannedUntilMs - tMs) / 1000)) * 1000;
          if (banned > 0)
            grp.releases.push({ atMs: tMs + expectedSkipMs(banRestMs, q, turnMs), sessions: banned });
          if (limited > 0)
            grp.releases.push({
              atMs: tMs + expectedSkipMs(windowRetryAfterMs, q, turnMs),
              sessions: limited,
            });
          grp.waiting = Math.min(grp.sessions, grp.waiting + banned + limited);
        }

        st.cancelsIn = cancels * open * st.pass * (1 - errorRate);
        st.newOrdersIn = newOrders * open * orderPass * (1 - errorRate);
        st.depthIn = st.depth * open * st.pass * (1 - errorRate);
        reject("order", "error", (cancels * open * st.pass + newOrders * open * orderPass) * errorRate, 0);
        reject("depth", "error", st.depth * open * st.pass * errorRate, 0);
        byBehaviour?.refuse(
          grp.names.order,
          "error",
          (cancels * open * st.pass + newOrders * open * orderPass) * errorRate,
        );
        byBehaviour?.refuse(grp.names.depth, "error", st.depth * open * st.pass * errorRate);
        byBehaviour?.offer(grp.names.order, orders);
        byBehaviour?.offer(grp.names.depth, st.depth);
      }

      // ---- gateway: cancels (priority) and new orders, depth ------------------------------------
      gWorkers = provisioner.workers("gateway");
      const reservedWorkers =
        g.reserved === null || gWorkers < 2
          ? 0
          : Math.max(1, Math.round(gWorkers * (shedding?.reservedFraction ?? 0)));
      let cancelsIn = 0;
      let newOrdersIn = 0;
      let priorityNewIn = 0;
      let fillingIn = 0;
      let depthIn = 0;
      for (const st of steps) {
        cancelsIn += st.cancelsIn;
        newOrdersIn += st.newOrdersIn;
        // Reduce-only and close-position orders pass shedding as cancels do (venue.ts isPriority).
        priorityNewIn += st.newOrdersIn * st.priorityNewShare;
        fillingIn += st.newOrdersIn * st.fillShare;
        depthIn += st.depthIn;
      }
      const priorityIn = cancelsIn + priorityNewIn;
      const generalOrdersIn = newOrdersIn - priorityNewIn;
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
      const gatewayRefused = { order: zeroReasons(), depth: zeroReasons() };
      for (const out of [g.generalOut, g.reservedOut]) {
        reject("order", "timeout", out.timeout.order, cap.queueTimeoutMs);
        reject("order", "overloaded", out.overloaded.order, 0);
        reject("order", "error", out.unavailable.order, 0);
        reject("depth", "timeout", out.timeout.depth, cap.queueTimeoutMs);
        reject("depth", "overloaded", out.overloaded.depth, 0);
        reject("depth", "error", out.unavailable.depth, 0);
        gatewayRefused.order.timeout += out.timeout.order;
        gatewayRefused.order.overloaded += out.overloaded.order;
        gatewayRefused.order.error += out.unavailable.order;
        gatewayRefused.depth.timeout += out.timeout.depth;
        gatewayRefused.depth.overloaded += out.overloaded.depth;
        gatewayRefused.depth.error += out.unavailable.depth;
      }
      // The sequencer: what it cannot take in a step waits past the timeout.
      if (ordersAdmitted > sequencerPerStep) {
        reject("order", "timeout", ordersAdmitted - sequencerPerStep, cap.queueTimeoutMs);
        gatewayRefused.order.timeout += ordersAdmitted - sequencerPerStep;
        ordersAdmitted = sequencerPerStep;
      }
      const ordersInTotal = cancelsIn + newOrdersIn;
      const newShare = ordersInTotal > 0 ? newOrdersIn / ordersInTotal : 0;
      const fillShare = newOrdersIn > 0 ? fillingIn / newOrdersIn : 0;
      const fills = ordersAdmitted * newShare * fillShare;

      // Replica: fills are writes; lag = backlog / apply rate (+ base lag).
      replicaBacklog = Math.max(0, replicaBacklog + fills * WRITES_PER_FILL - config.replica.applyPerS * dtS);
      replicaLagMs =
        replicaBacklog > 0
          ? (replicaBacklog / config.replica.applyPerS) * 1000 + config.replica.baseLagMs
          : 0;

      // ---- read tier: position reads and read-backs, through each group's limits ----------------
      let readsIn = 0;
      let readsOffered = 0;
      for (let k = 0; k < groups.length; k++) {
        const grp = groups[k] as Group;
        const st = steps[k] as GroupStep;
        // The group's read-backs follow its share of the fills.
        st.readbacks = fillingIn > 0 ? fills * ((st.newOrdersIn * st.fillShare) / fillingIn) : 0;
        const reads = st.classReads + st.orderReads;
        const readsOpen = reads * st.open + st.readbacks;
        reject("position", "rate_limited", readsOpen * st.limited, 0);
        reject("position", "banned", readsOpen * st.bannedNow, 0);
        reject("position", "error", readsOpen * st.pass * errorRate, 0);
        st.readsIn = readsOpen * st.pass * (1 - errorRate);
        readsIn += st.readsIn;
        readsOffered += reads + st.readbacks;
        if (byBehaviour !== null) {
          const own = st.classReads * st.open;
          const orderSide = st.orderReads * st.open + st.readbacks;
          for (const [name, n] of [
            [grp.names.position, own],
            [grp.names.order, orderSide],
          ] as Array<[BehaviourName, number]>) {
            byBehaviour.refuse(name, "rate_limited", n * st.limited);
            byBehaviour.refuse(name, "banned", n * st.bannedNow);
            byBehaviour.refuse(name, "error", n * st.pass * errorRate);
          }
          byBehaviour.offer(grp.names.position, st.classReads);
          byBehaviour.offer(grp.names.order, st.orderReads + st.readbacks);
          // Gateway refusals fall on the groups by what each brought to it.
          const orderIn = st.cancelsIn + st.newOrdersIn;
          for (const reason of ["timeout", "overloaded", "error"] as const) {
            if (ordersInTotal > 0)
              byBehaviour.refuse(
                grp.names.order,
                reason,
                gatewayRefused.order[reason] * (orderIn / ordersInTotal),
              );
            if (depthIn > 0)
              byBehaviour.refuse(
                grp.names.depth,
                reason,
                gatewayRefused.depth[reason] * (st.depthIn / depthIn),
              );
          }
        }
      }
      const rWorkers = provisioner.workers("read");
      const rArrivals = zeros();
      rArrivals.position = readsIn;
      emptyInto(r.reservedOut);
      r.general.step(dtMs, rWorkers, rArrivals, latencyByService, r.generalOut);
      reject("position", "timeout", r.generalOut.timeout.position, cap.queueTimeoutMs);
      reject("position", "overloaded", r.generalOut.overloaded.position, 0);
      reject("position", "error", r.generalOut.unavailable.position, 0);
      const readsServed = r.generalOut.admitted.position;
      const readServedOfIn = readsIn > 0 ? readsServed / readsIn : 0;
      for (let k = 0; k < groups.length; k++) {
        const grp = groups[k] as Group;
        const st = steps[k] as GroupStep;
        const offeredReads = st.classReads + st.orderReads + st.readbacks;
        if (offeredReads > 0) grp.readServedShare = (st.readsIn * readServedOfIn) / offeredReads;
        if (byBehaviour !== null && readsIn > 0) {
          const share = st.readsIn / readsIn;
          const own = st.classReads * st.open;
          const all = (st.classReads + st.orderReads) * st.open + st.readbacks;
          const ownShare = all > 0 ? own / all : 0;
          for (const [reason, n] of [
            ["timeout", r.generalOut.timeout.position],
            ["overloaded", r.generalOut.overloaded.position],
            ["error", r.generalOut.unavailable.position],
          ] as Array<[RejectReason, number]>) {
            byBehaviour.refuse(grp.names.position, reason, n * share * ownShare);
            byBehaviour.refuse(grp.names.order, reason, n * share * (1 - ownShare));
          }
        }
      }
      if (byBehaviour !== null && sink.behaviour !== undefined) byBehaviour.flush(sink.behaviour.bind(sink));
      const readbacks = fills;
      const readbackShare = readsOffered > 0 ? readbacks / readsOffered : 0;
      const checked = whole.take("checked", readsServed * readbackShare);
      // A read-back is stale when the replica is further behind than the read took to be served.
      const readTimeMs =
        cap.serviceTimeMs.position +
        (r.generalOut.queueDepth * cap.serviceTimeMs.position) / Math.max(1, rWorkers);
      const staleNow = replicaLagMs > readTimeMs ? checked : 0;
      stale += staleNow;
      sink.stale(recordAt, checked, staleNow, replicaLagMs - readTimeMs);

      for (const st of steps) {
        offered.order += st.cancels + st.newOrders;
        offered.position += st.classReads + st.orderReads + st.readbacks + st.retries;
        offered.depth += st.depth;
      }
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

const zeroReasons = () => ({ timeout: 0, overloaded: 0, error: 0 });

/** Per behaviour within a step: requests offered and refused by reason, reported to the sink. */
class BehaviourTally {
  private readonly offered = new Map<BehaviourName, number>();
  private readonly refused = new Map<BehaviourName, Map<RejectReason, number>>();
  offer(name: BehaviourName, n: number): void {
    if (n > 0) this.offered.set(name, (this.offered.get(name) ?? 0) + n);
  }
  refuse(name: BehaviourName, reason: RejectReason, n: number): void {
    if (!(n > 0)) return;
    let m = this.refused.get(name);
    if (m === undefined) {
      m = new Map();
      this.refused.set(name, m);
    }
    m.set(reason, (m.get(reason) ?? 0) + n);
  }
  flush(report: (name: BehaviourName, reason: RejectReason | undefined, n: number) => void): void {
    for (const [name, n] of this.offered) {
      let refused = 0;
      for (const [reason, k] of this.refused.get(name) ?? []) {
        report(name, reason, k);
        refused += k;
      }
      report(name, undefined, Math.max(0, n - refused));
    }
    this.offered.clear();
    this.refused.clear();
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
