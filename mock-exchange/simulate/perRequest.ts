import { backoffFactor } from "../../loadtests/lib/behaviours.ts";
import { classMultiple, drillRequestBudgetS, planDrill } from "../../loadtests/lib/plan.ts";
import type { Profile } from "../../loadtests/profiles/types.ts";
import { type RejectReason, TRAFFIC_CLASSES, type TrafficClass } from "../../loadtests/vocabulary/traffic.ts";
import { type AdmissionRequest, type AdmissionState, decideAdmission } from "../admission.ts";
import { CAPACITY_TICK_MS, CapacityModel, closeCapacitySecond } from "../capacity/model.ts";
import { ReadReplica } from "../capacity/readReplica.ts";
import { MatchingEngine } from "../engine/matchingEngine.ts";
import type { LiquidationEvent } from "../engine/types.ts";
import { ForceOrderThrottle } from "../forceOrderThrottle.ts";
import { IpLimiter } from "../limits/ipLimiter.ts";
import { OrderCountLimiter } from "../limits/orderCountLimiter.ts";
import { limitWindowCompression } from "../limits/window.ts";
import { type MarketConfig, marketEngineOptions } from "../market/marketConfig.ts";
import { MarketModel } from "../market/marketModel.ts";
import { type Random, seededRandom } from "../random.ts";
import { Timeline } from "../timeline.ts";
import { usdtToCash } from "../venue/cash.ts";
import { HOUSE_ACCOUNT } from "../venue/houseLiquidity.ts";
import { MarketMoves } from "../venue/marketMoves.ts";
import {
  clientSimBehaviours,
  MAKER_ACCOUNT,
  READBACK,
  READBACK_DELAY_MS,
  type SimBehaviour,
  type SimRequest,
  type SimStep,
  WRITES_PER_FILL,
} from "./behaviour.ts";
import type { SimulationInput, SimulationSink } from "./types.ts";

/**
 * Per-request discrete-event simulation in virtual time: Poisson arrivals per class from the
 * profile, each through the same parts the mock exchange uses in a drill (IpLimiter: bans and
 * request weight; OrderCountLimiter; CapacityModel with its Provisioner, ReadReplica, Timeline),
 * decided by the server's own call (admission.ts decideAdmission). Client i is one IP and one account, as a drill's client is
 * (loadtests/drill.ts: one API key and one X-Forwarded-For address per client). Exact for the model; its cost is
 * O(requests log requests), so it is for drill-sized rates (the calibration against k6) and for
 * checking the aggregate approximation at small scale.
 *
 * Each arrival is an iteration of its class, run as a drill runs it: the class's iterations go
 * round-robin to as many sessions as the drill has VUs for it (k6's arrival-rate executors hand
 * an iteration to the VU idle longest), session v of a class is client v % clients (a drill's VU
 * is client clientKey() % accounts), and the client's behaviour in the class is fixed by the mix
 * (clientBehaviour; the behaviour table of loadtests/lib/behaviours.ts, via behaviour.ts). Its
 * requests go out one after another, each after the previous response; a fill is followed by a
 * read-back. A session whose behaviour honours Retry-After (patient-checker) skips its
 * iterations while a 429/418 it received asks it to wait (Retry-After, doubled by the refusals
 * in a row before, loadtests/lib/behaviours.ts backoffFactor), as a VU does (VUs share no state:
 * each session learns its own refusals).
 */

/** A class's sessions (k6 VUs): the round-robin cursor, Retry-After per session, the behaviour each runs. */
interface Sessions {
  next: number;
  blockedUntilMs: Float64Array;
  /** Refusals (429/418) in a row per session, for a patient session's back-off. */
  refusedInARow: Uint8Array;
  behaviour: SimBehaviour[];
}

/** The step number of a read-back: past every behaviour's last step, so nothing follows it. */
const READBACK_STEP = Number.MAX_SAFE_INTEGER - 1;

/** Arrivals are generated in slices of this many ms (Poisson count, uniform times within). */
const SLICE_MS = 10;

enum Kind {
  Arrival = 0,
  Response = 1,
}

interface SimEvent {
  atMs: number;
  kind: Kind;
  cls: TrafficClass;
  client: number;
  /** Arrival time of the request this response belongs to. */
  sentMs: number;
  /** Response: the refusal reason, undefined when served. */
  reason: RejectReason | undefined;
  /** A read-back that checks read-your-writes against a fill acknowledged at ackMs (-1: none). */
  ackMs: number;
  /** Response of a new order that filled: a write to replicate and a read-back to send. */
  filled: boolean;
  /** What is sent (its class is `cls`). */
  request: SimRequest;
  /** The iteration's behaviour and this request's step in it (READBACK_STEP: the read-back after a fill, the last). */
  behaviour: SimBehaviour;
  step: number;
  /** The session (VU) of the iteration: index into its behaviour's class's sessions. */
  vu: number;
  /** Response of a 429/418: its Retry-After, seconds (0: none). */
  retryAfterS: number;
}

/** Min-heap of events by time; ties keep insertion order (seq). */
class EventHeap {
  private readonly items: SimEvent[] = [];
  private readonly seqs: number[] = [];
  private seq = 0;
  get size(): number {
    return this.items.length;
  }
  peekTime(): number {
    return this.items.length === 0 ? Number.POSITIVE_INFINITY : (this.items[0] as SimEvent).atMs;
  }
  push(e: SimEvent): void {
    const items = this.items;
    const seqs = this.seqs;
    let i = items.length;
    items.push(e);
    seqs.push(this.seq++);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(i, p)) break;
      this.swap(i, p);
      i = p;
    }
  }
  pop(): SimEvent {
    const items = this.items;
    const top = items[0] as SimEvent;
    const last = items.pop() as SimEvent;
    const lastSeq = this.seqs.pop() as number;
    if (items.length > 0) {
      items[0] = last;
      this.seqs[0] = lastSeq;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= items.length) break;
        const r = l + 1;
        const m = r < items.length && this.less(r, l) ? r : l;
        if (!this.less(m, i)) break;
        this.swap(i, m);
        i = m;
      }
    }
    return top;
  }
  private less(a: number, b: number): boolean {
    const ea = this.items[a] as SimEvent;
    const eb = this.items[b] as SimEvent;
    return ea.atMs < eb.atMs || (ea.atMs === eb.atMs && (this.seqs[a] as number) < (this.seqs[b] as number));
  }
  private swap(a: number, b: number): void {
    const t = this.items[a] as SimEvent;
    this.items[a] = this.items[b] as SimEvent;
    this.items[b] = t;
    const s = this.seqs[a] as number;
    this.seqs[a] = this.seqs[b] as number;
    this.seqs[b] = s;
  }
}

/** Poisson(mean) by inversion for small means, normal approximation for large ones. */
export function poisson(random: Random, mean: number): number {
  if (mean <= 0) return 0;
  if (mean > 50) {
    // Box-Muller; the continuity-corrected normal is within a fraction of a percent here.
    const u = 1 - random();
    const v = random();
    const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    return Math.max(0, Math.round(mean + Math.sqrt(mean) * z));
  }
  const limit = Math.exp(-mean);
  let k = 0;
  let p = random();
  while (p > limit) {
    k++;
    p *= random();
  }
  return k;
}

/** Rate of each class at wall time t (s since start), requests per wall second. */
export function ratesAt(
  profile: Profile,
  normal: Record<TrafficClass, number>,
  timeScale: number,
  tS: number,
  out: Record<TrafficClass, number>,
): void {
  let start = 0;
  for (const p of profile.phases) {
    const end = start + p.durationS / timeScale;
    if (tS < end) {
      const f = end > start ? (tS - start) / (end - start) : 0;
      for (const cls of TRAFFIC_CLASSES) {
        const m = classMultiple(p, cls);
        out[cls] = normal[cls] * (m.from + (m.to - m.from) * f);
      }
      return;
    }
    start = end;
  }
  for (const cls of TRAFFIC_CLASSES) out[cls] = 0;
}

export function simulatePerRequest(input: SimulationInput, sink: SimulationSink): void {
  new PerRequestRun(input, sink).run();
}

/** One per-request simulation: the venue's parts, the clients' sessions, and the events in flight. */
class PerRequestRun {
  private readonly arrivalsRandom: Random;
  private readonly capacity: CapacityModel;
  private readonly replica: ReadReplica;
  private readonly timeline = new Timeline(0);
  private readonly admission: AdmissionState;
  // One request object reused: decideAdmission keeps nothing of it.
  private readonly admissionRequest: AdmissionRequest = {
    route: READBACK.route,
    clientKey: "",
    apiKey: undefined,
    accountId: 0,
    params: READBACK.params,
    query: "",
    body: "",
    arrivalMs: 0,
    priority: false,
  };
  private readonly clients: number;
  private readonly clientKeys: string[];
  private readonly heap = new EventHeap();
  /** Sessions (k6 VUs) per class. */
  private readonly sessions = {} as Record<TrafficClass, Sessions>;
  private readonly ticksPerSecond = Math.round(1000 / CAPACITY_TICK_MS);
  private ticks = 0;

  constructor(
    private readonly input: SimulationInput,
    private readonly sink: SimulationSink,
  ) {
    const { profile, config, normalRatePerS, timeScale, seed } = input;
    const random = seededRandom(seed);
    this.arrivalsRandom = seededRandom(seed ^ 0x9e3779b9);
    this.capacity = new CapacityModel(config, random, 0);
    const limiter = new IpLimiter(config.limits, timeScale, 0);
    const l = config.limits;
    const orderLimiter = new OrderCountLimiter(
      l.ordersPer10s,
      l.ordersPerMinute,
      limitWindowCompression(l, timeScale),
      0,
    );
    this.replica = new ReadReplica({ ...config.replica, symbolCount: 1 });
    this.admission = {
      limiter,
      orderLimiter,
      capacity: this.capacity,
      verify: undefined,
      requireSignature: false,
    };
    this.market = config.market === undefined ? undefined : this.marketOf(config, config.market);
    const clients = input.clients;
    this.clients = clients;
    this.clientKeys = Array.from({ length: clients }, (_, i) => `client-${i}`);
    // Sessions (k6 VUs) per class, as many as the drill plans: the round-robin cursor, until when
    // each was told to wait, and the behaviour each runs (its client's).
    const plan = planDrill(
      { ...profile, normalRatePerS },
      { timeScale, requestBudgetS: drillRequestBudgetS(config.capacity) },
    );
    for (const cls of TRAFFIC_CLASSES) {
      const byClient = clientSimBehaviours(profile.behaviours, cls, clients);
      const vus = Math.max(1, plan.classes[cls].maxVUs);
      this.sessions[cls] = {
        next: 0,
        blockedUntilMs: new Float64Array(vus),
        refusedInARow: new Uint8Array(vus),
        behaviour: Array.from({ length: vus }, (_, v) => byClient[v % clients] as SimBehaviour),
      };
    }
  }

  /**
   * The venue's market (market/marketModel.ts) on an engine of its own, as a drill's venue builds
   * it (house account, then the model: collateral and leveraged positions, makers, shocks), its
   * makers' requests meeting this simulation's admission. The clients' simulated requests do not
   * reach the engine (they carry no orders): the market feels them through the workers, queues
   * and limits its makers share with them.
   */
  private marketOf(config: SimulationInput["config"], market: MarketConfig): MarketModel {
    const now = () => this.marketNowMs;
    const engine = new MatchingEngine({
      symbols: config.symbols,
      now,
      ...marketEngineOptions(market, config.symbols, config.timeScale),
    });
    engine.createAccount(HOUSE_ACCOUNT, usdtToCash(config.balances.houseBalanceUsdt, engine.cashDecimals));
    // Liquidations counted, and which the throttled public feed shows, as the venue counts them.
    const feed = new ForceOrderThrottle<Readonly<LiquidationEvent>>(config.streams.forceOrderThrottleMs, 0);
    engine.onLiquidation((e) => {
      if (e.kind === "LIQUIDATION") this.timeline.liquidation(feed.offer(e.symbol, e, e.time));
    });
    // The scripted path, if any, moves the external index alone (as the venue plays it).
    this.marketPath = MarketMoves.of(config, engine, 0, "index");
    return new MarketModel(config, market, engine, this.admission, 0, now);
  }
  private readonly market: MarketModel | undefined;
  private marketPath: MarketMoves | undefined;
  /** The market engine's clock: the tick being played. */
  private marketNowMs = 0;

  /** Arrivals slice by slice, each slice's events in time order, until the last response. */
  run(): void {
    const { profile, config, normalRatePerS, timeScale, durationS } = this.input;
    const heap = this.heap;
    const arrivalsRandom = this.arrivalsRandom;
    const rates = { order: 0, position: 0, depth: 0 } as Record<TrafficClass, number>;
    const endMs = durationS * 1000;
    // Requests still in flight at the end are answered (like k6's graceful stop), up to the timeout.
    const drainMs = endMs + config.capacity.queueTimeoutMs + 5_000;
    let lastMs = 0;
    const slice: Array<{ atMs: number; cls: TrafficClass }> = [];
    for (let sliceStart = 0; sliceStart < drainMs; sliceStart += SLICE_MS) {
      const sliceEnd = sliceStart + SLICE_MS;
      slice.length = 0;
      if (sliceStart < endMs) {
        ratesAt(profile, normalRatePerS, timeScale, sliceStart / 1000, rates);
        for (const cls of TRAFFIC_CLASSES) {
          const n = poisson(arrivalsRandom, (rates[cls] * SLICE_MS) / 1000);
          for (let i = 0; i < n; i++) slice.push({ atMs: sliceStart + arrivalsRandom() * SLICE_MS, cls });
        }
        slice.sort((a, b) => a.atMs - b.atMs);
      }
      let next = 0;
      for (;;) {
        const arrivalAt =
          next < slice.length ? (slice[next] as { atMs: number }).atMs : Number.POSITIVE_INFINITY;
        const eventAt = heap.peekTime();
        const at = Math.min(arrivalAt, eventAt);
        if (at >= sliceEnd) break;
        this.closeUpTo(at);
        lastMs = at;
        if (eventAt <= arrivalAt) {
          const e = heap.pop();
          if (e.kind === Kind.Response) this.respond(e);
          else this.arrive(e);
        } else {
          const s = slice[next++] as { atMs: number; cls: TrafficClass };
          this.startIteration(s.atMs, s.cls);
        }
      }
      if (sliceEnd >= endMs && heap.size === 0) break;
    }
    this.closeUpTo(Math.ceil(Math.max(endMs, lastMs) / 1000) * 1000);
  }

  /**
   * The shared tick of the server, in virtual time, up to tMs: the provisioning loop every
   * CAPACITY_TICK_MS, and a timeline line at every whole second.
   */
  private closeUpTo(tMs: number): void {
    const capacity = this.capacity;
    while ((this.ticks + 1) * CAPACITY_TICK_MS <= tMs) {
      this.ticks++;
      const t = this.ticks * CAPACITY_TICK_MS;
      if (this.market !== undefined) {
        this.marketNowMs = t;
        this.marketPath?.advance(t);
        this.market.advance(t);
      }
      if (this.ticks % this.ticksPerSecond !== 0) {
        capacity.tick(t);
        continue;
      }
      const second = this.ticks / this.ticksPerSecond - 1;
      const point = this.timeline.closeSecond(second, closeCapacitySecond(capacity, this.replica, t, second));
      if (this.market !== undefined) point.market = this.market.closeSecond();
      this.sink.timeline(point);
    }
  }

  /** A response reaches its client: counted, and what the iteration sends next goes out. */
  private respond(e: SimEvent): void {
    this.sink.behaviour?.(e.behaviour.name, e.reason, 1);
    if (e.reason === undefined) {
      // A fill's read-back is the iteration's last request.
      if (this.served(e)) return;
    } else this.refused(e, e.reason);
    // The iteration's next request goes out after this response (unless it needs this one served).
    const b = e.behaviour;
    const nextStep = b.steps[e.step + 1];
    if (nextStep === undefined || (nextStep.onlyIfServed && e.reason !== undefined)) return;
    if (nextStep.onlyIfLimited && e.reason !== "rate_limited" && e.reason !== "banned") return;
    const chosen = this.choose(nextStep);
    if (chosen === undefined) return;
    this.heap.push({
      atMs: e.atMs + READBACK_DELAY_MS,
      kind: Kind.Arrival,
      cls: chosen.cls,
      client: e.client,
      sentMs: 0,
      reason: undefined,
      ackMs: -1,
      filled: false,
      request: chosen,
      behaviour: b,
      step: e.step + 1,
      vu: e.vu,
      retryAfterS: 0,
    });
  }

  /** A served response: read-your-writes on position reads, a fill written and read back; true when it filled. */
  private served(e: SimEvent): boolean {
    const latencyMs = e.atMs - e.sentMs;
    const { timeline, replica } = this;
    if (e.behaviour.honoursRetryAfter) this.sessions[e.behaviour.cls].refusedInARow[e.vu] = 0;
    timeline.servedOne(e.cls, latencyMs);
    this.sink.record(e.atMs, e.cls, latencyMs, 1, undefined);
    if (e.cls === "position") {
      replica.advance(e.atMs);
      const behind = replica.isBehind(e.client);
      if (behind) timeline.staleRead();
      if (e.ackMs >= 0) this.sink.stale(e.atMs, 1, behind ? 1 : 0, behind ? e.atMs - e.ackMs : 0);
    }
    if (!e.filled) return false;
    replica.record(e.client, 0, 1, 1, e.atMs, e.atMs);
    for (let w = 1; w < WRITES_PER_FILL; w++) replica.record(MAKER_ACCOUNT, 0, 1, 1, e.atMs, e.atMs);
    this.heap.push({
      atMs: e.atMs + READBACK_DELAY_MS,
      kind: Kind.Arrival,
      cls: "position",
      client: e.client,
      sentMs: 0,
      reason: undefined,
      ackMs: e.atMs,
      filled: false,
      request: READBACK,
      behaviour: e.behaviour,
      step: READBACK_STEP,
      vu: e.vu,
      retryAfterS: 0,
    });
    return true;
  }

  private refused(e: SimEvent, reason: RejectReason): void {
    const latencyMs = e.atMs - e.sentMs;
    this.timeline.rejectedOne(e.cls, reason, latencyMs);
    this.sink.record(e.atMs, e.cls, latencyMs, 1, reason);
    // A patient session waits out Retry-After, doubled by the refusals in a row before
    // (loadtests/scenarios/patientChecker.ts); the other behaviours ignore it.
    if (e.retryAfterS > 0 && e.behaviour.honoursRetryAfter) {
      const pool = this.sessions[e.behaviour.cls];
      const before = pool.refusedInARow[e.vu] as number;
      const untilMs = e.atMs + e.retryAfterS * 1000 * backoffFactor(before);
      pool.blockedUntilMs[e.vu] = Math.max(pool.blockedUntilMs[e.vu] as number, untilMs);
      pool.refusedInARow[e.vu] = Math.min(before + 1, 255);
    }
  }

  /** The request a step sends: one of its options (a draw only when there is a choice), or none. */
  private choose(step: SimStep): SimRequest | undefined {
    const options = step.options;
    const only = options[0];
    if (options.length === 1 && only !== undefined && only.p >= 1) return only.request;
    const u = this.arrivalsRandom();
    let acc = 0;
    for (const o of options) {
      acc += o.p;
      if (u < acc) return o.request;
    }
    return undefined;
  }

  /** A new iteration of a class: its session (and so its client and behaviour), and its first request. */
  private startIteration(atMs: number, cls: TrafficClass): void {
    const pool = this.sessions[cls];
    const vu = pool.next;
    pool.next = (pool.next + 1) % pool.blockedUntilMs.length;
    const client = vu % this.clients;
    const b = pool.behaviour[vu] as SimBehaviour;
    // Told to wait: the iteration sends nothing (a drill counts it in stampede_backoff_skips).
    if (b.honoursRetryAfter && atMs < (pool.blockedUntilMs[vu] as number)) return;
    // A first step with nothing chosen ends the iteration (no behaviour has one today).
    const first = b.steps[0];
    const request = first === undefined ? undefined : this.choose(first);
    if (request === undefined) return;
    this.arrive({
      atMs,
      kind: Kind.Arrival,
      cls: request.cls,
      client,
      sentMs: 0,
      reason: undefined,
      ackMs: -1,
      filled: false,
      request,
      behaviour: b,
      step: 0,
      vu,
      retryAfterS: 0,
    });
  }

  /**
   * A request reaches the venue: the server's decision, answered now (refused) or when the
   * capacity model says. The arrival event becomes its response.
   */
  private arrive(e: SimEvent): void {
    const request = e.request;
    const atMs = e.atMs;
    this.timeline.arrival(request.cls);
    e.kind = Kind.Response;
    e.cls = request.cls;
    e.sentMs = atMs;
    e.reason = undefined;
    e.filled = false;
    e.retryAfterS = 0;
    // The server's decision: what the simulator does not model (keys, signatures, parameters,
    // which a drill's requests pass) is left out by the state, not by another order of checks.
    const r = this.admissionRequest;
    r.route = request.route;
    r.clientKey = this.clientKeys[e.client] as string;
    r.accountId = e.client;
    r.params = request.params;
    r.arrivalMs = atMs;
    r.priority = request.priority;
    const d = decideAdmission(r, this.admission);
    if (d.kind === "refused") {
      e.reason = d.reason;
      e.retryAfterS = d.retryAfterS;
      this.respond(e);
      return;
    }
    e.atMs = d.dueMs;
    if (d.timedOut) {
      e.reason = "timeout";
      this.heap.push(e);
      return;
    }
    this.timeline.admittedOne(d.queueDepth);
    // A draw only for a share strictly between 0 and 1 (the trader's), as before behaviours.
    e.filled = request.fillShare >= 1 || (request.fillShare > 0 && this.arrivalsRandom() < request.fillShare);
    this.heap.push(e);
  }
}
