/**
 * The provisioning control loop of the capacity model: how many instances each tier has,
 * ready or still booting, under a strategy's scaling policies and a profile's scripted faults.
 * It turns the load the caller measured into target-tracking datapoints and decisions, with
 * the lags of docs/facts.md "Scaling lag" (metric period, datapoints to alarm, boot + warm-up,
 * cooldown, scale-in stabilisation), and bills instance-minutes.
 *
 * Pure: no I/O, no clock. Time is NATURAL seconds since the start, passed to advance(). A
 * drill calls advance() once per wall second (60 natural s at time scale 60), the simulator
 * maybe every natural second: within a jump every metric-period boundary, boot completion,
 * fault transition and scheduled step is processed in time order at its own natural time, so
 * event times do not depend on how often advance() is called (only on the samples given).
 *
 * Order of things happening at the same natural time: fault transitions (ends, then starts,
 * then failover promotion, then region restore), boot completions, scheduled steps, metric
 * datapoints and their decisions.
 */
import {
  type CapacityEvent,
  type FaultSpec,
  TIERS,
  type TierName,
  type TierSizing,
  type TierState,
} from "../../loadtests/vocabulary/capacity.ts";
import type { ResolvedStrategy, ScalingPolicy, ScheduledPolicy, TargetTrackingPolicy } from "./types.ts";

/** Load of one tier since the previous advance(). */
export interface TierSample {
  /** Busy fraction of ready capacity, 0..1 (the `utilisation` metric; capped at 1). */
  busyFraction: number;
  /** Offered work / ready capacity: may exceed 1; Infinity when no capacity and some demand (the `demand` metric). */
  demandRatio: number;
}

export interface ProvisionerOptions {
  strategy: ResolvedStrategy;
  sizing: Record<TierName, TierSizing>;
  faults: readonly FaultSpec[];
}

/** Guards ceil() against 4 x 0.6 / 0.6 = 4.000000000000001. */
const EPS = 1e-9;

/** One tier's mutable state. Plain fields and typed arrays: advance() allocates nothing per call. */
class TierRuntime {
  readonly tt: TargetTrackingPolicy | null;
  readonly scheduled: ScheduledPolicy | null;
  readonly steps: ReadonlyArray<{ atS: number; instances: number }>;
  /** Launch to serving (boot + warm-up), natural s. */
  readonly lagS: number;
  ready: number;
  booting = 0;
  // Launched batches, FIFO by ready time (the lag of a tier is constant). Tail = newest.
  readonly bootReadyAt: number[] = [];
  readonly bootCount: number[] = [];
  bootHead = 0;
  /** Instance-seconds billed (ready + booting). */
  billedS = 0;
  // Target tracking.
  metricNow = 0;
  /** Integral of the metric (the trigger) and of metric x ready instances (the load, for the recommendation). */
  acc = 0;
  accLoad = 0;
  accTimeS = 0;
  periodIndex = 0;
  nextDatapointS = Number.POSITIVE_INFINITY;
  above = 0;
  below = 0;
  cooldownUntilS = Number.NEGATIVE_INFINITY;
  readonly recAt: Float64Array;
  readonly recValue: Float64Array;
  recNext = 0;
  recSize = 0;
  // Scheduled.
  stepIndex = 0;

  constructor(
    readonly name: TierName,
    readonly policy: ScalingPolicy,
    readonly sizing: TierSizing,
  ) {
    this.tt = policy.kind === "target-tracking" ? policy : null;
    this.scheduled = policy.kind === "scheduled" ? policy : null;
    this.steps = this.scheduled ? [...this.scheduled.steps].sort((a, b) => a.atS - b.atS) : [];
    this.lagS = policy.kind === "fixed" ? 0 : policy.bootS + policy.warmupS;
    this.ready =
      policy.kind === "fixed"
        ? policy.instances
        : policy.kind === "scheduled"
          ? policy.instances
          : policy.minInstances;
    const window = this.tt ? Math.ceil(this.tt.scaleInStabilisationS / this.tt.metricPeriodS) + 2 : 0;
    this.recAt = new Float64Array(window);
    this.recValue = new Float64Array(window);
    if (this.tt) this.nextDatapointS = this.tt.metricPeriodS;
  }

  clearBooting(): void {
    this.bootReadyAt.length = 0;
    this.bootCount.length = 0;
    this.bootHead = 0;
    this.booting = 0;
  }

  resetControl(): void {
    this.acc = 0;
    this.accLoad = 0;
    this.accTimeS = 0;
    this.above = 0;
    this.below = 0;
    this.cooldownUntilS = Number.NEGATIVE_INFINITY;
    this.recNext = 0;
    this.recSize = 0;
  }
}

/** Fault transition phases, in their order at equal times. */
const END = 0;
const START = 1;
const PROMOTE = 2;
const RESTORE = 3;

/** One kind of scripted fault, narrowed for the method that applies it. */
type FaultOf<K extends FaultSpec["kind"]> = Extract<FaultSpec, { kind: K }>;

interface Transition {
  atS: number;
  phase: typeof END | typeof START | typeof PROMOTE | typeof RESTORE;
  fault: number;
}

function check(ok: boolean, message: string): void {
  if (!ok) throw new Error(message);
}

const nonNegative = (v: number) => Number.isFinite(v) && v >= 0;
const count = (v: number) => Number.isInteger(v) && v >= 0;

function validatePolicy(tier: TierName, p: ScalingPolicy): void {
  const where = `${tier} policy (${p.kind})`;
  if (p.kind === "fixed") {
    check(count(p.instances), `${where}: instances must be a whole number >= 0`);
    return;
  }
  check(nonNegative(p.bootS) && nonNegative(p.warmupS), `${where}: bootS and warmupS must be >= 0`);
  if (p.kind === "scheduled") {
    check(count(p.instances), `${where}: instances must be a whole number >= 0`);
    for (const s of p.steps) {
      check(
        nonNegative(s.atS) && count(s.instances),
        `${where}: each step needs atS >= 0 and whole instances >= 0`,
      );
    }
    return;
  }
  check(p.targetUtilisation > 0 && p.targetUtilisation <= 1, `${where}: targetUtilisation must be in (0, 1]`);
  check(p.tolerance >= 0 && p.tolerance < 1, `${where}: tolerance must be in [0, 1)`);
  check(Number.isFinite(p.metricPeriodS) && p.metricPeriodS > 0, `${where}: metricPeriodS must be > 0`);
  check(
    Number.isInteger(p.datapointsToScaleOut) && p.datapointsToScaleOut >= 1,
    `${where}: datapointsToScaleOut must be >= 1`,
  );
  check(
    Number.isInteger(p.datapointsToScaleIn) && p.datapointsToScaleIn >= 1,
    `${where}: datapointsToScaleIn must be >= 1`,
  );
  check(
    nonNegative(p.cooldownS) && nonNegative(p.scaleInStabilisationS),
    `${where}: cooldownS and stabilisation >= 0`,
  );
  check(nonNegative(p.maxStepPercent) && count(p.minStepInstances), `${where}: step limits must be >= 0`);
  check(
    count(p.minInstances) && count(p.maxInstances) && p.minInstances <= p.maxInstances,
    `${where}: need whole 0 <= minInstances <= maxInstances`,
  );
}

function validateFault(f: FaultSpec, i: number): void {
  const where = `fault ${i} (${f.kind})`;
  check(nonNegative(f.atS), `${where}: atS must be >= 0`);
  switch (f.kind) {
    case "zone-outage":
      check(nonNegative(f.durationS), `${where}: durationS must be >= 0`);
      check(f.fraction >= 0 && f.fraction <= 1, `${where}: fraction must be in [0, 1]`);
      break;
    case "dependency-errors":
      check(nonNegative(f.durationS), `${where}: durationS must be >= 0`);
      check(f.errorRate >= 0 && f.errorRate <= 1, `${where}: errorRate must be in [0, 1]`);
      break;
    case "replica-loss":
      check(count(f.replicas), `${where}: replicas must be a whole number >= 0`);
      break;
    case "region-failover":
      check(nonNegative(f.detectionDelayS) && nonNegative(f.failoverS), `${where}: delays must be >= 0`);
      break;
  }
}

export class Provisioner {
  private readonly tiers: TierRuntime[];
  private readonly byName: Record<TierName, TierRuntime>;
  private readonly faults: readonly FaultSpec[];
  private readonly transitions: Transition[];
  private nextTransition = 0;
  /** Zone-outage instances gone, per fault and tier (index fault * tiers + tier). */
  private readonly zoneRemoved: Int32Array;
  /** Region epoch a zone outage started in: instances of a failed-over region never come back. */
  private readonly zoneEpoch: Int32Array;
  private readonly errorActive: Uint8Array;
  private errorRateNow = 0;
  private regionDown = 0;
  private regionEpoch = 0;
  private t = 0;
  private events: CapacityEvent[] = [];

  /** State at natural time 0: each tier at its policy's initial instances, all ready. */
  constructor(opts: ProvisionerOptions) {
    this.tiers = TIERS.map((name) => {
      const sizing = opts.sizing[name];
      const policy = opts.strategy.tiers[name];
      check(sizing !== undefined && policy !== undefined, `tier ${name}: sizing and policy are required`);
      check(count(sizing.baselineInstances), `tier ${name}: baselineInstances must be a whole number >= 0`);
      check(
        Number.isFinite(sizing.concurrencyPerInstance) && sizing.concurrencyPerInstance > 0,
        `tier ${name}: concurrencyPerInstance must be > 0`,
      );
      validatePolicy(name, policy);
      return new TierRuntime(name, policy, sizing);
    });
    this.byName = {} as Record<TierName, TierRuntime>;
    for (const r of this.tiers) this.byName[r.name] = r;

    this.faults = opts.faults;
    const transitions: Transition[] = [];
    opts.faults.forEach((f, fault) => {
      validateFault(f, fault);
      transitions.push({ atS: f.atS, phase: START, fault });
      if (f.kind === "zone-outage" || f.kind === "dependency-errors") {
        transitions.push({ atS: f.atS + f.durationS, phase: END, fault });
      } else if (f.kind === "region-failover") {
        transitions.push({ atS: f.atS + f.detectionDelayS, phase: PROMOTE, fault });
        transitions.push({ atS: f.atS + f.detectionDelayS + f.failoverS, phase: RESTORE, fault });
      }
    });
    transitions.sort((a, b) => a.atS - b.atS || a.phase - b.phase || a.fault - b.fault);
    this.transitions = transitions;
    this.zoneRemoved = new Int32Array(opts.faults.length * this.tiers.length);
    this.zoneEpoch = new Int32Array(opts.faults.length);
    this.errorActive = new Uint8Array(opts.faults.length);
  }

  /** Natural time of the last advance(). */
  get nowS(): number {
    return this.t;
  }

  /**
   * Moves the model to natural time nowS (monotonic). `samples` is each tier's load since the
   * previous call; it stands for every datapoint inside the jump.
   */
  advance(nowS: number, samples: Record<TierName, TierSample>): void {
    if (!(nowS >= this.t)) throw new Error(`advance(${nowS}): time must not go back (now ${this.t})`);
    for (let i = 0; i < this.tiers.length; i++) {
      const r = this.tiers[i] as TierRuntime;
      if (r.tt === null) continue;
      const s = samples[r.name];
      if (r.tt.metric === "utilisation") {
        const v = s.busyFraction;
        r.metricNow = v > 0 ? (v < 1 ? v : 1) : 0; // NaN reads 0
      } else {
        const v = s.demandRatio;
        r.metricNow = v > 0 ? v : 0; // Infinity stays: no ready capacity
      }
    }
    for (;;) {
      const next = this.nextEventS();
      if (next > nowS) break;
      this.integrate(next);
      this.processAt(next);
    }
    this.integrate(nowS);
  }

  /** Ready workers now: ready instances x concurrency, after faults; 0 while the region is down. */
  workers(tier: TierName): number {
    const r = this.byName[tier];
    return r.ready * r.sizing.concurrencyPerInstance;
  }

  state(tier: TierName): TierState {
    const r = this.byName[tier];
    return { ready: r.ready, booting: r.booting, workers: r.ready * r.sizing.concurrencyPerInstance };
  }

  /** Fraction of requests a dependency-errors fault fails now (overlapping faults combine); 0 when none. */
  errorRate(): number {
    return this.errorRateNow;
  }

  /** Cumulative instance-minutes billed per tier (ready + booting; instances lost to faults are not billed). */
  cost(): Record<TierName, number> {
    const out = {} as Record<TierName, number>;
    for (const r of this.tiers) out[r.name] = r.billedS / 60;
    return out;
  }

  /** Events since the last call, oldest first, at the natural time they happened. */
  takeEvents(): CapacityEvent[] {
    const out = this.events;
    this.events = [];
    return out;
  }

  // ---- time loop ----

  private nextEventS(): number {
    let next = Number.POSITIVE_INFINITY;
    const tr = this.transitions[this.nextTransition];
    if (tr !== undefined) next = tr.atS;
    for (let i = 0; i < this.tiers.length; i++) {
      const r = this.tiers[i] as TierRuntime;
      if (r.bootHead < r.bootReadyAt.length) {
        const b = r.bootReadyAt[r.bootHead] as number;
        if (b < next) next = b;
      }
      const step = r.steps[r.stepIndex];
      if (step !== undefined && step.atS < next) next = step.atS;
      if (r.nextDatapointS < next) next = r.nextDatapointS;
    }
    // Events scheduled before now (a step at 0 before the first call) happen now.
    return next < this.t ? this.t : next;
  }

  /** Bills instances and accumulates the tracked metric from the current time to `to`. */
  private integrate(to: number): void {
    const dt = to - this.t;
    if (dt > 0) {
      for (let i = 0; i < this.tiers.length; i++) {
        const r = this.tiers[i] as TierRuntime;
        r.billedS += (r.ready + r.booting) * dt;
        if (r.tt !== null) {
          r.acc += r.metricNow * dt;
          // Infinity x 0 ready stays Infinity: demand with no capacity.
          r.accLoad += (r.metricNow === Number.POSITIVE_INFINITY ? r.metricNow : r.metricNow * r.ready) * dt;
          r.accTimeS += dt;
        }
      }
    }
    this.t = to;
  }

  private processAt(t: number): void {
    for (let tr = this.transitions[this.nextTransition]; tr !== undefined && tr.atS <= t; ) {
      this.nextTransition++;
      this.applyTransition(tr, t);
      tr = this.transitions[this.nextTransition];
    }
    for (let i = 0; i < this.tiers.length; i++) {
      const r = this.tiers[i] as TierRuntime;
      let readied = 0;
      while (r.bootHead < r.bootReadyAt.length && (r.bootReadyAt[r.bootHead] as number) <= t) {
        readied += r.bootCount[r.bootHead] as number;
        r.bootHead++;
      }
      if (readied > 0) {
        r.ready += readied;
        r.booting -= readied;
        // All batches done: reuse the arrays from the start.
        if (r.bootHead === r.bootReadyAt.length) r.clearBooting();
        this.emit(t, "instances-ready", r, `${readied} launched instances ready`);
      }
    }
    for (let i = 0; i < this.tiers.length; i++) {
      const r = this.tiers[i] as TierRuntime;
      for (
        let step = r.steps[r.stepIndex];
        step !== undefined && step.atS <= t;
        step = r.steps[r.stepIndex]
      ) {
        r.stepIndex++;
        if (this.regionDown === 0) this.scheduledStep(r, step.instances, t);
      }
    }
    for (let i = 0; i < this.tiers.length; i++) {
      const r = this.tiers[i] as TierRuntime;
      const p = r.tt;
      if (p === null) continue;
      while (r.nextDatapointS <= t) {
        this.datapoint(r, p, r.nextDatapointS);
        r.periodIndex++;
        r.nextDatapointS = (r.periodIndex + 1) * p.metricPeriodS;
      }
    }
  }

  // ---- scaling ----

  private launch(r: TierRuntime, n: number, t: number): void {
    const at = t + r.lagS;
    const last = r.bootReadyAt.length - 1;
    if (last >= r.bootHead && r.bootReadyAt[last] === at) {
      r.bootCount[last] = (r.bootCount[last] as number) + n;
    } else {
      r.bootReadyAt.push(at);
      r.bootCount.push(n);
    }
    r.booting += n;
  }

  /** Terminates ready instances first, then the most recently launched. */
  private terminate(r: TierRuntime, n: number): void {
    const fromReady = Math.min(n, r.ready);
    r.ready -= fromReady;
    let left = n - fromReady;
    while (left > 0 && r.bootReadyAt.length > r.bootHead) {
      const last = r.bootReadyAt.length - 1;
      const c = r.bootCount[last] as number;
      const take = Math.min(c, left);
      left -= take;
      r.booting -= take;
      if (take === c) {
        r.bootReadyAt.pop();
        r.bootCount.pop();
      } else {
        r.bootCount[last] = c - take;
      }
    }
  }

  private scheduledStep(r: TierRuntime, target: number, t: number): void {
    const current = r.ready + r.booting;
    if (target > current) {
      this.launch(r, target - current, t);
      this.emit(t, "scale-out", r, `scheduled: launched ${target - current}, ready at ${t + r.lagS} s`);
    } else if (target < current) {
      this.terminate(r, current - target);
      this.emit(t, "scale-in", r, `scheduled: terminated ${current - target}`);
    }
  }

  /** End of a metric period at t: one datapoint, then at most one decision. */
  private datapoint(r: TierRuntime, p: TargetTrackingPolicy, t: number): void {
    const avg = r.accTimeS > 0 ? r.acc / r.accTimeS : Number.NaN;
    const load = r.accTimeS > 0 ? r.accLoad / r.accTimeS : Number.NaN;
    r.acc = 0;
    r.accLoad = 0;
    r.accTimeS = 0;
    // A dead region takes no decisions; a period with no time in it (after a restore) has no datapoint.
    if (this.regionDown > 0 || Number.isNaN(avg)) return;

    let current = r.ready + r.booting;
    if (current < p.minInstances) {
      // The min-instances floor replaces lost instances (health replacement), ignoring cooldown.
      const n = p.minInstances - current;
      this.launch(r, n, t);
      current = p.minInstances;
      this.emit(
        t,
        "scale-out",
        r,
        `below minimum ${p.minInstances}: launched ${n}, ready at ${t + r.lagS} s`,
      );
    }

    // Recommendation: instances that would carry the period's load at the target, i.e.
    // ceil(ready x metric / target) with ready weighted over the period (instances that became
    // ready mid-period count only for the part of it they served).
    let rec: number;
    if (!Number.isFinite(load)) rec = p.maxInstances;
    else rec = Math.ceil(load / p.targetUtilisation - EPS);
    if (rec < p.minInstances) rec = p.minInstances;
    if (rec > p.maxInstances) rec = p.maxInstances;
    this.pushRecommendation(r, t, rec);

    const high = avg > p.targetUtilisation * (1 + p.tolerance);
    const low = avg < p.targetUtilisation * (1 - p.tolerance);
    r.above = high ? r.above + 1 : 0;
    r.below = low ? r.below + 1 : 0;

    if (high) {
      if (r.above < p.datapointsToScaleOut || t < r.cooldownUntilS) return;
      const step = Math.max(Math.ceil((current * p.maxStepPercent) / 100 - EPS), p.minStepInstances);
      const desired = Math.min(rec, current + step, p.maxInstances);
      if (desired <= current) return;
      const n = desired - current;
      this.launch(r, n, t);
      r.cooldownUntilS = t + p.cooldownS;
      this.emit(
        t,
        "scale-out",
        r,
        `${p.metric} ${fmt(avg)} > target ${p.targetUtilisation} for ${r.above} datapoints: ` +
          `launched ${n}, ready at ${t + r.lagS} s`,
      );
    } else if (low && r.below >= p.datapointsToScaleIn) {
      let to = this.highestRecommendation(r, p, t);
      if (to < p.minInstances) to = p.minInstances;
      if (to >= current) return;
      this.terminate(r, current - to);
      this.emit(
        t,
        "scale-in",
        r,
        `${p.metric} ${fmt(avg)} < target ${p.targetUtilisation} for ${r.below} datapoints: ` +
          `terminated ${current - to} (highest recommendation of ${p.scaleInStabilisationS} s)`,
      );
    }
  }

  private pushRecommendation(r: TierRuntime, t: number, rec: number): void {
    const cap = r.recAt.length;
    r.recAt[r.recNext] = t;
    r.recValue[r.recNext] = rec;
    r.recNext = (r.recNext + 1) % cap;
    if (r.recSize < cap) r.recSize++;
  }

  /** Highest recommendation of the datapoints in (t - window, t]. */
  private highestRecommendation(r: TierRuntime, p: TargetTrackingPolicy, t: number): number {
    const cap = r.recAt.length;
    const from = t - p.scaleInStabilisationS;
    let best = 0;
    for (let k = 0; k < r.recSize; k++) {
      const j = (r.recNext - 1 - k + cap) % cap;
      const at = r.recAt[j] as number;
      if (at <= from && at !== t) break;
      const v = r.recValue[j] as number;
      if (v > best) best = v;
    }
    return best;
  }

  // ---- faults ----

  private applyTransition(tr: Transition, t: number): void {
    const f = this.faults[tr.fault] as FaultSpec;
    switch (f.kind) {
      case "zone-outage":
        this.zoneOutage(f, tr, t);
        break;
      case "dependency-errors":
        this.dependencyErrors(f, tr, t);
        break;
      case "replica-loss":
        this.replicaLoss(f, t);
        break;
      case "region-failover":
        this.regionFailover(f, tr, t);
        break;
    }
  }

  /** A share of every tier's ready instances goes, and comes back unless the region failed over. */
  private zoneOutage(f: FaultOf<"zone-outage">, tr: Transition, t: number): void {
    const nTiers = this.tiers.length;
    const base = tr.fault * nTiers;
    for (let i = 0; i < nTiers; i++) {
      const r = this.tiers[i] as TierRuntime;
      if (tr.phase === START) {
        const n = this.regionDown > 0 ? 0 : Math.floor(f.fraction * r.ready + EPS);
        r.ready -= n;
        this.zoneRemoved[base + i] = n;
        this.emit(t, "fault-start", r, `zone outage: ${n} instances gone for ${f.durationS} s`);
      } else {
        // Instances of a region that failed over meanwhile never come back.
        const n = this.zoneEpoch[tr.fault] === this.regionEpoch ? (this.zoneRemoved[base + i] as number) : 0;
        r.ready += n;
        this.zoneRemoved[base + i] = 0;
        this.emit(t, "fault-end", r, `zone outage over: ${n} instances back`);
      }
    }
    if (tr.phase === START) this.zoneEpoch[tr.fault] = this.regionEpoch;
  }

  /** Overlapping dependency faults fail requests independently: the passes multiply. */
  private dependencyErrors(f: FaultOf<"dependency-errors">, tr: Transition, t: number): void {
    this.errorActive[tr.fault] = tr.phase === START ? 1 : 0;
    let pass = 1;
    for (let k = 0; k < this.faults.length; k++) {
      const g = this.faults[k] as FaultSpec;
      if (this.errorActive[k] === 1 && g.kind === "dependency-errors") pass *= 1 - g.errorRate;
    }
    this.errorRateNow = 1 - pass;
    if (tr.phase === START) {
      this.emit(
        t,
        "fault-start",
        null,
        `dependency errors: ${f.errorRate} of requests fail for ${f.durationS} s`,
      );
    } else {
      this.emit(t, "fault-end", null, "dependency errors over");
    }
  }

  /** Read replicas lost for good: only scaling brings the read tier back. */
  private replicaLoss(f: FaultOf<"replica-loss">, t: number): void {
    const r = this.byName.read;
    const n = Math.min(f.replicas, r.ready);
    r.ready -= n;
    this.emit(t, "fault-start", r, `replica loss: ${n} read instances gone for good`);
  }

  /** The region goes dark, the standby is promoted, then serves at baseline size. */
  private regionFailover(f: FaultOf<"region-failover">, tr: Transition, t: number): void {
    if (tr.phase === START) {
      this.regionDown++;
      this.regionEpoch++;
      for (const r of this.tiers) {
        r.ready = 0;
        r.clearBooting();
      }
      this.emit(
        t,
        "fault-start",
        null,
        `region down: no capacity; failover detected after ${f.detectionDelayS} s`,
      );
    } else if (tr.phase === PROMOTE) {
      this.emit(t, "failover", null, `standby region promoted; serving after ${f.failoverS} s`);
    } else {
      this.regionDown--;
      if (this.regionDown === 0) {
        for (const r of this.tiers) {
          r.ready = r.sizing.baselineInstances;
          r.clearBooting();
          r.resetControl();
        }
      }
      this.emit(t, "fault-end", null, "standby region serving at baseline size");
    }
  }

  private emit(atS: number, kind: CapacityEvent["kind"], r: TierRuntime | null, detail: string): void {
    if (r === null) this.events.push({ atS, kind, detail });
    else this.events.push({ atS, kind, tier: r.name, instances: r.ready + r.booting, detail });
  }
}

function fmt(v: number): string {
  return Number.isFinite(v) ? v.toFixed(2) : "inf";
}
