import { drillRequestBudgetS, planDrill } from "../../loadtests/lib/plan.ts";
import type { TimelinePoint } from "../../loadtests/vocabulary/runFolder.ts";
import {
  REJECT_REASONS,
  type RejectReason,
  TRAFFIC_CLASSES,
  type TrafficClass,
} from "../../loadtests/vocabulary/traffic.ts";
import type { LatencyRecorder } from "../capacity/fluidQueue.ts";
import { Provisioner } from "../capacity/provisioner.ts";
import { resolveStrategy } from "../capacity/strategies.ts";
import type { CapacityEvent } from "../capacity/types.ts";
import type { ServiceClass } from "../defaults.ts";
import { BanList } from "../limits/banList.ts";
import { limitWindowCompression } from "../limits/window.ts";
import { FluidCascade } from "../market/fluidCascade.ts";
import {
  clientGroups,
  emptyGroupStep,
  type Group,
  type GroupStep,
  limitGroup,
  newGroup,
  rollWindows,
} from "./aggregateGroups.ts";
import { round3, roundAll, WholeCounts } from "./aggregateMath.ts";
import {
  type AggregateRun,
  BehaviourTally,
  ClassLatencySink,
  type SecondTally,
  type StepContext,
} from "./aggregateRun.ts";
import { newTiers, provision, stepGateway, stepReadTier, stepReplica } from "./aggregateTiers.ts";
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
 * - The market (config.market): the fluid cascade (market/fluidCascade.ts, its own approximations
 *   there) meets each step's gateway at its admitted shares of non-priority orders (the makers'
 *   quote updates) and of priority ones (their cancels, the stop-loss closes); the makers' and
 *   stop-loss traders' own requests are not added to the gateway's arrivals (a few dozen a second
 *   at drill size, beside the clients' hundreds). Checked against the per-request market model at
 *   drill size in test/unit/fluidAgreement.test.ts.
 */

export function simulateAggregate(input: SimulationInput, sink: SimulationSink): void {
  const run = newAggregateRun(input, sink);
  // Faults and schedule steps at natural time 0 apply before the first step.
  run.provisioner.advance(0, run.samples);
  let pendingEvents = run.provisioner.takeEvents();
  const seconds = Math.ceil(input.durationS);
  for (let second = 0; second < seconds; second++) {
    const sec = newSecond(pendingEvents);
    pendingEvents = [];
    for (let sub = 0; sub < run.stepsPerSecond; sub++) runStep(run, sec, second * 1000 + sub * run.dtMs);
    sink.timeline(timelinePoint(run, sec, second));
  }
}

/** The run's parts and the limits' figures, from the profile, the strategy and the exchange's configuration. */
function newAggregateRun(input: SimulationInput, sink: SimulationSink): AggregateRun {
  const { profile, config, normalRatePerS, timeScale } = input;
  const cap = config.capacity;
  const strategy = resolveStrategy(cap.strategy, cap.tiers, cap.strategyParams);
  const provisioner = new Provisioner({ strategy, sizing: cap.tiers, faults: config.faults });
  const shedding = strategy.shedding;
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
  // Position sessions per client: the drill's position VUs (a patient client's sessions).
  const plan = planDrill(
    { ...profile, normalRatePerS },
    { timeScale, requestBudgetS: drillRequestBudgetS(cap) },
  );
  const positionVUs = Math.max(1, plan.classes.position.maxVUs);
  const vus = {
    order: plan.classes.order.maxVUs,
    position: plan.classes.position.maxVUs,
    depth: plan.classes.depth.maxVUs,
  };
  const groups = clientGroups(profile.behaviours, input.clients, vus).map((g) => newGroup(g, positionVUs));
  const limits = config.limits;
  // Limit windows compress like the exchange's (limits/window.ts): one factor, windows nested.
  const compression = limitWindowCompression(limits, timeScale);
  const windowMs = 60_000 / compression;
  const window10sMs = 10_000 / compression;
  // Steps resolve the rate-limit windows: a tenth of the weight window, half the 10 s order
  // window (its budget binds less: 300 per 10 s is 1,800 per minute, above 1,200), at most a second.
  const stepMs = Math.min(1000, windowMs / 10, window10sMs / 2);
  const stepsPerSecond = Math.max(1, Math.round(1000 / stepMs));
  const dtMs = 1000 / stepsPerSecond;
  return {
    input,
    sink,
    config,
    cap,
    limits,
    provisioner,
    shedding,
    tiers: newTiers(cap, shedding),
    latencySinks,
    latencyByService,
    whole: new WholeCounts(),
    samples: {
      gateway: { busyFraction: 0, demandRatio: 0 },
      read: { busyFraction: 0, demandRatio: 0 },
    },
    rates: { order: 0, position: 0, depth: 0 },
    positionVUs,
    groups,
    steps: groups.map(emptyGroupStep),
    windowMs,
    budgetPerWindow: limits.weightPerMinute / compression,
    window10sMs,
    // A count passes while it stays at or under the budget (OrderCountLimiter): whole orders.
    orders10sCap: Math.floor(limits.ordersPer10s / compression + 1e-9),
    orders1mCap: Math.floor(limits.ordersPerMinute / compression + 1e-9),
    refusalsBeforeBan: limits.banAfterRefusalsPerMinute / compression,
    bans: new BanList(limits, timeScale, 0, compression),
    stepsPerSecond,
    dtMs,
    dtS: dtMs / 1000,
    sequencerPerStep: (cap.sequencerOrdersPerS * dtMs) / 1000,
    replicaBacklog: 0,
    window: -1,
    window10s: -1,
    before: { mean: 0, variance: 0 },
    after: { mean: 0, variance: 0 },
    byBehaviour: sink.behaviour === undefined ? null : new BehaviourTally(),
    market: config.market === undefined ? undefined : new FluidCascade(config, config.market),
  };
}

function newSecond(events: CapacityEvent[]): SecondTally {
  return {
    rejected: { order: {}, position: {}, depth: {} },
    offered: { order: 0, position: 0, depth: 0 },
    admitted: 0,
    stale: 0,
    busyGateway: 0,
    busyRead: 0,
    replicaLagMs: 0,
    gWorkers: 0,
    events,
  };
}

/** One step starting at tMs: the limits per group, the gateway, the replica, the read tier, provisioning. */
function runStep(run: AggregateRun, sec: SecondTally, tMs: number): void {
  const { profile, normalRatePerS, timeScale } = run.input;
  const recordAt = tMs + run.dtMs / 2;
  run.latencySinks.order.tMs = recordAt;
  run.latencySinks.position.tMs = recordAt;
  run.latencySinks.depth.tMs = recordAt;
  ratesAt(profile, normalRatePerS, timeScale, recordAt / 1000, run.rates);
  const ctx: StepContext = {
    run,
    sec,
    tMs,
    recordAt,
    errorRate: run.provisioner.errorRate(),
    windowRetryAfterMs: 0,
  };
  rollWindows(ctx);
  for (let k = 0; k < run.groups.length; k++)
    limitGroup(ctx, run.groups[k] as Group, run.steps[k] as GroupStep);
  const gw = stepGateway(ctx);
  // The market's agents meet the step's gateway: its makers' updates and stop-loss closes pass at its admitted shares.
  run.market?.advance(tMs + run.dtMs, gw.admitted);
  stepReplica(ctx, gw.fills);
  const readsServed = stepReadTier(ctx, gw);
  for (const st of run.steps) {
    sec.offered.order += st.cancels + st.newOrders;
    sec.offered.position += st.classReads + st.orderReads + st.readbacks + st.retries;
    sec.offered.depth += st.depth;
  }
  const g = run.tiers.gateway;
  sec.admitted +=
    gw.ordersAdmitted + g.generalOut.admitted.depth + g.reservedOut.admitted.depth + readsServed;
  provision(ctx, gw);
}

/** The timeline line for a second. */
function timelinePoint(run: AggregateRun, sec: SecondTally, second: number): TimelinePoint {
  const g = run.tiers.gateway;
  const r = run.tiers.read;
  const provisioner = run.provisioner;
  const endMs = (second + 1) * 1000;
  const gQueue = Math.round(g.generalOut.queueDepth + g.reservedOut.queueDepth);
  const point: TimelinePoint = {
    tsMs: endMs,
    tWallS: second + 1,
    offered: 0,
    admitted: Math.round(sec.admitted),
    served: 0,
    rejected: {},
    byClass: {},
    queueDepth: gQueue,
    queueDepthMax: gQueue,
    busyWorkers: Math.round(sec.busyGateway * sec.gWorkers),
    workers: sec.gWorkers,
    utilisation: round3(sec.busyGateway),
    replicaLagMs: Math.round(sec.replicaLagMs),
    replicaBacklog: Math.round(run.replicaBacklog),
    staleReadsServed: sec.stale,
    serverP99Ms: null,
    tNaturalS: (endMs / 1000) * run.input.timeScale,
    rejectedByClass: {},
    tiers: {
      gateway: { ...provisioner.state("gateway"), utilisation: round3(sec.busyGateway), queueDepth: gQueue },
      read: {
        ...provisioner.state("read"),
        utilisation: round3(sec.busyRead),
        queueDepth: Math.round(r.generalOut.queueDepth),
      },
    },
    costInstanceMinutes: roundAll(provisioner.cost()),
    events: sec.events,
  };
  for (const cls of TRAFFIC_CLASSES) addClass(point, cls, sec.offered[cls], sec.rejected[cls]);
  if (run.market !== undefined) {
    const closed = run.market.closeSecond();
    point.market = closed.market;
    point.liquidations = closed.liquidations;
    point.liquidationsShown = closed.liquidationsShown;
  }
  return point;
}

/** A class's offered, served and refused (by reason) into the second's line. */
function addClass(
  point: TimelinePoint,
  cls: TrafficClass,
  offered: number,
  rejected: Partial<Record<RejectReason, number>>,
): void {
  const refused = Object.values(rejected).reduce((a, b) => a + (b ?? 0), 0);
  const served = Math.round(Math.max(0, offered - refused));
  point.byClass[cls] = { offered: Math.round(offered), served, rejected: Math.round(refused) };
  point.offered += Math.round(offered);
  point.served += served;
  const byReason: Partial<Record<RejectReason, number>> = {};
  for (const reason of REJECT_REASONS) {
    const n = rejected[reason];
    if (n === undefined || n <= 0) continue;
    byReason[reason] = Math.round(n);
    point.rejected[reason] = (point.rejected[reason] ?? 0) + Math.round(n);
  }
  if (Object.keys(byReason).length > 0) point.rejectedByClass[cls] = byReason;
}
