import type { ServiceClass } from "../defaults.ts";
import { erlangB } from "./erlang.ts";

/**
 * An aggregate stand-in for WorkerPool (FCFS queue in front of c workers, queue timeout, max
 * queue) for production-scale virtual-time simulation: the cost of a step is O(classes) plus one
 * Erlang B recursion (O(c), a few µs for thousands of workers), never O(requests).
 *
 * Model, per step of dt with c workers, arrivals n_k per class (any non-negative numbers), mean
 * service s_k, offered work A = Σ n_k·s_k, capacity K = c·dt, ρ = A/K, mix mean s̄ = A/Σn_k:
 * - Stationary part: M/M/c with a finite queue (M/M/c/K) at ρ, any ρ (also >= 1). The queue is
 *   capped at the wait x_cap = min(queueTimeoutMs, maxQueue·s̄/c): an arrival that would wait
 *   beyond it is rejected (overloaded when maxQueue is the tighter bound, timeout otherwise) and
 *   adds no work. With E = B/(1-B) (Erlang B at a = ρc) and M = x_cap·c/s̄ queue places:
 *   P(no wait) = 1/Z, P(rejected) = E·ρ^M/Z, Z = 1 + E·Σ_{n=0..M} ρ^n; an admitted arrival that
 *   waits waits a truncated exponential on [0, x_cap] with rate (c/s̄)(1-ρ) (rising when ρ > 1).
 *   With no cap in reach this is exactly Erlang C: P(wait) = C, wait ~ Exp(cμ - λ).
 * - Fluid part (carried across steps): the queued work (worker-ms). When a step starts with more
 *   queued work than its stationary state holds and ρ < 1 (the tail of an overload), the excess
 *   drains at K - A per step; when it starts with less and ρ > 1 (the start of an overload), it
 *   fills at A - K. While it moves, arrivals see the deterministic wait queued work / c and none
 *   are rejected; the rest of the step is stationary. A change in workers scales the queued work
 *   by new/old (removed workers leave with their share, as in WorkerPool: it is served but no
 *   longer counted here); with 0 workers every arrival is "unavailable".
 * - Latency (wait + service, service = min + exponential tail) is recorded per class as 24
 *   quantile points of its exact distribution under this wait model (stratified: one point per
 *   probability bin, denser in the tail, at a level inside the bin that varies by step; see
 *   EDGES). Fractional counts are carried to the next step per class and bin, so totals are kept
 *   without randomness. A single step's histogram is exact to within one bin (e.g. its p99 lies
 *   between the true p98.5 and p99.3).
 * What it ignores: correlation inside a step (a queue near ρ = 1 needs far longer than a step
 * to reach its steady state; here it is there at once), the randomness of departure times at a
 * full queue (the real wait there spreads like a Gamma around x_cap; here it sits just below),
 * non-exponential service in the wait (the stationary wait is that of exponential service with
 * the mix's mean; service itself keeps its minimum and tail), and which class is queued (the
 * queued work is converted to requests with the current mix's mean).
 */

const CLASSES = Object.keys({
  order: true,
  position: true,
  depth: true,
  other: true,
} satisfies Record<ServiceClass, true>) as ServiceClass[];

/**
 * Probability bins recorded per class and step: one point per bin, weighted by the bin's mass, at
 * a level inside the bin that moves from step to step (base-2 van der Corput sequence), so that
 * histograms summed over steps fill in the continuous distribution instead of piling up on a few
 * values (which shifted a merged p99 by up to ~5% with fixed levels).
 */
const EDGES = [
  0, 0.05, 0.15, 0.25, 0.35, 0.45, 0.55, 0.65, 0.75, 0.85, 0.9, 0.93, 0.95, 0.96, 0.97, 0.98, 0.985, 0.99,
  0.993, 0.995, 0.997, 0.999, 0.9995, 0.9999, 1,
] as const;
const BINS = EDGES.length - 1;
/** Highest level used in the last bin (its quantile must be finite). */
const TOP_LEVEL = 0.99999;

function vanDerCorput(i: number): number {
  let x = 0;
  let f = 0.5;
  for (let n = i; n > 0; n >>>= 1, f /= 2) if (n & 1) x += f;
  return x;
}

/** Where latencies go: an HDR histogram, or anything that takes values with counts. */
export interface LatencyRecorder {
  recordValueWithCount(value: number, count: number): void;
}

export interface FluidQueueOptions {
  serviceTimeMs: Record<ServiceClass, number>;
  serviceTimeMinMs: Record<ServiceClass, number>;
  /** Infinity: no timeout (then maxQueue must be finite for overload to be bounded). */
  queueTimeoutMs: number;
  /** Infinity: unbounded queue. */
  maxQueue: number;
}

export interface FluidStepResult {
  /** Requests per class (fractional) by outcome in the step. */
  admitted: Record<ServiceClass, number>;
  timeout: Record<ServiceClass, number>;
  overloaded: Record<ServiceClass, number>;
  unavailable: Record<ServiceClass, number>;
  /** Requests queued (admitted, not started) at the end of the step, mean. */
  queueDepth: number;
  /** Worker time served over worker time available, 0..1 (0 with no workers). */
  busyFraction: number;
  /** Offered work over capacity (can exceed 1; Infinity with arrivals and no workers). */
  demandRatio: number;
}

export function emptyFluidStepResult(): FluidStepResult {
  const zero = (): Record<ServiceClass, number> => ({ order: 0, position: 0, depth: 0, other: 0 });
  return {
    admitted: zero(),
    timeout: zero(),
    overloaded: zero(),
    unavailable: zero(),
    queueDepth: 0,
    busyFraction: 0,
    demandRatio: 0,
  };
}

/** The wait model of one step (see the file comment); reused, no allocation per step. */
interface WaitModel {
  /** Share of admitted arrivals in the fluid phase: wait uniform on [fluidLoMs, fluidHiMs]. */
  fluidShare: number;
  fluidLoMs: number;
  fluidHiMs: number;
  /** Share of admitted arrivals that do not wait (stationary part). */
  noWaitShare: number;
  /** The rest wait a truncated exponential on [0, capMs] with this rate per ms (any sign). */
  rate: number;
  capMs: number;
}

/** The arrivals of one step summed over classes; reused, no allocation per step. */
interface OfferedLoad {
  /** Σ n_k (requests, fractional). */
  count: number;
  /** Offered work A = Σ n_k·s_k (worker-ms). */
  workMs: number;
  /** Σ n_k·E[S_k²] (ms²): the mix's second moment, for the service time's variability. */
  squaresMs2: number;
}

/** The stationary M/M/c/K state of one step at ρ (file comment). */
interface StationaryState {
  meanServiceMs: number;
  rho: number;
  /** The wait at which maxQueue requests fill the queue. */
  countCapMs: number;
  /** The wait beyond which an arrival is rejected: min(queueTimeoutMs, countCapMs). */
  capMs: number;
  pNoWait: number;
  pReject: number;
  /** Rate per ms of the truncated exponential wait (any sign). */
  rate: number;
  /** Queued work (worker-ms) the stationary state holds. */
  work: number;
}

function stationaryState(
  o: FluidQueueOptions,
  load: OfferedLoad,
  workers: number,
  dtMs: number,
): StationaryState {
  const n = load.count;
  const work = load.workMs;
  const meanS = work / n;
  const rho = work / (workers * dtMs);
  const countCapMs = (o.maxQueue * meanS) / workers;
  const capMs = Math.min(o.queueTimeoutMs, countCapMs);
  // Allen–Cunneen / diffusion: with Poisson arrivals, waits and queue lengths scale by
  // (1 + cv²)/2 against exponential service (cv² of the mix's service time).
  const scale = (1 + (load.squaresMs2 / n / (meanS * meanS) - 1)) / 2;
  const places = (capMs * workers) / meanS / scale;
  const b = erlangB(workers, rho * workers);
  const e = b / (1 - b); // P(all busy, queue empty) / P(some worker idle); b < 1 for finite a
  let pNoWait: number;
  let pReject: number;
  if (rho > 1) {
    // Scaled by ρ^-M so that a long queue at a high ρ does not overflow.
    const inv = Math.exp(-places * Math.log(rho));
    const z = inv + (e * (rho - inv)) / (rho - 1);
    pNoWait = inv / z;
    pReject = e / z;
  } else {
    const sum = Math.abs(1 - rho) < 1e-12 ? places + 1 : (1 - rho ** (places + 1)) / (1 - rho);
    const z = 1 + e * sum;
    pNoWait = 1 / z;
    pReject = (e * rho ** places) / z;
  }
  const admittedShare = 1 - pReject; // of arrivals in the stationary part
  const rate = ((workers / meanS) * (1 - rho)) / scale;
  const meanWaitStationary = ((1 - pNoWait - pReject) / admittedShare) * truncExpMean(rate, capMs);
  // Little: queued work = admitted work rate x mean wait.
  const stationaryWork = Math.min((work * admittedShare * meanWaitStationary) / dtMs, workers * capMs);
  return { meanServiceMs: meanS, rho, countCapMs, capMs, pNoWait, pReject, rate, work: stationaryWork };
}

/** How the carried queue moves toward the stationary one within a step. */
interface FluidPhase {
  /** Queued work at the step's start (worker-ms), capped at what the queue can hold. */
  startWork: number;
  /** Queued work at its end. */
  endWork: number;
  /** Time the queue spends moving (ms, 0..dt); the rest of the step is stationary. */
  timeMs: number;
  /** How fast it moves: A - K per ms (worker-ms per ms, any sign). */
  drift: number;
}

/** The carried queue moves toward the stationary one at |A - K| per step. */
function fluidPhase(
  start: number,
  st: StationaryState,
  workMs: number,
  capacity: number,
  dtMs: number,
): FluidPhase {
  let fluidTime = 0;
  let end = st.work;
  const drift = (workMs - capacity) / dtMs; // worker-ms per ms
  // (An unbounded queue at ρ >= 1 has no steady state: it only grows, at A - K.)
  const filling = st.rho > 1 || st.work === Number.POSITIVE_INFINITY;
  if ((st.rho < 1 && start > st.work) || (filling && start < st.work)) {
    fluidTime = (st.work - start) / drift;
    if (fluidTime >= dtMs) {
      fluidTime = dtMs;
      end = start + drift * dtMs;
    }
  }
  return { startWork: start, endWork: end, timeMs: fluidTime, drift };
}

export class FluidQueue {
  private queuedWork = 0; // worker-ms admitted, not started
  private lastWorkers = -1;
  private lastMeanServiceMs = 0;
  private readonly carry = new Float64Array(CLASSES.length * BINS);
  private steps = 0;
  private readonly load: OfferedLoad = { count: 0, workMs: 0, squaresMs2: 0 };
  private readonly wait: WaitModel = {
    fluidShare: 0,
    fluidLoMs: 0,
    fluidHiMs: 0,
    noWaitShare: 1,
    rate: 0,
    capMs: 0,
  };

  constructor(private readonly opts: FluidQueueOptions) {
    for (const k of CLASSES) {
      if (!(opts.serviceTimeMs[k] >= opts.serviceTimeMinMs[k] && opts.serviceTimeMinMs[k] >= 0))
        throw new RangeError(`service time of ${k} must be >= its minimum >= 0`);
    }
    if (!(opts.queueTimeoutMs >= 0) || !(opts.maxQueue >= 0))
      throw new RangeError("queueTimeoutMs and maxQueue must be >= 0");
    const someService = CLASSES.some((k) => opts.serviceTimeMs[k] > 0);
    if (!someService) throw new RangeError("some service time must be > 0");
  }

  /** Queued requests now (mean). */
  get queueDepth(): number {
    return this.lastMeanServiceMs > 0 ? this.queuedWork / this.lastMeanServiceMs : 0;
  }

  /**
   * Advances dtMs with `workers` workers and the given arrivals; fills `out` (every field is
   * overwritten) and, if given, records admitted latency in µs into each class's histogram.
   */
  step(
    dtMs: number,
    workers: number,
    arrivals: Record<ServiceClass, number>,
    latencyUs: Record<ServiceClass, LatencyRecorder> | null,
    out: FluidStepResult,
  ): void {
    if (!(dtMs > 0)) throw new RangeError(`step must be > 0 ms, got ${dtMs}`);
    if (!Number.isInteger(workers) || workers < 0) throw new RangeError(`workers must be whole >= 0`);
    if (this.lastWorkers > 0 && workers !== this.lastWorkers) this.queuedWork *= workers / this.lastWorkers;
    this.lastWorkers = workers;
    const load = this.measureLoad(arrivals, out);
    if (load.count > 0) this.lastMeanServiceMs = load.workMs / load.count;
    const capacity = workers * dtMs;
    out.demandRatio = capacity > 0 ? load.workMs / capacity : load.workMs > 0 ? Number.POSITIVE_INFINITY : 0;
    if (workers === 0) this.stepWithoutWorkers(arrivals, out);
    else if (load.count === 0 || load.workMs === 0)
      this.stepWithoutWork(dtMs, workers, arrivals, latencyUs, out);
    else this.stepUnderLoad(dtMs, workers, arrivals, latencyUs, out);
  }

  /** Sums the step's arrivals into `this.load` (checking them) and zeroes `out`'s outcomes. */
  private measureLoad(arrivals: Record<ServiceClass, number>, out: FluidStepResult): OfferedLoad {
    const o = this.opts;
    const load = this.load;
    load.count = 0;
    load.workMs = 0;
    load.squaresMs2 = 0;
    for (const k of CLASSES) {
      const count = arrivals[k];
      if (!(count >= 0)) throw new RangeError(`arrivals of ${k} must be >= 0, got ${count}`);
      const minMs = o.serviceTimeMinMs[k];
      const tailMs = o.serviceTimeMs[k] - minMs;
      load.count += count;
      load.workMs += count * o.serviceTimeMs[k];
      load.squaresMs2 += count * (minMs * minMs + 2 * minMs * tailMs + 2 * tailMs * tailMs);
      out.admitted[k] = 0;
      out.timeout[k] = 0;
      out.overloaded[k] = 0;
      out.unavailable[k] = 0;
    }
    return load;
  }

  /** No workers: nothing is served, the queue is gone and every arrival is unavailable. */
  private stepWithoutWorkers(arrivals: Record<ServiceClass, number>, out: FluidStepResult): void {
    for (const k of CLASSES) out.unavailable[k] = arrivals[k];
    this.queuedWork = 0;
    out.queueDepth = 0;
    out.busyFraction = 0;
  }

  /** Arrivals that bring no work: the carried queue drains and they wait for it only. */
  private stepWithoutWork(
    dtMs: number,
    workers: number,
    arrivals: Record<ServiceClass, number>,
    latencyUs: Record<ServiceClass, LatencyRecorder> | null,
    out: FluidStepResult,
  ): void {
    const capacity = workers * dtMs;
    const served = Math.min(this.queuedWork, capacity);
    this.queuedWork -= served;
    for (const k of CLASSES) out.admitted[k] = arrivals[k];
    out.queueDepth = this.queueDepth;
    out.busyFraction = served / capacity;
    // Requests of zero work: they wait for the queue ahead only.
    const w = this.wait;
    w.fluidShare = 1;
    w.fluidLoMs = (this.queuedWork + served) / workers;
    w.fluidHiMs = w.fluidLoMs;
    w.noWaitShare = 0;
    w.capMs = 0;
    if (latencyUs !== null && this.load.count > 0) this.recordLatencies(arrivals, 1, latencyUs);
  }

  /** Workers and work: the stationary state, the fluid phase toward it, then the outcomes. */
  private stepUnderLoad(
    dtMs: number,
    workers: number,
    arrivals: Record<ServiceClass, number>,
    latencyUs: Record<ServiceClass, LatencyRecorder> | null,
    out: FluidStepResult,
  ): void {
    const { workMs } = this.load;
    const capacity = workers * dtMs;
    const st = stationaryState(this.opts, this.load, workers, dtMs);
    const fluid = fluidPhase(Math.min(this.queuedWork, workers * st.capMs), st, workMs, capacity, dtMs);
    const fluidShareOfArrivals = fluid.timeMs / dtMs;
    const rejectedShare = (1 - fluidShareOfArrivals) * st.pReject;
    const admittedFraction = 1 - rejectedShare;
    const w = this.wait;
    w.fluidShare = fluidShareOfArrivals / admittedFraction;
    w.fluidLoMs = Math.min(fluid.startWork, fluid.startWork + fluid.drift * fluid.timeMs) / workers;
    w.fluidHiMs = Math.max(fluid.startWork, fluid.startWork + fluid.drift * fluid.timeMs) / workers;
    w.noWaitShare = ((1 - fluidShareOfArrivals) * st.pNoWait) / admittedFraction;
    w.rate = st.rate;
    w.capMs = st.capMs;

    const timeoutBinds = this.opts.queueTimeoutMs < st.countCapMs;
    for (const k of CLASSES) {
      out.admitted[k] = arrivals[k] * admittedFraction;
      const rejected = arrivals[k] * rejectedShare;
      if (timeoutBinds) out.timeout[k] = rejected;
      else out.overloaded[k] = rejected;
    }
    this.queuedWork = fluid.endWork;
    out.queueDepth = fluid.endWork / st.meanServiceMs;
    out.busyFraction = Math.min(
      1,
      Math.max(0, (workMs * admittedFraction + fluid.startWork - fluid.endWork) / capacity),
    );
    if (latencyUs !== null) this.recordLatencies(arrivals, admittedFraction, latencyUs);
  }

  private recordLatencies(
    arrivals: Record<ServiceClass, number>,
    admittedFraction: number,
    latencyUs: Record<ServiceClass, LatencyRecorder>,
  ): void {
    const offset = vanDerCorput(this.steps++ & 0xffff) + 2 ** -17; // in (0, 1)
    for (let ci = 0; ci < CLASSES.length; ci++) {
      const k = CLASSES[ci] as ServiceClass;
      const admitted = arrivals[k] * admittedFraction;
      if (admitted <= 0) continue;
      const minMs = this.opts.serviceTimeMinMs[k];
      const tailMs = this.opts.serviceTimeMs[k] - minMs;
      const h = latencyUs[k];
      let lo = minMs;
      for (let bin = 0; bin < BINS; bin++) {
        const slot = ci * BINS + bin;
        const from = EDGES[bin] as number;
        const mass = (EDGES[bin + 1] as number) - from;
        const exact = admitted * mass + (this.carry[slot] as number);
        const count = Math.floor(exact);
        this.carry[slot] = exact - count;
        // Quantiles rise with the level: each search starts from the previous one.
        lo = this.latencyQuantileMs(Math.min(TOP_LEVEL, from + offset * mass), minMs, tailMs, lo);
        if (count > 0) h.recordValueWithCount(Math.round(lo * 1000), count);
      }
    }
  }

  /** Smallest latency x (ms) with P(L <= x) >= p, by bisection to 0.05% (finer than 3 digits). */
  private latencyQuantileMs(p: number, minMs: number, tailMs: number, fromMs: number): number {
    const w = this.wait;
    const maxWait = Math.max(w.fluidHiMs, w.capMs === Number.POSITIVE_INFINITY ? 0 : w.capMs);
    let hi = minMs + maxWait + tailMs * 12;
    if (w.capMs === Number.POSITIVE_INFINITY || w.capMs > maxWait) {
      // Unbounded exponential wait: its own quantile bound.
      hi += w.rate > 0 ? 12 / w.rate : 0;
    }
    let lo = Math.max(fromMs, minMs);
    hi = Math.max(hi, lo + 1e-3);
    if (this.latencyCdf(lo - minMs, tailMs) >= p) return lo;
    while (this.latencyCdf(hi - minMs, tailMs) < p) hi *= 2;
    while (hi - lo > 5e-4 * hi && hi - lo > 1e-6) {
      const mid = (lo + hi) / 2;
      if (this.latencyCdf(mid - minMs, tailMs) >= p) hi = mid;
      else lo = mid;
    }
    return hi;
  }

  /** P(wait + tail <= y), tail ~ Exp(tailMs), under the step's wait model. */
  private latencyCdf(y: number, tailMs: number): number {
    if (y < 0) return 0;
    const w = this.wait;
    const stationaryWaiting = 1 - w.fluidShare - w.noWaitShare;
    let p = w.noWaitShare * atomPlusExp(0, y, tailMs);
    if (w.fluidShare > 0) {
      p +=
        w.fluidShare *
        (w.fluidHiMs - w.fluidLoMs < 1e-9
          ? atomPlusExp(w.fluidLoMs, y, tailMs)
          : truncExpPlusExp(0, w.fluidLoMs, w.fluidHiMs, y, tailMs));
    }
    if (stationaryWaiting > 1e-15) {
      p +=
        stationaryWaiting *
        (w.capMs < 1e-9 ? atomPlusExp(0, y, tailMs) : truncExpPlusExp(w.rate, 0, w.capMs, y, tailMs));
    }
    return p;
  }
}

/** log((e^(kL) - 1)/k) for L > 0, any k, without overflow. */
function logH(k: number, length: number): number {
  const x = k * length;
  if (Math.abs(x) < 1e-8) return Math.log(length) + x / 2;
  if (x > 0) return x + Math.log(-Math.expm1(-x)) - Math.log(k);
  return Math.log(-Math.expm1(x)) - Math.log(-k);
}

/** P(a + T <= y), T ~ Exp(mean tail) (tail 0: T = 0). */
function atomPlusExp(a: number, y: number, tail: number): number {
  if (y < a) return 0;
  return tail > 0 ? -Math.expm1(-(y - a) / tail) : 1;
}

/**
 * P(W + T <= y), W with density ∝ e^(-rate·w) on [lo, hi] (rate 0: uniform; any sign),
 * T ~ Exp(mean tail) (tail 0: T = 0). hi may be Infinity when rate > 0.
 */
function truncExpPlusExp(rate: number, lo: number, hi: number, y: number, tail: number): number {
  if (y <= lo) return 0;
  const z = Math.min(y, hi);
  const logNorm = hi === Number.POSITIVE_INFINITY ? -Math.log(rate) : logH(-rate, hi - lo);
  const below = Math.exp(logH(-rate, z - lo) - logNorm); // P(W <= z)
  if (!(tail > 0)) return below;
  // ∫ f(w) e^(-(y-w)/tail) dw over [lo, z]
  const k = 1 / tail - rate;
  const tailPart = Math.exp(-(y - lo) / tail + logH(k, z - lo) - logNorm);
  return Math.min(1, Math.max(0, below - tailPart));
}

/** Mean of the density ∝ e^(-rate·w) on [0, cap]. */
function truncExpMean(rate: number, cap: number): number {
  if (cap === Number.POSITIVE_INFINITY) return rate > 0 ? 1 / rate : Number.POSITIVE_INFINITY;
  if (cap <= 0) return 0;
  const x = rate * cap;
  if (Math.abs(x) < 1e-8) return cap / 2;
  return 1 / rate - cap / Math.expm1(x);
}
