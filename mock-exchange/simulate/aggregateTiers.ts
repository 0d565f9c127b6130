import type { BehaviourName } from "../../loadtests/lib/behaviours.ts";
import type { RejectReason } from "../../loadtests/vocabulary/traffic.ts";
import { emptyFluidStepResult, FluidQueue, type FluidStepResult } from "../capacity/fluidQueue.ts";
import { type SheddingPolicy, TIERS, type TierName } from "../capacity/types.ts";
import type { ExchangeConfig, ServiceClass } from "../defaults.ts";
import type { AdmittedShares } from "../market/fluidMakers.ts";
import type { Group, GroupStep } from "./aggregateGroups.ts";
import { ratio } from "./aggregateMath.ts";
import { reject, type StepContext } from "./aggregateRun.ts";
import { WRITES_PER_FILL } from "./behaviour.ts";

/**
 * The aggregate simulation's queues (aggregate.ts lists the approximations): the gateway's
 * (cancels and orders, depth; with priority shedding a reserved queue for cancels and
 * reduce-only orders) and the sequencer behind it, the read replica the fills write to, and the
 * read tier's (position reads and read-backs), each a FluidQueue per step.
 */

const SERVICE_CLASSES: readonly ServiceClass[] = ["order", "position", "depth", "other"];

type PerClass = Record<ServiceClass, number>;
const zeros = (): PerClass => ({ order: 0, position: 0, depth: 0, other: 0 });

export interface TierQueues {
  general: FluidQueue;
  reserved: FluidQueue | null;
  generalOut: FluidStepResult;
  reservedOut: FluidStepResult;
}

/** Each tier's queues: the general one (with shedding, its queue limit for new orders) and the reserved one. */
export function newTiers(
  cap: ExchangeConfig["capacity"],
  shedding: SheddingPolicy | null,
): Record<TierName, TierQueues> {
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
  return tiers;
}

const zeroReasons = () => ({ timeout: 0, overloaded: 0, error: 0 });

/** What the gateway did in a step: what came in, what it refused, what it admitted and filled. */
export interface GatewayStep {
  gWorkers: number;
  reservedWorkers: number;
  gArrivals: PerClass;
  /** Cancels and reduce-only / close-position orders (the reserved queue's with shedding). */
  priorityIn: number;
  ordersInTotal: number;
  depthIn: number;
  fillingIn: number;
  ordersAdmitted: number;
  fills: number;
  gatewayRefused: { order: ReturnType<typeof zeroReasons>; depth: ReturnType<typeof zeroReasons> };
  /** Shares of non-priority and priority orders the gateway admitted (the market's makers and stop-loss closes meet them). */
  admitted: AdmittedShares;
}

/** The gateway's step: cancels (priority) and new orders, depth; then the sequencer. */
export function stepGateway(ctx: StepContext): GatewayStep {
  const { run } = ctx;
  const { cap, dtMs } = run;
  const g = run.tiers.gateway;
  const gWorkers = run.provisioner.workers("gateway");
  ctx.sec.gWorkers = gWorkers;
  const reservedWorkers =
    g.reserved === null || gWorkers < 2
      ? 0
      : Math.max(1, Math.round(gWorkers * (run.shedding?.reservedFraction ?? 0)));
  let cancelsIn = 0;
  let newOrdersIn = 0;
  let priorityNewIn = 0;
  let fillingIn = 0;
  let depthIn = 0;
  for (const st of run.steps) {
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
    g.reserved.step(dtMs, reservedWorkers, rArrivals, run.latencyByService, g.reservedOut);
    gArrivals.order = generalOrdersIn;
  } else {
    emptyInto(g.reservedOut);
    gArrivals.order = cancelsIn + newOrdersIn;
  }
  gArrivals.depth = depthIn;
  g.general.step(dtMs, gWorkers - reservedWorkers, gArrivals, run.latencyByService, g.generalOut);
  let ordersAdmitted = g.generalOut.admitted.order + g.reservedOut.admitted.order;
  const gatewayRefused = { order: zeroReasons(), depth: zeroReasons() };
  for (const out of [g.generalOut, g.reservedOut]) {
    reject(ctx, "order", "timeout", out.timeout.order, cap.queueTimeoutMs);
    reject(ctx, "order", "overloaded", out.overloaded.order, 0);
    reject(ctx, "order", "error", out.unavailable.order, 0);
    reject(ctx, "depth", "timeout", out.timeout.depth, cap.queueTimeoutMs);
    reject(ctx, "depth", "overloaded", out.overloaded.depth, 0);
    reject(ctx, "depth", "error", out.unavailable.depth, 0);
    gatewayRefused.order.timeout += out.timeout.order;
    gatewayRefused.order.overloaded += out.overloaded.order;
    gatewayRefused.order.error += out.unavailable.order;
    gatewayRefused.depth.timeout += out.timeout.depth;
    gatewayRefused.depth.overloaded += out.overloaded.depth;
    gatewayRefused.depth.error += out.unavailable.depth;
  }
  const reservedUsed = g.reserved !== null && reservedWorkers > 0;
  const admitted = admittedShares(ctx, g, reservedUsed, gArrivals.order, priorityIn, ordersAdmitted);
  // The sequencer: what it cannot take in a step waits past the timeout.
  if (ordersAdmitted > run.sequencerPerStep) {
    reject(ctx, "order", "timeout", ordersAdmitted - run.sequencerPerStep, cap.queueTimeoutMs);
    gatewayRefused.order.timeout += ordersAdmitted - run.sequencerPerStep;
    ordersAdmitted = run.sequencerPerStep;
  }
  const ordersInTotal = cancelsIn + newOrdersIn;
  const newShare = ordersInTotal > 0 ? newOrdersIn / ordersInTotal : 0;
  const fillShare = newOrdersIn > 0 ? fillingIn / newOrdersIn : 0;
  const fills = ordersAdmitted * newShare * fillShare;
  return {
    gWorkers,
    reservedWorkers,
    gArrivals,
    priorityIn,
    ordersInTotal,
    depthIn,
    fillingIn,
    ordersAdmitted,
    fills,
    gatewayRefused,
    admitted,
  };
}

/**
 * The shares of a non-priority order (a maker's quote update) and of a priority one (a cancel, a
 * reduce-only close) that the gateway's queues admitted in the step and the sequencer took, after
 * the step's injected errors: what the fluid cascade's agents meet. A queue nobody sent to admits.
 */
function admittedShares(
  ctx: StepContext,
  g: TierQueues,
  reservedUsed: boolean,
  generalOrdersIn: number,
  priorityIn: number,
  ordersAdmitted: number,
): AdmittedShares {
  const refusedShare = (out: FluidStepResult, arrivals: number): number =>
    arrivals > 0
      ? Math.min(1, (out.timeout.order + out.overloaded.order + out.unavailable.order) / arrivals)
      : 0;
  const sequencer = ordersAdmitted > ctx.run.sequencerPerStep ? ctx.run.sequencerPerStep / ordersAdmitted : 1;
  const kept = (1 - ctx.errorRate) * sequencer;
  const general = refusedShare(g.generalOut, generalOrdersIn);
  // Without a reserved queue priority orders share the general one.
  const priority = reservedUsed ? refusedShare(g.reservedOut, priorityIn) : general;
  return { orders: (1 - general) * kept, priority: (1 - priority) * kept };
}

/** Replica: fills are writes; lag = backlog / apply rate (+ base lag). */
export function stepReplica(ctx: StepContext, fills: number): void {
  const { run } = ctx;
  const replica = run.config.replica;
  run.replicaBacklog = Math.max(
    0,
    run.replicaBacklog + fills * WRITES_PER_FILL - replica.applyPerS * run.dtS,
  );
  ctx.sec.replicaLagMs =
    run.replicaBacklog > 0 ? (run.replicaBacklog / replica.applyPerS) * 1000 + replica.baseLagMs : 0;
}

/** The read tier's step: position reads and read-backs, through each group's limits; returns the reads served. */
export function stepReadTier(ctx: StepContext, gw: GatewayStep): number {
  const { run } = ctx;
  let readsIn = 0;
  let readsOffered = 0;
  for (let k = 0; k < run.groups.length; k++) {
    const grp = run.groups[k] as Group;
    const st = run.steps[k] as GroupStep;
    // The group's read-backs follow its share of the fills.
    st.readbacks = gw.fillingIn > 0 ? gw.fills * ((st.newOrdersIn * st.fillShare) / gw.fillingIn) : 0;
    const reads = st.classReads + st.orderReads;
    const readsOpen = reads * st.open + st.readbacks;
    reject(ctx, "position", "rate_limited", readsOpen * st.limited, 0);
    reject(ctx, "position", "banned", readsOpen * st.bannedNow, 0);
    reject(ctx, "position", "error", readsOpen * st.pass * ctx.errorRate, 0);
    st.readsIn = readsOpen * st.pass * (1 - ctx.errorRate);
    readsIn += st.readsIn;
    readsOffered += reads + st.readbacks;
    tallyGroupLimits(ctx, gw, grp, st);
  }
  const r = run.tiers.read;
  const rWorkers = run.provisioner.workers("read");
  const rArrivals = zeros();
  rArrivals.position = readsIn;
  emptyInto(r.reservedOut);
  r.general.step(run.dtMs, rWorkers, rArrivals, run.latencyByService, r.generalOut);
  reject(ctx, "position", "timeout", r.generalOut.timeout.position, run.cap.queueTimeoutMs);
  reject(ctx, "position", "overloaded", r.generalOut.overloaded.position, 0);
  reject(ctx, "position", "error", r.generalOut.unavailable.position, 0);
  const readsServed = r.generalOut.admitted.position;
  shareReadOutcomes(ctx, readsIn, readsServed);
  const byBehaviour = run.byBehaviour;
  const sink = run.sink;
  if (byBehaviour !== null && sink.behaviour !== undefined) byBehaviour.flush(sink.behaviour.bind(sink));
  checkReadbacks(ctx, gw.fills, readsOffered, readsServed, rWorkers);
  return readsServed;
}

/** A group's refusals at the limits and at the gateway, by behaviour (for the sink's behaviour split). */
function tallyGroupLimits(ctx: StepContext, gw: GatewayStep, grp: Group, st: GroupStep): void {
  const byBehaviour = ctx.run.byBehaviour;
  if (byBehaviour === null) return;
  const own = st.classReads * st.open;
  const orderSide = st.orderReads * st.open + st.readbacks;
  for (const [name, n] of [
    [grp.names.position, own],
    [grp.names.order, orderSide],
  ] as Array<[BehaviourName, number]>) {
    byBehaviour.refuse(name, "rate_limited", n * st.limited);
    byBehaviour.refuse(name, "banned", n * st.bannedNow);
    byBehaviour.refuse(name, "error", n * st.pass * ctx.errorRate);
  }
  byBehaviour.offer(grp.names.position, st.classReads);
  byBehaviour.offer(grp.names.order, st.orderReads + st.readbacks);
  // Gateway refusals fall on the groups by what each brought to it.
  const orderIn = st.cancelsIn + st.newOrdersIn;
  for (const reason of ["timeout", "overloaded", "error"] as const) {
    if (gw.ordersInTotal > 0)
      byBehaviour.refuse(
        grp.names.order,
        reason,
        gw.gatewayRefused.order[reason] * (orderIn / gw.ordersInTotal),
      );
    if (gw.depthIn > 0)
      byBehaviour.refuse(
        grp.names.depth,
        reason,
        gw.gatewayRefused.depth[reason] * (st.depthIn / gw.depthIn),
      );
  }
}

/** Each group's share of the reads served (what its closer acts on next step) and of the read tier's refusals. */
function shareReadOutcomes(ctx: StepContext, readsIn: number, readsServed: number): void {
  const { run } = ctx;
  const out = run.tiers.read.generalOut;
  const byBehaviour = run.byBehaviour;
  const readServedOfIn = readsIn > 0 ? readsServed / readsIn : 0;
  for (let k = 0; k < run.groups.length; k++) {
    const grp = run.groups[k] as Group;
    const st = run.steps[k] as GroupStep;
    const offeredReads = st.classReads + st.orderReads + st.readbacks;
    if (offeredReads > 0) grp.readServedShare = (st.readsIn * readServedOfIn) / offeredReads;
    if (byBehaviour !== null && readsIn > 0) {
      const share = st.readsIn / readsIn;
      const own = st.classReads * st.open;
      const all = (st.classReads + st.orderReads) * st.open + st.readbacks;
      const ownShare = all > 0 ? own / all : 0;
      for (const [reason, n] of [
        ["timeout", out.timeout.position],
        ["overloaded", out.overloaded.position],
        ["error", out.unavailable.position],
      ] as Array<[RejectReason, number]>) {
        byBehaviour.refuse(grp.names.position, reason, n * share * ownShare);
        byBehaviour.refuse(grp.names.order, reason, n * share * (1 - ownShare));
      }
    }
  }
}

/** Read-your-writes: a read-back is stale when the replica is further behind than the read took to be served. */
function checkReadbacks(
  ctx: StepContext,
  readbacks: number,
  readsOffered: number,
  readsServed: number,
  rWorkers: number,
): void {
  const { run, sec } = ctx;
  const cap = run.cap;
  const readbackShare = readsOffered > 0 ? readbacks / readsOffered : 0;
  const checked = run.whole.take("checked", readsServed * readbackShare);
  const readTimeMs =
    cap.serviceTimeMs.position +
    (run.tiers.read.generalOut.queueDepth * cap.serviceTimeMs.position) / Math.max(1, rWorkers);
  const staleNow = sec.replicaLagMs > readTimeMs ? checked : 0;
  sec.stale += staleNow;
  run.sink.stale(ctx.recordAt, checked, staleNow, sec.replicaLagMs - readTimeMs);
}

/** The provisioning loop's samples of the step (busy share and demand per tier), and its advance. */
export function provision(ctx: StepContext, gw: GatewayStep): void {
  const { run, sec } = ctx;
  const { cap, dtMs, samples } = run;
  const g = run.tiers.gateway;
  const r = run.tiers.read;
  const gWork = gw.gArrivals.order * cap.serviceTimeMs.order + gw.gArrivals.depth * cap.serviceTimeMs.depth;
  const reservedWork =
    g.reserved !== null && gw.reservedWorkers > 0 ? gw.priorityIn * cap.serviceTimeMs.order : 0;
  samples.gateway.busyFraction = mergeBusy(g, gw.gWorkers, gw.reservedWorkers);
  samples.gateway.demandRatio = ratio(gWork + reservedWork, gw.gWorkers * dtMs);
  samples.read.busyFraction = r.generalOut.busyFraction;
  samples.read.demandRatio = r.generalOut.demandRatio;
  sec.busyGateway += samples.gateway.busyFraction / run.stepsPerSecond;
  sec.busyRead += samples.read.busyFraction / run.stepsPerSecond;
  run.provisioner.advance(((ctx.tMs + dtMs) / 1000) * run.input.timeScale, samples);
  for (const e of run.provisioner.takeEvents()) sec.events.push(e);
}

function mergeBusy(t: TierQueues, workers: number, reserved: number): number {
  if (workers <= 0) return 0;
  const general = workers - reserved;
  return (t.generalOut.busyFraction * general + t.reservedOut.busyFraction * reserved) / workers;
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
