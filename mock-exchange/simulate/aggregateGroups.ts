import {
  type BehaviourName,
  backoffFactor,
  classMix,
  clientBehaviour,
  HONOURS_RETRY_AFTER,
} from "../../loadtests/lib/behaviours.ts";
import { TRAFFIC_CLASSES, type TrafficClass } from "../../loadtests/vocabulary/traffic.ts";
import { cappedPoisson, expectedMinNormal } from "./aggregateMath.ts";
import { reject, type StepContext } from "./aggregateRun.ts";
import { behaviourIterationMix, type IterationMix, WEIGHT } from "./behaviour.ts";
import type { SimulationInput } from "./types.ts";

/**
 * The aggregate simulation's clients, in groups with the same behaviours, through the venue's
 * limits per IP and per account (aggregate.ts lists the approximations): what each group offers
 * in a step, its bans, its order counts, its weight window, its patient sessions waiting, and
 * what reaches the gateway.
 */

/** Clients with the same behaviour in every class, and what their average client has done. */
export interface Group {
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
export interface GroupStep {
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

export const emptyGroupStep = (): GroupStep => ({
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

/** A group at the start: nothing used, nothing refused, nobody waiting. */
export function newGroup(g: ClientGroup, positionVUs: number): Group {
  return {
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
  };
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

/** Opens the step's windows: a new 10 s order window or weight window starts every group's count afresh. */
export function rollWindows(ctx: StepContext): void {
  const { run, tMs } = ctx;
  // Step starts are sums of a fractional dtMs: the epsilon keeps a window's steps together.
  const thisWindow = Math.floor(tMs / run.windowMs + 1e-9);
  const this10s = Math.floor(tMs / run.window10sMs + 1e-9);
  for (const grp of run.groups) {
    if (this10s !== run.window10s) {
      // The finished 10 s window's passed orders join the minute's (10 s windows are independent).
      cappedPoisson(grp.offered10s, run.orders10sCap, run.before);
      grp.minuteMean += run.before.mean;
      grp.minuteVariance += run.before.variance;
      grp.offered10s = 0;
    }
    if (thisWindow !== run.window) {
      grp.usedInWindow = 0;
      grp.refusalsInWindow = 0;
      grp.minuteMean = 0;
      grp.minuteVariance = 0;
    }
  }
  run.window10s = this10s;
  run.window = thisWindow;
  ctx.windowRetryAfterMs = Math.max(1, Math.ceil(((run.window + 1) * run.windowMs - tMs) / 1000)) * 1000;
}

/** One group through the limits in one step, in the venue's order: bans, order counts, weight. */
export function limitGroup(ctx: StepContext, grp: Group, st: GroupStep): void {
  offerGroup(ctx, grp, st);
  const bannedShare = refuseBanned(ctx, grp, st);
  passOrderCounts(ctx, grp, st);
  passWeight(ctx, grp, st, bannedShare);
  holdPatientSessions(ctx, grp, st, bannedShare);
  admitToGateway(ctx, grp, st);
}

/** What the group offers in the step, by kind (iterations of its behaviours at the classes' rates). */
function offerGroup(ctx: StepContext, grp: Group, st: GroupStep): void {
  const { run, tMs } = ctx;
  const rates = run.rates;
  const om = grp.mix.order;
  const orderIterations = rates.order * run.dtS * grp.share.order;
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
  st.depth = rates.depth * run.dtS * grp.share.depth * grp.mix.depth.depth;
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
  st.classReads = rates.position * run.dtS * grp.share.position * grp.mix.position.reads * sending;
  st.orderReads = orderIterations * om.reads;
}

/** A ban carried into this step refuses everything before the weight is counted (418); returns the banned share. */
function refuseBanned(ctx: StepContext, grp: Group, st: GroupStep): number {
  const byBehaviour = ctx.run.byBehaviour;
  const reads = st.classReads + st.orderReads;
  const orders = st.cancels + st.newOrders;
  const bannedShare = Math.min(1, Math.max(0, (grp.bannedUntilMs - ctx.tMs) / ctx.run.dtMs));
  const open = 1 - bannedShare;
  st.open = open;
  reject(ctx, "order", "banned", orders * bannedShare, 0);
  reject(ctx, "depth", "banned", st.depth * bannedShare, 0);
  reject(ctx, "position", "banned", reads * bannedShare, 0);
  byBehaviour?.refuse(grp.names.order, "banned", (orders + st.orderReads) * bannedShare);
  byBehaviour?.refuse(grp.names.depth, "banned", st.depth * bannedShare);
  byBehaviour?.refuse(grp.names.position, "banned", st.classReads * bannedShare);
  return bannedShare;
}

/**
 * Order counts per account (weight 0: new orders reach them unless banned). An account's orders
 * are Poisson (per request they are), so they overflow a budget their mean rate only just fits:
 * of n offered in a 10 s window min(n, cap) pass (exact moments); the minute counts what its
 * 10 s windows passed, a sum of capped Poissons, and passes min(sum, cap) (normal approximation
 * with that sum's mean and variance). Refused orders count nowhere.
 */
function passOrderCounts(ctx: StepContext, grp: Group, st: GroupStep): void {
  const { run } = ctx;
  const { before, after } = run;
  const newOrders = st.newOrders;
  const open = st.open;
  const newPerClient = (newOrders * open) / grp.clients;
  let orderPass = 1;
  if (newPerClient > 0) {
    cappedPoisson(grp.offered10s, run.orders10sCap, before);
    cappedPoisson(grp.offered10s + newPerClient, run.orders10sCap, after);
    const passedBefore = expectedMinNormal(
      grp.minuteMean + before.mean,
      grp.minuteVariance + before.variance,
      run.orders1mCap,
    );
    const passedAfter = expectedMinNormal(
      grp.minuteMean + after.mean,
      grp.minuteVariance + after.variance,
      run.orders1mCap,
    );
    orderPass = Math.min(1, Math.max(0, (passedAfter - passedBefore) / newPerClient));
    grp.offered10s += newPerClient;
  }
  st.orderPass = orderPass;
  reject(ctx, "order", "rate_limited", newOrders * open * (1 - orderPass), 0);
  run.byBehaviour?.refuse(grp.names.order, "rate_limited", newOrders * open * (1 - orderPass));
}

/**
 * Fixed-window weight limit per IP: within a window a client's requests pass until its weight
 * (refused ones included, as the limiter counts them) reaches the budget. Read-backs are
 * estimated from the fills they follow. Refusals past the tolerated count are answered 418 and
 * start a ban at the end of this step (banList.ts's rule, for the group's average client).
 */
function passWeight(ctx: StepContext, grp: Group, st: GroupStep, bannedShare: number): void {
  const { run, tMs } = ctx;
  const byBehaviour = run.byBehaviour;
  const cancels = st.cancels;
  const open = st.open;
  const reads = st.classReads + st.orderReads;
  const readbacksEstimate = st.newOrders * open * st.orderPass * st.fillShare;
  const weighted = (cancels + st.depth + reads) * open + readbacksEstimate;
  const weightPerClient =
    ((cancels * WEIGHT.cancel + st.depth * WEIGHT.depth + reads * WEIGHT.position) * open +
      readbacksEstimate * WEIGHT.position) /
    grp.clients;
  const room = Math.max(0, run.budgetPerWindow - grp.usedInWindow);
  const pass = weightPerClient <= room ? 1 : room / weightPerClient;
  // The class's reads refused at once are sent again at once (panicked-checker): into the
  // same exhausted window, or the same ban, so refused again; they count as refusals and,
  // outside a ban, their weight counts too.
  const retryPer = grp.mix.position.retriesPerRefusal;
  const retriesOpen = st.classReads * open * (1 - pass) * retryPer;
  const retriesBanned = st.classReads * bannedShare * retryPer;
  st.retries = retriesOpen + retriesBanned;
  grp.usedInWindow += weightPerClient + (retriesOpen * WEIGHT.position) / grp.clients;
  reject(ctx, "position", "banned", retriesBanned, 0);
  byBehaviour?.refuse(grp.names.position, "banned", retriesBanned);
  byBehaviour?.offer(grp.names.position, st.retries);

  const refusedPerClient = (weighted * (1 - pass) + retriesOpen) / grp.clients;
  let banShare = 0;
  if (refusedPerClient > 0 && grp.refusalsInWindow + refusedPerClient > run.refusalsBeforeBan) {
    const tolerated = Math.max(0, run.refusalsBeforeBan - grp.refusalsInWindow);
    banShare = 1 - tolerated / refusedPerClient;
    grp.refusalsInWindow = 0;
    const startMs = tMs + run.dtMs;
    if (grp.offences > 0 && startMs - grp.bannedUntilMs >= run.limits.banForgetMs / run.input.timeScale)
      grp.offences = 0;
    grp.offences++;
    grp.bannedUntilMs = startMs + run.bans.banLengthMs(grp.offences);
  } else {
    grp.refusalsInWindow += refusedPerClient;
  }
  st.pass = pass;
  st.limited = (1 - pass) * (1 - banShare);
  st.bannedNow = (1 - pass) * banShare;
  reject(ctx, "position", "rate_limited", retriesOpen * (1 - banShare), 0);
  reject(ctx, "position", "banned", retriesOpen * banShare, 0);
  byBehaviour?.refuse(grp.names.position, "rate_limited", retriesOpen * (1 - banShare));
  byBehaviour?.refuse(grp.names.position, "banned", retriesOpen * banShare);
  reject(ctx, "order", "rate_limited", cancels * open * st.limited, 0);
  reject(ctx, "depth", "rate_limited", st.depth * open * st.limited, 0);
  reject(ctx, "order", "banned", cancels * open * st.bannedNow, 0);
  reject(ctx, "depth", "banned", st.depth * open * st.bannedNow, 0);
  byBehaviour?.refuse(grp.names.order, "rate_limited", cancels * open * st.limited);
  byBehaviour?.refuse(grp.names.depth, "rate_limited", st.depth * open * st.limited);
  byBehaviour?.refuse(grp.names.order, "banned", cancels * open * st.bannedNow);
  byBehaviour?.refuse(grp.names.depth, "banned", st.depth * open * st.bannedNow);
}

/**
 * A patient group's refused reads block their sessions: for the ban's rest (whole seconds) when
 * banned, else for the window's, times the expected back-off.
 */
function holdPatientSessions(ctx: StepContext, grp: Group, st: GroupStep, bannedShare: number): void {
  if (!(grp.patient && st.classReads > 0)) return;
  const { run, tMs } = ctx;
  const dtMs = run.dtMs;
  const open = st.open;
  // A session's refusals in a row come from its attempts a turn apart: the share refused
  // over the last turns, not within this step (within a window the first steps pass and
  // the last are refused).
  const refusedNow = Math.min(1, bannedShare + open * (1 - st.pass));
  const turnMs = (1000 * run.positionVUs) / Math.max(1e-9, run.rates.position);
  // Averaged over half a turn (or window): fitted to the per-request simulation of smoke,
  // where it puts the patient clients' reads within 3% (time scales 60 and 180).
  const a = Math.min(1, dtMs / (0.5 * Math.max(turnMs, run.windowMs)));
  grp.refusedShare += a * (refusedNow - grp.refusedShare);
  const q = grp.refusedShare;
  const perClient = st.classReads / grp.clients;
  // 418s (the carried ban, or one this step starts) and 429s.
  const banned = perClient * (bannedShare + open * st.bannedNow);
  const limited = perClient * open * st.limited;
  const banRestMs = Math.max(1, Math.ceil((grp.bannedUntilMs - tMs) / 1000)) * 1000;
  if (banned > 0) grp.releases.push({ atMs: tMs + expectedSkipMs(banRestMs, q, turnMs), sessions: banned });
  if (limited > 0)
    grp.releases.push({
      atMs: tMs + expectedSkipMs(ctx.windowRetryAfterMs, q, turnMs),
      sessions: limited,
    });
  grp.waiting = Math.min(grp.sessions, grp.waiting + banned + limited);
}

/** What passed the limits reaches the gateway, less the dependency's errors. */
function admitToGateway(ctx: StepContext, grp: Group, st: GroupStep): void {
  const byBehaviour = ctx.run.byBehaviour;
  const errorRate = ctx.errorRate;
  const { cancels, newOrders, open, orderPass } = st;
  st.cancelsIn = cancels * open * st.pass * (1 - errorRate);
  st.newOrdersIn = newOrders * open * orderPass * (1 - errorRate);
  st.depthIn = st.depth * open * st.pass * (1 - errorRate);
  reject(ctx, "order", "error", (cancels * open * st.pass + newOrders * open * orderPass) * errorRate, 0);
  reject(ctx, "depth", "error", st.depth * open * st.pass * errorRate, 0);
  byBehaviour?.refuse(
    grp.names.order,
    "error",
    (cancels * open * st.pass + newOrders * open * orderPass) * errorRate,
  );
  byBehaviour?.refuse(grp.names.depth, "error", st.depth * open * st.pass * errorRate);
  byBehaviour?.offer(grp.names.order, cancels + newOrders);
  byBehaviour?.offer(grp.names.depth, st.depth);
}
