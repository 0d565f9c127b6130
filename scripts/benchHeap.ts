import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { closeCapacitySecond } from "../mock-exchange/capacity/model.ts";
import { EXCHANGE_DEFAULTS, type ExchangeConfig } from "../mock-exchange/defaults.ts";
import type { Side } from "../mock-exchange/engine/types.ts";
import { type Random, seededRandom } from "../mock-exchange/random.ts";
import { type ParsedRequest, Venue } from "../mock-exchange/venue.ts";
import type { Benchmark, BenchResult } from "./bench.ts";
import { MB } from "./benchSoak.ts";
import { round } from "./round.ts";

/**
 * `engine_heap_mb_6h_600ops`: the venue's heap after a soak of 6 natural hours at 600 order
 * operations per second (12.96M), played in-process on a fake clock through `Venue.execute`, so
 * the engine, the timeline (closed every second as the server's tick does), the read replica and
 * everything else the venue keeps count. The mix is a trading day's: passive orders that rest
 * and are cancelled or modified, takers that fill against the house ladder and the clients'
 * orders, queries of recent orders and a few of orders hours old, openOrders and userTrades.
 * Heap is read after a forced full GC (`--expose-gc` set at run time), so it is what the venue
 * retains, not garbage waiting for a collection.
 */

export const HEAP_SOAK = {
  hours: 6,
  opsPerS: 600,
  seed: 1,
  /** Heap samples (each after a full GC), natural seconds apart. */
  sampleEveryS: 600,
  /** A client keeps at most this many resting orders; past it, it cancels its oldest instead. */
  maxRestingPerAccount: 20,
  /** Orders hours old that clients look up (answered -2013 once the venue has let them go). */
  oldQueryAgeMinS: 3_600,
} as const;

/** Soak length from `STAMPEDE_HEAP_SOAK_HOURS` (a positive number, fractions allowed); unset = 6. */
export function heapSoakHours(env: Record<string, string | undefined>): number {
  const raw = env.STAMPEDE_HEAP_SOAK_HOURS;
  if (raw === undefined || raw.trim() === "") return HEAP_SOAK.hours;
  const hours = Number(raw);
  if (!Number.isFinite(hours) || hours <= 0)
    throw new Error(
      `STAMPEDE_HEAP_SOAK_HOURS must be a positive number of hours, got ${JSON.stringify(raw)}`,
    );
  return hours;
}

export interface HeapSample {
  /** Natural seconds since the start. */
  atS: number;
  heapMb: number;
  /** Orders the engine holds, open and final. */
  ordersHeld: number;
}

export interface HeapSoakResult {
  hours: number;
  ops: number;
  samples: HeapSample[];
  /** Responses by HTTP status ("skipped": a step with nothing to query yet), to show the mix did what it says. */
  byStatus: Record<string, number>;
  fills: number;
  wallS: number;
}

/** One client's view: the ids of its orders it believes are resting, oldest first. */
interface Client {
  resting: number[];
  lastOrderId: number;
}

const SYMBOL = "BTCUSDT";

/**
 * Runs the soak: `hours` natural hours at `opsPerS` on a fake clock (time scale 1: wall = natural),
 * heap sampled every `sampleEveryS` after `gc()`. `log` gets one line per sample.
 */
export function runHeapSoak(
  hours: number,
  gc: () => void,
  log: (line: string) => void,
  config: ExchangeConfig = EXCHANGE_DEFAULTS,
): HeapSoakResult {
  const began = process.hrtime.bigint();
  let nowMs = Date.UTC(2026, 0, 1);
  const venue = new Venue({ ...config, timeScale: 1 }, () => nowMs);
  const random = seededRandom(HEAP_SOAK.seed);
  const clients: Client[] = venue.accounts.map(() => ({ resting: [], lastOrderId: 0 }));
  // One order id per natural minute, for the queries of old orders: 360 numbers for 6 hours.
  const history: number[] = [];
  const byStatus: Record<string, number> = {};
  const samples: HeapSample[] = [];
  let fills = 0;
  // Two position changes per fill (taker and maker).
  venue.engine.onPositionChange(() => {
    fills += 0.5;
  });
  let ops = 0;
  const seconds = Math.round(hours * 3_600);
  const sample = (atS: number) => {
    gc();
    const heapMb = process.memoryUsage().heapUsed / MB;
    const ordersHeld = venue.engine.ordersHeld();
    samples.push({ atS, heapMb, ordersHeld });
    log(
      `heap soak: ${(atS / 3_600).toFixed(2)}/${hours} h  heap ${heapMb.toFixed(1)} MB  orders held ${ordersHeld}  ops ${ops}`,
    );
  };
  sample(0);
  for (let s = 0; s < seconds; s++) {
    const secondStartMs = venue.originMs + s * 1000;
    for (let k = 0; k < HEAP_SOAK.opsPerS; k++) {
      nowMs = secondStartMs + Math.floor((k * 1000) / HEAP_SOAK.opsPerS);
      const accountIndex = Math.floor(random() * clients.length);
      const code = step(venue, random, clients, accountIndex, history, s);
      const key = code === 0 ? "skipped" : String(code);
      byStatus[key] = (byStatus[key] ?? 0) + 1;
      ops++;
    }
    // The server's shared tick: close the wall second, move the market path.
    nowMs = secondStartMs + 1000;
    venue.timeline.closeSecond(s, closeCapacitySecond(venue.capacity, venue.replica, nowMs, s));
    venue.advanceMarket(nowMs);
    if (s % 60 === 0) history.push((clients[0] as Client).lastOrderId);
    if ((s + 1) % HEAP_SOAK.sampleEveryS === 0 || s + 1 === seconds) sample(s + 1);
  }
  return {
    hours,
    ops,
    samples,
    byStatus,
    fills,
    wallS: Number(process.hrtime.bigint() - began) / 1e9,
  };
}

/** What one operation of a client needs: the venue, its account, the mid and the random source. */
interface StepContext {
  run: (req: ParsedRequest) => { status: number; body: string };
  client: Client;
  accountId: number;
  mid: number;
  random: Random;
}

/** A price 1 to 20 ticks behind the touch, so the order rests. */
function passivePrice(ctx: StepContext, side: Side): number {
  const away = 1 + Math.floor(ctx.random() * 20);
  return side === "BUY" ? ctx.mid - away : ctx.mid + away;
}

function byId(ctx: StepContext, route: "cancelOrder" | "getOrder", orderId: number): number {
  return ctx.run({ route, symbol: SYMBOL, orderId, clientOrderId: undefined }).status;
}

/** A resting LIMIT order (or, past the client's cap, a cancel of its oldest). */
function placeResting(ctx: StepContext, side: Side, lots: number): number {
  const { client, accountId } = ctx;
  if (client.resting.length >= HEAP_SOAK.maxRestingPerAccount)
    return byId(ctx, "cancelOrder", Math.abs(client.resting.shift() as number));
  const order = { accountId, symbol: SYMBOL, side, type: "LIMIT" as const, timeInForce: "GTC" as const };
  const out = ctx.run({
    route: "newOrder",
    order: { ...order, lots, priceTicks: passivePrice(ctx, side), clientOrderId: "" },
  });
  if (out.status === 200) {
    const id = orderIdOf(out.body);
    client.lastOrderId = id;
    if (isOpen(out.body)) client.resting.push(side === "BUY" ? id : -id);
  }
  return out.status;
}

/** Cancel or modify a random resting order (as the client believes: it may have filled since). */
function touchResting(ctx: StepContext, cancel: boolean, lots: number): number {
  const resting = ctx.client.resting;
  const i = Math.floor(ctx.random() * resting.length);
  const signed = resting[i] as number;
  resting[i] = resting[resting.length - 1] as number;
  resting.pop();
  const orderId = Math.abs(signed);
  if (cancel) return byId(ctx, "cancelOrder", orderId);
  const side: Side = signed > 0 ? "BUY" : "SELL";
  const out = ctx.run({
    route: "modifyOrder",
    symbol: SYMBOL,
    side,
    lots,
    priceTicks: passivePrice(ctx, side),
    orderId,
    clientOrderId: undefined,
  });
  if (out.status === 200 && isOpen(out.body)) resting.push(signed);
  return out.status;
}

/** A taker a few ticks through the touch: fills against the house ladder and clients' orders. */
function takeThrough(ctx: StepContext, side: Side): number {
  const out = ctx.run({
    route: "newOrder",
    order: {
      accountId: ctx.accountId,
      symbol: SYMBOL,
      side,
      type: ctx.random() < 0.5 ? "MARKET" : "LIMIT",
      timeInForce: "IOC",
      lots: 1 + Math.floor(ctx.random() * 5),
      priceTicks: side === "BUY" ? ctx.mid + 5 : ctx.mid - 5,
      clientOrderId: "",
    },
  });
  if (out.status === 200) ctx.client.lastOrderId = orderIdOf(out.body);
  return out.status;
}

/** An order one to three hours old, usually another client's: -2013 either way. */
function queryOld(ctx: StepContext, history: number[], second: number): number {
  const minutesBack = HEAP_SOAK.oldQueryAgeMinS / 60 + Math.floor(ctx.random() * 120);
  const id = history[Math.floor(second / 60) - minutesBack];
  return id === undefined || id === 0 ? 0 : byId(ctx, "getOrder", id);
}

/** One client operation through the venue; its HTTP status, 0 when it had nothing to do (no order of its own yet). */
function step(
  venue: Venue,
  random: Random,
  clients: Client[],
  accountIndex: number,
  history: number[],
  second: number,
): number {
  const accountId = (venue.accounts[accountIndex] as { accountId: number }).accountId;
  const ctx: StepContext = {
    run: (req) => venue.execute(req, accountId),
    client: clients[accountIndex] as Client,
    accountId,
    mid: venue.engine.lastPriceTicks(SYMBOL),
    random,
  };
  const side: Side = random() < 0.5 ? "BUY" : "SELL";
  const lots = 1 + Math.floor(random() * 10);
  const r = random();
  if (r < 0.35 || (r < 0.7 && ctx.client.resting.length === 0)) return placeResting(ctx, side, lots);
  if (r < 0.7) return touchResting(ctx, r < 0.55, lots);
  if (r < 0.85) return takeThrough(ctx, side);
  if (r < 0.95) return ctx.client.lastOrderId === 0 ? 0 : byId(ctx, "getOrder", ctx.client.lastOrderId);
  if (r < 0.97) return queryOld(ctx, history, second);
  if (r < 0.99) return ctx.run({ route: "openOrders", symbol: SYMBOL }).status;
  return ctx.run({ route: "userTrades", symbol: SYMBOL, query: { limit: 50, oldestFirst: false } }).status;
}

/** The orderId of an order response (Venue.orderJson starts with it). */
function orderIdOf(body: string): number {
  return Number(body.slice(11, body.indexOf(",")));
}

function isOpen(body: string): boolean {
  return body.includes('"status":"NEW"') || body.includes('"status":"PARTIALLY_FILLED"');
}

/** global.gc without starting node with --expose-gc: the flag set at run time, gc taken from a fresh context. */
export function exposeGc(): () => void {
  setFlagsFromString("--expose-gc");
  return runInNewContext("gc") as () => void;
}

export const HEAP_SOAK_BENCHMARK: Benchmark = {
  name: "engine_heap_mb_6h_600ops",
  description: `Heap (MB, after a full GC) of a venue (Venue.execute, defaults, time scale 1) after ${HEAP_SOAK.hours} natural hours at ${HEAP_SOAK.opsPerS} order operations/s on a fake clock (passive orders cancelled or modified, IOC/MARKET takers, queries of recent and hours-old orders, openOrders, userTrades; the timeline closed every second); STAMPEDE_HEAP_SOAK_HOURS shortens it (the unit then says so); also the heap at 1 h and the largest sample (every ${HEAP_SOAK.sampleEveryS} s)`,
  async run(): Promise<BenchResult[]> {
    const hours = heapSoakHours(process.env);
    const m = runHeapSoak(hours, exposeGc(), (line) => process.stderr.write(`${line}\n`));
    const last = m.samples[m.samples.length - 1] as HeapSample;
    const atHour = m.samples.find((x) => x.atS === 3_600);
    const unit = hours === HEAP_SOAK.hours ? "MB" : `MB after ${hours} h`;
    const out: BenchResult[] = [
      { name: "engine_heap_mb_6h_600ops", value: round(last.heapMb, 1), unit },
      {
        name: "engine_heap_mb_6h_600ops_max",
        value: round(Math.max(...m.samples.map((x) => x.heapMb)), 1),
        unit,
      },
      {
        name: "engine_heap_mb_6h_600ops_start",
        value: round((m.samples[0] as HeapSample).heapMb, 1),
        unit: "MB",
      },
    ];
    if (atHour !== undefined)
      out.push({ name: "engine_heap_mb_1h_600ops", value: round(atHour.heapMb, 1), unit: "MB" });
    out.push(
      { name: "engine_heap_soak_ops", value: m.ops, unit: "operations" },
      { name: "engine_heap_soak_fills", value: m.fills, unit: "fills" },
      { name: "engine_heap_soak_wall_s", value: round(m.wallS, 1), unit: "s" },
    );
    out.push({ name: "engine_heap_soak_orders_held", value: last.ordersHeld, unit: "orders" });
    for (const [status, count] of Object.entries(m.byStatus).sort())
      out.push({ name: `engine_heap_soak_status_${status}`, value: count, unit: "responses" });
    return out;
  },
};
