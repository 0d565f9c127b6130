import { type CapacityEvent, TIERS, type TierName } from "../../loadtests/vocabulary/capacity.ts";
import type { Random } from "../../loadtests/vocabulary/random.ts";
import type { ExchangeConfig, ServiceClass } from "../defaults.ts";
import { Provisioner, type TierSample } from "./provisioner.ts";
import type { ReadReplica } from "./readReplica.ts";
import { Sequencer } from "./sequencer.ts";
import { resolveStrategy } from "./strategies.ts";
import type { CapacitySnapshot, CapacitySnapshotTier, ResolvedStrategy } from "./types.ts";
import { WorkerPool } from "./workerPool.ts";

/**
 * The capacity model of one venue, per request (docs/architecture.md "Two clocks"): queueing in wall
 * milliseconds, provisioning (autoscaling, faults) in natural seconds = wall x timeScale.
 *
 *   order  -> gateway tier (FIFO, c = ready instances x concurrency) -> sequencer (one server)
 *   depth  -> gateway tier
 *   position -> read tier (the read replicas)
 *
 * With priority shedding, a reserved share of each tier's workers serves only priority
 * requests (cancels, reduce-only, liquidations) and new requests are shed with 503 -1008 once
 * the queue is half full, so a flood of new orders cannot starve cancels (docs/facts.md: the
 * -1008 exemption; Solana 2024). Pure: the caller passes time in; randomness is injected.
 */

export type CapacityOutcome = "admitted" | "timeout" | "overloaded" | "unavailable" | "error";

export interface CapacityAdmission {
  outcome: CapacityOutcome;
  /** When the response is due, wall ms. */
  dueMs: number;
  /** Service time the request got (admitted only), ms. */
  serviceMs: number;
}

const TIER_OF: Record<ServiceClass, TierName> = {
  order: "gateway",
  depth: "gateway",
  other: "gateway",
  position: "read",
};

/** Wall ms between provisioning steps: the shared tick calls `tick` about this often. */
export const CAPACITY_TICK_MS = 100;

interface Tier {
  name: TierName;
  /** All workers without shedding; the unreserved share with it. */
  general: WorkerPool;
  /** Workers only priority requests may use; null without shedding. */
  reserved: WorkerPool | null;
  /** Work offered (mean service ms of every arrival) and admitted since the last tick, ms. */
  offeredWorkMs: number;
  admittedWorkMs: number;
  /** Ready workers as last applied to the pools. */
  workers: number;
}

export class CapacityModel {
  readonly strategy: ResolvedStrategy;
  readonly provisioner: Provisioner;
  private readonly tiers: Record<TierName, Tier>;
  private readonly sequencer: Sequencer;
  private lastTickMs: number;
  private readonly samples: Record<TierName, TierSample> = {
    gateway: { busyFraction: 0, demandRatio: 0 },
    read: { busyFraction: 0, demandRatio: 0 },
  };
  private readonly admission: CapacityAdmission = { outcome: "admitted", dueMs: 0, serviceMs: 0 };
  /** Drained by takeEvents every closed second (closeCapacitySecond): a second's events at most. */
  private readonly events: CapacityEvent[] = [];

  constructor(
    private readonly config: ExchangeConfig,
    private readonly random: Random,
    private readonly originMs: number,
  ) {
    const cap = config.capacity;
    this.strategy = resolveStrategy(cap.strategy, cap.tiers, cap.strategyParams);
    this.provisioner = new Provisioner({ strategy: this.strategy, sizing: cap.tiers, faults: config.faults });
    // Faults and schedule steps at natural time 0 apply before the first request.
    this.provisioner.advance(0, this.samples);
    this.sequencer = new Sequencer(cap.sequencerOrdersPerS, cap.queueTimeoutMs);
    this.lastTickMs = originMs;
    const build = (name: TierName): Tier => {
      const policy = this.strategy.tiers[name];
      const maxInstances =
        policy.kind === "fixed"
          ? policy.instances
          : policy.kind === "scheduled"
            ? Math.max(policy.instances, ...policy.steps.map((s) => s.instances))
            : policy.maxInstances;
      // Region failover restores the baseline, so room for it too.
      const maxWorkers =
        Math.max(maxInstances, cap.tiers[name].baselineInstances) * cap.tiers[name].concurrencyPerInstance;
      const pool = (workers: number, maxQueue: number) =>
        new WorkerPool({
          workers,
          maxWorkers,
          serviceTimeMs: cap.serviceTimeMs,
          serviceTimeMinMs: cap.serviceTimeMinMs,
          queueTimeoutMs: cap.queueTimeoutMs,
          maxQueue,
          random,
          originMs,
        });
      const tier: Tier = {
        name,
        general: pool(0, cap.maxQueue),
        reserved: this.strategy.shedding === null ? null : pool(0, cap.maxQueue),
        offeredWorkMs: 0,
        admittedWorkMs: 0,
        workers: 0,
      };
      this.applyWorkers(tier, this.provisioner.workers(name), originMs);
      return tier;
    };
    this.tiers = { gateway: build("gateway"), read: build("read") };
    this.collectEvents();
  }

  /**
   * Decides one arrival. `priority`: a cancel, reduce-only or liquidation order, which shedding
   * lets through. The returned object is reused: read it before the next call.
   */
  admit(nowMs: number, serviceClass: ServiceClass, priority: boolean): Readonly<CapacityAdmission> {
    const a = this.admission;
    const tier = this.tiers[TIER_OF[serviceClass]];
    tier.offeredWorkMs += this.config.capacity.serviceTimeMs[serviceClass];
    a.serviceMs = 0;
    a.dueMs = nowMs;
    if (tier.workers === 0) {
      a.outcome = "unavailable";
      return a;
    }
    const errorRate = this.provisioner.errorRate();
    if (errorRate > 0 && this.random() < errorRate) {
      a.outcome = "error";
      return a;
    }
    const shedding = this.strategy.shedding;
    let decided = null as ReturnType<WorkerPool["admit"]> | null;
    if (shedding !== null && tier.reserved !== null) {
      if (priority) {
        decided = tier.reserved.admit(nowMs, serviceClass);
        if (decided.outcome !== "admitted") decided = tier.general.admit(nowMs, serviceClass);
      } else if (
        tier.general.queueDepth(nowMs) >=
        Math.max(1, Math.floor(this.config.capacity.maxQueue * shedding.newOrderQueueFraction))
      ) {
        a.outcome = "overloaded";
        return a;
      }
    }
    if (decided === null) decided = tier.general.admit(nowMs, serviceClass);
    a.outcome = decided.outcome;
    a.dueMs = decided.dueMs;
    if (decided.outcome !== "admitted") return a;
    a.serviceMs = decided.dueMs - decided.startMs;
    tier.admittedWorkMs += a.serviceMs;
    if (serviceClass === "order") {
      // The sequencer takes orders when the gateway has finished them (sequencer.ts).
      if (this.sequencer.book(decided.dueMs) === "timeout") {
        a.outcome = "timeout";
        a.dueMs = decided.dueMs + this.config.capacity.queueTimeoutMs;
        return a;
      }
      a.dueMs = this.sequencer.doneMs;
    }
    return a;
  }

  /** Moves the provisioning loop to nowMs (wall): faults, boots, scale decisions, new worker counts. */
  tick(nowMs: number): void {
    const dtMs = nowMs - this.lastTickMs;
    if (dtMs <= 0) return;
    for (const name of TIERS) {
      const tier = this.tiers[name];
      const capacityMs = tier.workers * dtMs;
      const sample = this.samples[name];
      sample.busyFraction = capacityMs > 0 ? Math.min(1, tier.admittedWorkMs / capacityMs) : 0;
      sample.demandRatio =
        capacityMs > 0
          ? tier.offeredWorkMs / capacityMs
          : tier.offeredWorkMs > 0
            ? Number.POSITIVE_INFINITY
            : 0;
      tier.offeredWorkMs = 0;
      tier.admittedWorkMs = 0;
    }
    this.lastTickMs = nowMs;
    this.provisioner.advance(this.naturalS(nowMs), this.samples);
    for (const name of TIERS) this.applyWorkers(this.tiers[name], this.provisioner.workers(name), nowMs);
    this.collectEvents();
  }

  /** Natural seconds since the start for a wall time. */
  naturalS(nowMs: number): number {
    return ((nowMs - this.originMs) / 1000) * this.config.timeScale;
  }

  /** Events since the last call, oldest first. */
  takeEvents(): CapacityEvent[] {
    return this.events.splice(0, this.events.length);
  }

  /** One tier at the end of wall second `second`; consumes that second's busy time. */
  snapshotTier(name: TierName, nowMs: number, second: number): CapacitySnapshotTier {
    const tier = this.tiers[name];
    const state = this.provisioner.state(name);
    let busyMs = tier.general.takeBusyMs(second);
    let queueDepth = tier.general.queueDepth(nowMs);
    if (tier.reserved !== null) {
      busyMs += tier.reserved.takeBusyMs(second);
      queueDepth += tier.reserved.queueDepth(nowMs);
    }
    return {
      ...state,
      utilisation: tier.workers > 0 ? Math.min(1, busyMs / (tier.workers * 1000)) : 0,
      queueDepth,
    };
  }

  /** Requests waiting in the queue of the tier that serves this class. */
  queueDepth(serviceClass: ServiceClass, nowMs: number): number {
    const tier = this.tiers[TIER_OF[serviceClass]];
    return tier.general.queueDepth(nowMs) + (tier.reserved?.queueDepth(nowMs) ?? 0);
  }

  busyWorkers(name: TierName, nowMs: number): number {
    const tier = this.tiers[name];
    return tier.general.busyWorkers(nowMs) + (tier.reserved?.busyWorkers(nowMs) ?? 0);
  }

  cost(): Record<TierName, number> {
    return this.provisioner.cost();
  }

  private applyWorkers(tier: Tier, workers: number, nowMs: number): void {
    if (workers === tier.workers && tier.general.workers + (tier.reserved?.workers ?? 0) === workers) return;
    tier.workers = workers;
    if (tier.reserved === null) {
      tier.general.setWorkers(workers, nowMs);
      return;
    }
    const shedding = this.strategy.shedding;
    const reserved =
      workers < 2
        ? 0
        : Math.max(1, Math.round(workers * (shedding === null ? 0 : shedding.reservedFraction)));
    tier.reserved.setWorkers(reserved, nowMs);
    tier.general.setWorkers(workers - reserved, nowMs);
  }

  private collectEvents(): void {
    for (const e of this.provisioner.takeEvents()) this.events.push(e);
  }
}

/**
 * The capacity side of timeline second `second` (wall, counted from the origin), ending at endMs:
 * moves the provisioning loop and the replica to endMs, then reads tiers, cost and events. One
 * function for the mock exchange's shared tick and the per-request simulator.
 */
export function closeCapacitySecond(
  capacity: CapacityModel,
  replica: ReadReplica,
  endMs: number,
  second: number,
): CapacitySnapshot {
  capacity.tick(endMs);
  replica.advance(endMs);
  return {
    tNaturalS: capacity.naturalS(endMs),
    busyWorkers: capacity.busyWorkers("gateway", endMs),
    tiers: {
      gateway: capacity.snapshotTier("gateway", endMs, second),
      read: capacity.snapshotTier("read", endMs, second),
    },
    costInstanceMinutes: capacity.cost(),
    events: capacity.takeEvents(),
    replicaLagMs: replica.lagMs(endMs),
    replicaBacklog: replica.backlog,
  };
}
