import type { BehaviourName } from "../../loadtests/lib/behaviours.ts";
import type { RejectReason, TrafficClass } from "../../loadtests/vocabulary/traffic.ts";
import type { LatencyRecorder } from "../capacity/fluidQueue.ts";
import type { Provisioner, TierSample } from "../capacity/provisioner.ts";
import type { CapacityEvent, SheddingPolicy, TierName } from "../capacity/types.ts";
import type { ExchangeConfig, ServiceClass } from "../defaults.ts";
import type { BanList } from "../limits/banList.ts";
import type { FluidCascade } from "../market/fluidCascade.ts";
import type { Group, GroupStep } from "./aggregateGroups.ts";
import type { Moments, WholeCounts } from "./aggregateMath.ts";
import type { TierQueues } from "./aggregateTiers.ts";
import type { SimulationInput, SimulationSink } from "./types.ts";

/**
 * The aggregate simulation's state, shared by its parts (aggregate.ts runs the steps,
 * aggregateGroups.ts the limits per group of clients, aggregateTiers.ts the queues).
 */

/** What one run holds from step to step: its parts, the limits' figures, and what moves. */
export interface AggregateRun {
  input: SimulationInput;
  sink: SimulationSink;
  config: ExchangeConfig;
  cap: ExchangeConfig["capacity"];
  limits: ExchangeConfig["limits"];
  provisioner: Provisioner;
  shedding: SheddingPolicy | null;
  tiers: Record<TierName, TierQueues>;
  latencySinks: Record<TrafficClass, ClassLatencySink>;
  latencyByService: Record<ServiceClass, LatencyRecorder>;
  whole: WholeCounts;
  samples: Record<TierName, TierSample>;
  /** Each class's rate at the current step, requests per wall second. */
  rates: Record<TrafficClass, number>;
  /** The drill's position VUs (a patient client's sessions are its share of them). */
  positionVUs: number;
  groups: Group[];
  steps: GroupStep[];
  /** The limits' windows and budgets, compressed as the exchange's (limits/window.ts). */
  windowMs: number;
  budgetPerWindow: number;
  window10sMs: number;
  orders10sCap: number;
  orders1mCap: number;
  refusalsBeforeBan: number;
  bans: BanList;
  stepsPerSecond: number;
  dtMs: number;
  dtS: number;
  sequencerPerStep: number;
  replicaBacklog: number;
  /** The weight window and 10 s order window the last step was in. */
  window: number;
  window10s: number;
  /** Scratch moments for the order-count limits. */
  before: Moments;
  after: Moments;
  /** Per behaviour, within a step: offered and refused by reason (null: the sink takes none). */
  byBehaviour: BehaviourTally | null;
  /** The market's fluid cascade when the exchange runs the market model (config.market). */
  market: FluidCascade | undefined;
}

/** What a wall second's steps add up to, for its timeline line. */
export interface SecondTally {
  rejected: Record<TrafficClass, Partial<Record<RejectReason, number>>>;
  offered: Record<TrafficClass, number>;
  admitted: number;
  stale: number;
  busyGateway: number;
  busyRead: number;
  replicaLagMs: number;
  /** The gateway's workers at the second's last step. */
  gWorkers: number;
  events: CapacityEvent[];
}

/** One step of a second. */
export interface StepContext {
  run: AggregateRun;
  sec: SecondTally;
  tMs: number;
  /** Where the step's responses are recorded: its middle. */
  recordAt: number;
  errorRate: number;
  /** Retry-After of a weight refusal now: the window's rest, in whole seconds (WeightLimiter). */
  windowRetryAfterMs: number;
}

/** n requests of a class refused for `reason` in this step, answered after latencyMs. */
export function reject(
  ctx: StepContext,
  cls: TrafficClass,
  reason: RejectReason,
  n: number,
  latencyMs: number,
): void {
  if (!(n > 0)) return;
  const rejected = ctx.sec.rejected;
  rejected[cls][reason] = (rejected[cls][reason] ?? 0) + n;
  const count = ctx.run.whole.take(`${cls}/${reason}`, n);
  if (count > 0) ctx.run.sink.record(ctx.recordAt, cls, latencyMs, count, reason);
}

/** Feeds FluidQueue's latency points for one class into the sink, at the current step. */
export class ClassLatencySink implements LatencyRecorder {
  tMs = 0;
  constructor(
    private readonly sink: SimulationSink,
    private readonly cls: TrafficClass,
  ) {}
  recordValueWithCount(valueUs: number, count: number): void {
    this.sink.record(this.tMs, this.cls, valueUs / 1000, count, undefined);
  }
}

/** Per behaviour within a step: requests offered and refused by reason, reported to the sink. */
export class BehaviourTally {
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
