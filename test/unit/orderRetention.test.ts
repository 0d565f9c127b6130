import { describe, expect, it } from "vitest";
import { EXCHANGE_DEFAULTS, type ExchangeConfig } from "../../mock-exchange/defaults.ts";
import {
  isEngineError,
  MatchingEngine,
  type OrderRetention,
} from "../../mock-exchange/engine/matchingEngine.ts";
import { FinalOrderQueue, OrderIndex } from "../../mock-exchange/engine/orderIndex.ts";
import type { SymbolSpec } from "../../mock-exchange/engine/types.ts";
import { seededRandom } from "../../mock-exchange/random.ts";
import { Venue } from "../../mock-exchange/venue.ts";
import { heapSoakHours, runHeapSoak } from "../../scripts/benchHeap.ts";
import { placeOrder } from "../engineOrders.ts";

/**
 * Final orders leave the engine after Binance's Query Order horizons (3 days without a fill, 90
 * days otherwise, counted from creation), or past a cap of final orders held; open orders never
 * do, and no orderId is handed out twice (engine/orderStore.ts "Retention", engine/orderIndex.ts).
 */

const BTC: SymbolSpec = { symbol: "BTCUSDT", tickSize: "0.10", stepSize: "0.001", referencePriceTicks: 1000 };
const DAY_MS = 86_400_000;

function engine(retention: Partial<OrderRetention> = {}) {
  const clock = { t: 1_000_000 };
  const ex = new MatchingEngine({
    symbols: [BTC],
    now: () => clock.t,
    orderRetention: {
      unfilledMs: 3 * DAY_MS,
      filledMs: 90 * DAY_MS,
      maxFinalOrders: 1_000_000,
      ...retention,
    },
  });
  return { ex, clock };
}

const found = (ex: MatchingEngine, orderId: number, accountId = 1) =>
  !isEngineError(ex.getOrder(accountId, "BTCUSDT", { orderId }));

describe("OrderIndex", () => {
  it("gets, deletes and keeps long-lived entries found after the ring moved past them", () => {
    const index = new OrderIndex<{ id: number }>();
    for (let id = 1; id <= 50_000; id++) index.append(id, { id });
    expect(index.get(1)).toEqual({ id: 1 });
    expect(index.get(50_000)).toEqual({ id: 50_000 });
    expect(index.get(0)).toBeUndefined();
    expect(index.get(50_001)).toBeUndefined();
    // Everything but every 1000th leaves: the ring compacts and the survivors stay found.
    let deleted = 0;
    for (let id = 1; id <= 50_000; id++) if (id % 1000 !== 0 && index.delete(id)) deleted++;
    expect(deleted).toBe(49_950);
    expect(index.delete(5)).toBe(false);
    for (let id = 50_001; id <= 60_000; id++) index.append(id, { id });
    expect(index.size).toBe(50 + 10_000);
    const survivors: Array<{ id: number } | undefined> = [];
    for (let id = 1000; id <= 50_000; id += 1000) survivors.push(index.get(id));
    expect(survivors).toEqual(Array.from({ length: 50 }, (_, i) => ({ id: (i + 1) * 1000 })));
    expect(index.get(999)).toBeUndefined();
    expect(index.delete(1000)).toBe(true);
    expect(index.get(1000)).toBeUndefined();
    expect(index.size).toBe(49 + 10_000);
  });

  it("refuses an id out of sequence", () => {
    const index = new OrderIndex<object>();
    index.append(1, {});
    expect(() => index.append(3, {})).toThrow(/expected id 2/);
  });
});

describe("FinalOrderQueue", () => {
  it("is a FIFO across growth and wrap-around", () => {
    const q = new FinalOrderQueue();
    let next = 0;
    let pushed = 0;
    let wrong = 0;
    const check = () => {
      if (q.headForgetAtMs() !== next * 10 || q.headSeq() !== next || q.shift() !== next) wrong++;
      next++;
    };
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 3_000; i++) q.push(pushed, pushed * 10, pushed++);
      for (let i = 0; i < 2_500; i++) check();
    }
    expect(q.size).toBe(pushed - next);
    while (q.size > 0) check();
    expect(wrong).toBe(0);
    expect(q.headForgetAtMs()).toBe(Number.POSITIVE_INFINITY);
  });
});

describe("engine retention", () => {
  it("answers a final order up to its horizon and NO_SUCH_ORDER after, as for an unknown id", () => {
    const { ex, clock } = engine();
    const o = placeOrder(ex, {});
    clock.t += 60_000;
    ex.cancelOrder(1, "BTCUSDT", { orderId: o.orderId });
    clock.t = o.time + 3 * DAY_MS;
    expect(found(ex, o.orderId)).toBe(true);
    clock.t += 1;
    expect(ex.getOrder(1, "BTCUSDT", { orderId: o.orderId })).toEqual({ error: "NO_SUCH_ORDER" });
    expect(ex.cancelOrder(1, "BTCUSDT", { orderId: o.orderId })).toEqual({ error: "UNKNOWN_ORDER" });
    expect(ex.modifyOrder(1, "BTCUSDT", { orderId: o.orderId }, { priceTicks: 999, lots: 2 })).toEqual({
      error: "UNKNOWN_ORDER",
    });
    expect(ex.getOrder(1, "BTCUSDT", { clientOrderId: o.clientOrderId })).toEqual({ error: "NO_SUCH_ORDER" });
    // The next operation sweeps it out of memory.
    expect(ex.ordersHeld()).toBe(1);
    placeOrder(ex, { timeInForce: "IOC" });
    expect(ex.ordersHeld()).toBe(1);
  });

  it("keeps an order with a fill for the longer horizon, a cancelled partial fill included", () => {
    const { ex, clock } = engine();
    const maker = placeOrder(ex, { accountId: 2, side: "SELL", lots: 1 });
    const partial = placeOrder(ex, { lots: 3 });
    ex.cancelOrder(1, "BTCUSDT", { orderId: partial.orderId });
    const unfilled = placeOrder(ex, { priceTicks: 900 });
    ex.cancelOrder(1, "BTCUSDT", { orderId: unfilled.orderId });
    clock.t += 3 * DAY_MS + 1;
    expect(found(ex, unfilled.orderId)).toBe(false);
    expect(found(ex, partial.orderId)).toBe(true);
    expect(found(ex, maker.orderId, 2)).toBe(true);
    clock.t = partial.time + 90 * DAY_MS + 1;
    expect(found(ex, partial.orderId)).toBe(false);
    expect(found(ex, maker.orderId, 2)).toBe(false);
  });

  it("never forgets a resting order however old; cancelled past the horizon, it is gone at once", () => {
    const { ex, clock } = engine({ maxFinalOrders: 10 });
    const resting = placeOrder(ex, { priceTicks: 500 });
    const stop = placeOrder(ex, { type: "STOP_MARKET", side: "SELL", stopPriceTicks: 400, lots: 1 });
    // A thousand days of other orders coming and going, each operation sweeping.
    for (let day = 0; day < 1_000; day++) {
      clock.t += DAY_MS;
      const o = placeOrder(ex, { priceTicks: 600 });
      ex.cancelOrder(1, "BTCUSDT", { orderId: o.orderId });
    }
    expect(ex.ordersHeld()).toBeLessThanOrEqual(2 + 10);
    expect(found(ex, resting.orderId)).toBe(true);
    expect(found(ex, stop.orderId)).toBe(true);
    expect(ex.openOrders(1, "BTCUSDT").map((o) => o.orderId)).toEqual([resting.orderId, stop.orderId]);
    const cancelled = ex.cancelOrder(1, "BTCUSDT", { orderId: resting.orderId });
    expect(isEngineError(cancelled) ? cancelled.error : cancelled.status).toBe("CANCELED");
    // Binance counts the horizon from creation: an order created 1,000 days ago is not found once final.
    expect(found(ex, resting.orderId)).toBe(false);
  });

  it("holds at most maxFinalOrders final orders, forgetting the one that became final first", () => {
    const { ex } = engine({ maxFinalOrders: 3 });
    const ids = [1, 2, 3, 4, 5].map(() => placeOrder(ex, { priceTicks: 900 }).orderId);
    for (const i of [2, 0, 3, 1, 4]) ex.cancelOrder(1, "BTCUSDT", { orderId: ids[i] as number });
    expect(ids.map((id) => found(ex, id))).toEqual([false, true, false, true, true]);
    expect(ex.ordersHeld()).toBe(3);
  });

  it("never hands out an orderId twice, and forgotten ids stay unknown", () => {
    const { ex, clock } = engine({ unfilledMs: 1_000, maxFinalOrders: 2 });
    let last = 0;
    for (let i = 0; i < 5_000; i++) {
      clock.t += 7;
      const o = placeOrder(ex, { priceTicks: 900 + (i % 50), timeInForce: i % 3 === 0 ? "IOC" : "GTC" });
      expect(o.orderId).toBe(last + 1);
      last = o.orderId;
      if (i % 3 !== 0) ex.cancelOrder(1, "BTCUSDT", { orderId: o.orderId });
    }
    expect(ex.ordersHeld()).toBe(2);
    expect(found(ex, 1)).toBe(false);
    expect(ex.getOrder(1, "BTCUSDT", { clientOrderId: "stp-1" })).toEqual({ error: "NO_SUCH_ORDER" });
    expect(placeOrder(ex, {}).orderId).toBe(last + 1);
  });

  it("drops a forgotten order's clientOrderId, so the id is free and lookups find the newer order", () => {
    const { ex, clock } = engine({ unfilledMs: 1_000 });
    const first = placeOrder(ex, { clientOrderId: "mine" });
    ex.cancelOrder(1, "BTCUSDT", { orderId: first.orderId });
    clock.t += 1_001;
    expect(ex.getOrder(1, "BTCUSDT", { clientOrderId: "mine" })).toEqual({ error: "NO_SUCH_ORDER" });
    const second = placeOrder(ex, { clientOrderId: "mine" });
    const byCid = ex.getOrder(1, "BTCUSDT", { clientOrderId: "mine" });
    expect(isEngineError(byCid) ? byCid : byCid.orderId).toBe(second.orderId);
    expect(ex.ordersHeld()).toBe(1);
  });

  it("rejects a retention it cannot honour", () => {
    const bad = { unfilledMs: 0, filledMs: 1, maxFinalOrders: 1 };
    expect(() => new MatchingEngine({ symbols: [BTC], now: () => 0, orderRetention: bad })).toThrow(
      /retention/,
    );
  });

  it("stays bounded over a natural hour at 400 operations/s with a short horizon (soak)", () => {
    const { ex, clock } = engine({ unfilledMs: 60_000, filledMs: 300_000 });
    const random = seededRandom(3);
    const accounts = [1, 2, 3, 4, 5, 6, 7];
    const resting: RestingRef[] = [];
    const placedPerMinute: number[] = [];
    let placed = 0;
    let heldMax = 0;
    for (let s = 1; s <= 3_600; s++) {
      for (let k = 0; k < 400; k++) {
        clock.t += 2.5;
        if (soakOperation(ex, random, resting, accounts[k % accounts.length] as number, k)) placed++;
      }
      heldMax = Math.max(heldMax, ex.ordersHeld());
      if (s % 60 !== 0) continue;
      placedPerMinute.push(placed);
      // Held: the open orders, plus final ones created within the longer horizon (5 minutes).
      const open = accounts.reduce((n, a) => n + ex.openOrders(a, "BTCUSDT").length, 0);
      const recent = placed - (placedPerMinute.at(-7) ?? 0);
      expect(ex.ordersHeld()).toBeLessThanOrEqual(open + recent);
    }
    // 1.44M operations, ~650,000 orders: the engine never held more than a few minutes of them.
    expect(placed).toBeGreaterThan(600_000);
    expect(heldMax).toBeLessThan(placed / 8);
  });
});

type RestingRef = { id: number; accountId: number };

/**
 * One operation of the retention soak: place an order (one in five crosses: fills and rests what
 * is left; the rest waits to be cancelled), or cancel a random resting one. True when it placed.
 */
function soakOperation(
  ex: MatchingEngine,
  random: () => number,
  resting: RestingRef[],
  accountId: number,
  k: number,
): boolean {
  const r = random();
  if (r < 0.45 || resting.length === 0) {
    const side = random() < 0.5 ? "BUY" : "SELL";
    const cross = r < 0.09;
    const price = side === "BUY" ? (cross ? 1003 : 990) : cross ? 997 : 1010;
    const o = placeOrder(ex, { accountId, side, priceTicks: price, lots: 1 + (k % 4) });
    if (o.status === "NEW" || o.status === "PARTIALLY_FILLED") resting.push({ id: o.orderId, accountId });
    return true;
  }
  const i = Math.floor(random() * resting.length);
  const { id, accountId: owner } = resting[i] as RestingRef;
  resting[i] = resting[resting.length - 1] as RestingRef;
  resting.pop();
  ex.cancelOrder(owner, "BTCUSDT", { orderId: id });
  return false;
}

describe("venue retention", () => {
  const DEFAULT_RETENTION = EXCHANGE_DEFAULTS.orderRetention;

  it("uses Binance's horizons in natural time, compressed by the time scale (-2013, -2011, userTrades)", () => {
    let t = 1_000_000;
    const config: ExchangeConfig = { ...EXCHANGE_DEFAULTS, timeScale: 60, accounts: 2 };
    const venue = new Venue(config, () => t);
    const place = (side: "BUY" | "SELL", timeInForce: "GTC" | "IOC", priceTicks: number) =>
      venue.execute(
        {
          route: "newOrder",
          order: {
            accountId: 1,
            symbol: "BTCUSDT",
            side,
            type: "LIMIT",
            timeInForce,
            lots: 1,
            priceTicks,
            clientOrderId: "",
          },
        },
        1,
      );
    const idOf = (body: string) => (JSON.parse(body) as { orderId: number }).orderId;
    const resting = idOf(place("BUY", "GTC", 500_000).body);
    // Takes one lot off the house ladder: filled, with a trade in userTrades.
    const filled = idOf(place("BUY", "IOC", 600_010).body);
    venue.execute({ route: "cancelOrder", symbol: "BTCUSDT", orderId: resting, clientOrderId: undefined }, 1);
    const get = (orderId: number) =>
      venue.execute({ route: "getOrder", symbol: "BTCUSDT", orderId, clientOrderId: undefined }, 1);
    const trades = (orderId: number) =>
      venue.execute(
        {
          route: "userTrades",
          symbol: "BTCUSDT",
          query: { orderId, fromId: 1, limit: 10, oldestFirst: true },
        },
        1,
      ).body;
    // 3 natural days at x60 are 72 wall minutes.
    expect(DEFAULT_RETENTION.unfilledNaturalMs).toBe(3 * DAY_MS);
    t += (3 * DAY_MS) / 60;
    expect(get(resting).status).toBe(200);
    t += 1;
    expect(get(resting)).toEqual({ status: 400, body: '{"code":-2013,"msg":"Order does not exist."}' });
    expect(
      venue.execute(
        { route: "cancelOrder", symbol: "BTCUSDT", orderId: resting, clientOrderId: undefined },
        1,
      ),
    ).toEqual({ status: 400, body: '{"code":-2011,"msg":"Unknown order sent."}' });
    expect(get(filled).status).toBe(200);
    expect(JSON.parse(trades(filled))).toHaveLength(1);
    // 90 natural days at x60 are 36 wall hours.
    t += (90 * DAY_MS) / 60;
    expect(JSON.parse(get(filled).body)).toEqual({ code: -2013, msg: "Order does not exist." });
    expect(trades(filled)).toBe("[]");
  });

  it("holds at most the cap of final orders through a venue soak", () => {
    const config: ExchangeConfig = {
      ...EXCHANGE_DEFAULTS,
      orderRetention: { ...DEFAULT_RETENTION, maxFinalOrders: 2_000 },
    };
    const noGc = () => {};
    const result = runHeapSoak(0.03, noGc, () => {}, config);
    expect(result.ops).toBe(64_800);
    expect(result.byStatus["200"]).toBeGreaterThan(result.ops / 2);
    // Open orders: each client keeps at most 20 resting, the house ladder 200 per side and symbol.
    const open = config.accounts * 20 + config.makerLevels * 2 * config.symbols.length;
    for (const s of result.samples) expect(s.ordersHeld).toBeLessThanOrEqual(2_000 + open);
    expect(result.samples.at(-1)?.ordersHeld).toBeGreaterThan(2_000);
  });
});

describe("heap soak length", () => {
  it("is 6 natural hours unless STAMPEDE_HEAP_SOAK_HOURS says otherwise, and refuses nonsense", () => {
    expect(heapSoakHours({})).toBe(6);
    expect(heapSoakHours({ STAMPEDE_HEAP_SOAK_HOURS: " " })).toBe(6);
    expect(heapSoakHours({ STAMPEDE_HEAP_SOAK_HOURS: "0.25" })).toBe(0.25);
    for (const bad of ["0", "-1", "six", "Infinity"])
      expect(() => heapSoakHours({ STAMPEDE_HEAP_SOAK_HOURS: bad })).toThrow(/STAMPEDE_HEAP_SOAK_HOURS/);
  });
});
