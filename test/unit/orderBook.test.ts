import { describe, expect, it } from "vitest";
import { isEngineError, MatchingEngine } from "../../mock-exchange/engine/matchingEngine.ts";
import { OrderBook } from "../../mock-exchange/engine/orderBook.ts";
import type { Fill, Order, PlaceOrderInput, Position, SymbolSpec } from "../../mock-exchange/engine/types.ts";
import { orderInput, restingOrder } from "../engineOrders.ts";

const BTC: SymbolSpec = { symbol: "BTCUSDT", tickSize: "0.10", stepSize: "0.001", referencePriceTicks: 1000 };
const ETH: SymbolSpec = { symbol: "ETHUSDT", tickSize: "0.01", stepSize: "0.01", referencePriceTicks: 500 };

function setup() {
  let t = 1_000;
  const clock = {
    set: (v: number) => {
      t = v;
    },
  };
  const ex = new MatchingEngine({ symbols: [BTC, ETH], now: () => t });
  return { ex, clock };
}

const input = orderInput;

function place(ex: MatchingEngine, p: Partial<PlaceOrderInput>): { order: Order; fills: readonly Fill[] } {
  const res = ex.placeOrder(input(p));
  if (isEngineError(res)) throw new Error(`unexpected ${res.error}`);
  // Snapshot: the engine returns live objects.
  return { order: { ...res.order }, fills: res.fills };
}

function order(ex: MatchingEngine, accountId: number, orderId: number, symbol = "BTCUSDT"): Order {
  const res = ex.getOrder(accountId, symbol, { orderId });
  if (isEngineError(res)) throw new Error(`unexpected ${res.error}`);
  return { ...res };
}

function position(ex: MatchingEngine, accountId: number, symbol = "BTCUSDT"): Position {
  const [p] = ex.positions(accountId, symbol);
  if (p === undefined) throw new Error("no position");
  return { ...p };
}

describe("price-time priority", () => {
  it("matches the best price first and trades at the maker's price", () => {
    const { ex } = setup();
    const a = place(ex, { accountId: 1, side: "SELL", priceTicks: 1002 });
    const b = place(ex, { accountId: 1, side: "SELL", priceTicks: 1001 });
    const c = place(ex, { accountId: 1, side: "SELL", priceTicks: 1003 });
    const t = place(ex, { accountId: 2, side: "BUY", priceTicks: 1005, lots: 2 });
    expect(t.fills.map((f) => [f.makerOrderId, f.priceTicks, f.lots])).toEqual([
      [b.order.orderId, 1001, 1],
      [a.order.orderId, 1002, 1],
    ]);
    expect(t.order.status).toBe("FILLED");
    expect(t.order.cumQuoteTicksLots).toBe(2003);
    expect(order(ex, 1, c.order.orderId).status).toBe("NEW");
    expect(ex.lastPriceTicks("BTCUSDT")).toBe(1002);
  });

  it("is FIFO within a level", () => {
    const { ex } = setup();
    const first = place(ex, { accountId: 1, side: "BUY", priceTicks: 999 });
    const second = place(ex, { accountId: 3, side: "BUY", priceTicks: 999 });
    const t = place(ex, { accountId: 2, side: "SELL", priceTicks: 999 });
    expect(t.fills).toHaveLength(1);
    expect(t.fills[0]?.makerOrderId).toBe(first.order.orderId);
    expect(order(ex, 1, first.order.orderId).status).toBe("FILLED");
    expect(order(ex, 3, second.order.orderId).status).toBe("NEW");
  });

  it("does not cross a limit: a BUY never pays above it, a SELL never sells below it", () => {
    const { ex } = setup();
    place(ex, { accountId: 1, side: "SELL", priceTicks: 1001 });
    place(ex, { accountId: 1, side: "BUY", priceTicks: 998 });
    const buy = place(ex, { accountId: 2, side: "BUY", priceTicks: 1000 });
    const sell = place(ex, { accountId: 2, side: "SELL", priceTicks: 1001 });
    expect(buy.fills).toEqual([]);
    expect(sell.fills).toEqual([]);
    expect(ex.depth("BTCUSDT", 10)).toMatchObject({
      bids: [
        [1000, 1],
        [998, 1],
      ],
      asks: [[1001, 2]],
    });
    // Crosses the 1000 bid only (998 is below the limit), at the maker's price.
    const cross = place(ex, { accountId: 3, side: "SELL", priceTicks: 999, lots: 2 });
    expect(cross.fills.map((f) => [f.priceTicks, f.lots])).toEqual([[1000, 1]]);
    expect(cross.order.status).toBe("PARTIALLY_FILLED");
    expect(ex.depth("BTCUSDT", 10)).toMatchObject({
      bids: [[998, 1]],
      asks: [
        [999, 1],
        [1001, 2],
      ],
    });
  });

  it("keeps the reference price until the first trade", () => {
    const { ex } = setup();
    expect(ex.lastPriceTicks("BTCUSDT")).toBe(1000);
    expect(ex.lastPriceTicks("ETHUSDT")).toBe(500);
  });
});

describe("partial fills", () => {
  it("partially fills a maker, which keeps its place and remaining lots", () => {
    const { ex, clock } = setup();
    const maker = place(ex, { accountId: 1, side: "SELL", priceTicks: 1000, lots: 5 });
    place(ex, { accountId: 1, side: "SELL", priceTicks: 1000, lots: 1 });
    clock.set(2_000);
    const t = place(ex, { accountId: 2, side: "BUY", priceTicks: 1000, lots: 3 });
    expect(t.order.status).toBe("FILLED");
    const m = order(ex, 1, maker.order.orderId);
    expect(m).toMatchObject({ status: "PARTIALLY_FILLED", executedLots: 3, time: 1_000, updateTime: 2_000 });
    expect(ex.depth("BTCUSDT", 5).asks).toEqual([[1000, 3]]);
    const t2 = place(ex, { accountId: 2, side: "BUY", priceTicks: 1000, lots: 2 });
    expect(t2.fills.map((f) => f.makerOrderId)).toEqual([maker.order.orderId]);
    expect(order(ex, 1, maker.order.orderId).status).toBe("FILLED");
  });

  it("rests the remainder of a partially filled GTC taker", () => {
    const { ex } = setup();
    place(ex, { accountId: 1, side: "SELL", priceTicks: 1000, lots: 2 });
    const t = place(ex, { accountId: 2, side: "BUY", priceTicks: 1001, lots: 5 });
    expect(t.order).toMatchObject({ status: "PARTIALLY_FILLED", executedLots: 2 });
    expect(ex.depth("BTCUSDT", 5)).toMatchObject({ bids: [[1001, 3]], asks: [] });
    expect(ex.openOrders(2).map((o) => o.orderId)).toEqual([t.order.orderId]);
    expect(ex.openOrders(1)).toEqual([]);
  });
});

describe("MARKET", () => {
  it("sweeps levels and expires the remainder on an empty side", () => {
    const { ex } = setup();
    place(ex, { accountId: 1, side: "BUY", priceTicks: 999, lots: 1 });
    place(ex, { accountId: 1, side: "BUY", priceTicks: 990, lots: 2 });
    place(ex, { accountId: 1, side: "BUY", priceTicks: 995, lots: 1 });
    const t = place(ex, { accountId: 2, side: "SELL", type: "MARKET", lots: 10, priceTicks: 0 });
    expect(t.fills.map((f) => [f.priceTicks, f.lots])).toEqual([
      [999, 1],
      [995, 1],
      [990, 2],
    ]);
    expect(t.order).toMatchObject({ status: "EXPIRED", executedLots: 4, priceTicks: 0 });
    expect(ex.depth("BTCUSDT", 5).bids).toEqual([]);
    expect(ex.openOrders(2)).toEqual([]);
  });

  it("expires with nothing filled on an empty book", () => {
    const { ex } = setup();
    const t = place(ex, { side: "BUY", type: "MARKET", lots: 3 });
    expect(t.order).toMatchObject({ status: "EXPIRED", executedLots: 0 });
    expect(t.fills).toEqual([]);
    expect(order(ex, 1, t.order.orderId).status).toBe("EXPIRED");
  });

  it("fills completely when the book is deep enough", () => {
    const { ex } = setup();
    place(ex, { accountId: 1, side: "SELL", priceTicks: 1010, lots: 5 });
    const t = place(ex, { accountId: 2, side: "BUY", type: "MARKET", lots: 3 });
    expect(t.order).toMatchObject({ status: "FILLED", executedLots: 3, cumQuoteTicksLots: 3030 });
  });
});

describe("time in force", () => {
  it("IOC fills what it can and expires the rest", () => {
    const { ex } = setup();
    place(ex, { accountId: 1, side: "SELL", priceTicks: 1000, lots: 2 });
    place(ex, { accountId: 1, side: "SELL", priceTicks: 1002, lots: 2 });
    const t = place(ex, { accountId: 2, side: "BUY", timeInForce: "IOC", priceTicks: 1001, lots: 5 });
    expect(t.order).toMatchObject({ status: "EXPIRED", executedLots: 2 });
    expect(ex.depth("BTCUSDT", 5)).toMatchObject({ bids: [], asks: [[1002, 2]] });
    const none = place(ex, { accountId: 2, side: "BUY", timeInForce: "IOC", priceTicks: 1001, lots: 1 });
    expect(none.order).toMatchObject({ status: "EXPIRED", executedLots: 0 });
  });

  it("FOK is all-or-nothing and a rejection changes nothing", () => {
    const { ex } = setup();
    place(ex, { accountId: 1, side: "SELL", priceTicks: 1000, lots: 2 });
    place(ex, { accountId: 1, side: "SELL", priceTicks: 1002, lots: 2 });
    const before = ex.depth("BTCUSDT", 5);
    expect(ex.placeOrder(input({ accountId: 2, timeInForce: "FOK", priceTicks: 1001, lots: 3 }))).toEqual({
      error: "FOK_NOT_FILLABLE",
    });
    expect(ex.depth("BTCUSDT", 5)).toEqual(before);
    expect(position(ex, 2).updateTime).toBe(0);
    const ok = place(ex, { accountId: 2, timeInForce: "FOK", priceTicks: 1002, lots: 3 });
    expect(ok.order).toMatchObject({ status: "FILLED", executedLots: 3 });
    // A rejected order consumes no id.
    expect(ok.order.orderId).toBe(3);
    expect(ex.placeOrder(input({ accountId: 2, type: "MARKET", timeInForce: "FOK", lots: 2 }))).toEqual({
      error: "FOK_NOT_FILLABLE",
    });
  });

  it("GTX rests when it would not take, and is rejected when it would", () => {
    const { ex } = setup();
    place(ex, { accountId: 1, side: "SELL", priceTicks: 1001 });
    const rests = place(ex, { accountId: 2, timeInForce: "GTX", priceTicks: 1000 });
    expect(rests.order.status).toBe("NEW");
    expect(rests.fills).toEqual([]);
    const before = ex.depth("BTCUSDT", 5);
    expect(ex.placeOrder(input({ accountId: 2, timeInForce: "GTX", priceTicks: 1001 }))).toEqual({
      error: "POST_ONLY_WOULD_TAKE",
    });
    expect(ex.depth("BTCUSDT", 5)).toEqual(before);
  });
});

describe("cancel and lookup", () => {
  it("cancels an own resting order, once", () => {
    const { ex, clock } = setup();
    const o = place(ex, { accountId: 1, side: "BUY", priceTicks: 990, lots: 4 });
    clock.set(5_000);
    const res = ex.cancelOrder(1, "BTCUSDT", { orderId: o.order.orderId });
    expect(res).toMatchObject({ status: "CANCELED", updateTime: 5_000, executedLots: 0 });
    expect(ex.depth("BTCUSDT", 5).bids).toEqual([]);
    expect(ex.openOrders(1)).toEqual([]);
    expect(ex.cancelOrder(1, "BTCUSDT", { orderId: o.order.orderId })).toEqual({ error: "UNKNOWN_ORDER" });
    expect(order(ex, 1, o.order.orderId).status).toBe("CANCELED");
  });

  it("cancels by clientOrderId and keeps the rest of the level intact", () => {
    const { ex } = setup();
    const a = place(ex, { accountId: 1, priceTicks: 990, clientOrderId: "a" });
    place(ex, { accountId: 1, priceTicks: 990, clientOrderId: "b" });
    const c = place(ex, { accountId: 1, priceTicks: 990, clientOrderId: "c" });
    expect(ex.cancelOrder(1, "BTCUSDT", { clientOrderId: "b" })).toMatchObject({ status: "CANCELED" });
    expect(ex.depth("BTCUSDT", 5).bids).toEqual([[990, 2]]);
    const t = place(ex, { accountId: 2, side: "SELL", type: "MARKET", lots: 2 });
    expect(t.fills.map((f) => f.makerOrderId)).toEqual([a.order.orderId, c.order.orderId]);
  });

  it("refuses to cancel another account's order, a filled one, or an unknown one", () => {
    const { ex } = setup();
    const o = place(ex, { accountId: 1, side: "SELL", priceTicks: 1001, lots: 1 });
    expect(ex.cancelOrder(2, "BTCUSDT", { orderId: o.order.orderId })).toEqual({ error: "UNKNOWN_ORDER" });
    expect(ex.cancelOrder(1, "ETHUSDT", { orderId: o.order.orderId })).toEqual({ error: "UNKNOWN_ORDER" });
    expect(ex.cancelOrder(1, "BTCUSDT", { orderId: 999 })).toEqual({ error: "UNKNOWN_ORDER" });
    expect(ex.cancelOrder(1, "BTCUSDT", {})).toEqual({ error: "UNKNOWN_ORDER" });
    place(ex, { accountId: 2, side: "BUY", priceTicks: 1001 });
    expect(ex.cancelOrder(1, "BTCUSDT", { orderId: o.order.orderId })).toEqual({ error: "UNKNOWN_ORDER" });
  });

  it("isolates getOrder between accounts", () => {
    const { ex } = setup();
    const o = place(ex, { accountId: 1, clientOrderId: "mine" });
    expect(ex.getOrder(2, "BTCUSDT", { orderId: o.order.orderId })).toEqual({ error: "NO_SUCH_ORDER" });
    expect(ex.getOrder(2, "BTCUSDT", { clientOrderId: "mine" })).toEqual({ error: "NO_SUCH_ORDER" });
    expect(ex.getOrder(1, "ETHUSDT", { orderId: o.order.orderId })).toEqual({ error: "NO_SUCH_ORDER" });
    expect(ex.getOrder(1, "NOPE", { orderId: o.order.orderId })).toEqual({ error: "NO_SUCH_ORDER" });
    expect(ex.getOrder(1, "BTCUSDT", { clientOrderId: "mine" })).toMatchObject({ orderId: o.order.orderId });
  });

  it("generates clientOrderIds and rejects one already used by an open order of the account", () => {
    const { ex } = setup();
    const gen = place(ex, {});
    expect(gen.order.clientOrderId).toBe(`stp-${gen.order.orderId}`);
    place(ex, { accountId: 1, clientOrderId: "x", priceTicks: 900 });
    expect(ex.placeOrder(input({ accountId: 1, clientOrderId: "x" }))).toEqual({
      error: "DUPLICATE_CLIENT_ORDER_ID",
    });
    // Another account, or once the first one is final, the id is free again.
    place(ex, { accountId: 2, clientOrderId: "x", priceTicks: 900 });
    ex.cancelOrder(1, "BTCUSDT", { clientOrderId: "x" });
    const again = place(ex, { accountId: 1, clientOrderId: "x", priceTicks: 901 });
    expect(ex.getOrder(1, "BTCUSDT", { clientOrderId: "x" })).toMatchObject({ orderId: again.order.orderId });
  });

  it("treats a generated clientOrderId like any other for lookups and duplicates", () => {
    const { ex } = setup();
    const gen = place(ex, { accountId: 1, priceTicks: 900 });
    const cid = gen.order.clientOrderId;
    expect(ex.getOrder(1, "BTCUSDT", { clientOrderId: cid })).toMatchObject({ orderId: gen.order.orderId });
    expect(ex.getOrder(2, "BTCUSDT", { clientOrderId: cid })).toEqual({ error: "NO_SUCH_ORDER" });
    expect(ex.getOrder(1, "ETHUSDT", { clientOrderId: cid })).toEqual({ error: "NO_SUCH_ORDER" });
    expect(ex.placeOrder(input({ accountId: 1, clientOrderId: cid }))).toEqual({
      error: "DUPLICATE_CLIENT_ORDER_ID",
    });
    // Lookalikes that are not some order's generated id are plain caller ids.
    expect(ex.getOrder(1, "BTCUSDT", { clientOrderId: "stp-01" })).toEqual({ error: "NO_SUCH_ORDER" });
    expect(ex.getOrder(1, "BTCUSDT", { clientOrderId: "stp-999" })).toEqual({ error: "NO_SUCH_ORDER" });
    ex.cancelOrder(1, "BTCUSDT", { clientOrderId: cid });
    const reuse = place(ex, { accountId: 1, clientOrderId: cid, priceTicks: 901 });
    expect(ex.getOrder(1, "BTCUSDT", { clientOrderId: cid })).toMatchObject({ orderId: reuse.order.orderId });
    expect(ex.getOrder(1, "BTCUSDT", { orderId: 0 })).toEqual({ error: "NO_SUCH_ORDER" });
    expect(ex.getOrder(1, "BTCUSDT", { orderId: 1.5 })).toEqual({ error: "NO_SUCH_ORDER" });
  });

  it("lists open orders per account and symbol in orderId order", () => {
    const { ex } = setup();
    const a = place(ex, { accountId: 1, symbol: "ETHUSDT", priceTicks: 400 });
    const b = place(ex, { accountId: 1, priceTicks: 900 });
    const c = place(ex, { accountId: 1, priceTicks: 901 });
    place(ex, { accountId: 2, priceTicks: 902 });
    expect(ex.openOrders(1, "BTCUSDT").map((o) => o.orderId)).toEqual([b.order.orderId, c.order.orderId]);
    expect(ex.openOrders(1).map((o) => o.orderId)).toEqual([
      b.order.orderId,
      c.order.orderId,
      a.order.orderId,
    ]);
    expect(ex.openOrders(3)).toEqual([]);
    expect(ex.openOrders(1, "NOPE")).toEqual([]);
  });
});

describe("positions", () => {
  it("opens, adds with a weighted entry, reduces realising PnL, and flips", () => {
    const { ex, clock } = setup();
    // Account 9 provides liquidity; account 1 is the one under test.
    place(ex, { accountId: 9, side: "SELL", priceTicks: 1000, lots: 2 });
    clock.set(2_000);
    place(ex, { accountId: 1, side: "BUY", priceTicks: 1000, lots: 2 });
    expect(position(ex, 1)).toEqual({
      symbol: "BTCUSDT",
      amountLots: 2,
      entryPriceTicks: 1000,
      realizedTicksLots: 0,
      updateTime: 2_000,
    });
    expect(position(ex, 9)).toMatchObject({ amountLots: -2, entryPriceTicks: 1000 });

    place(ex, { accountId: 9, side: "SELL", priceTicks: 1030, lots: 1 });
    place(ex, { accountId: 1, side: "BUY", priceTicks: 1030, lots: 1 });
    expect(position(ex, 1)).toMatchObject({ amountLots: 3, entryPriceTicks: 1010, realizedTicksLots: 0 });

    place(ex, { accountId: 9, side: "BUY", priceTicks: 1050, lots: 1 });
    place(ex, { accountId: 1, side: "SELL", priceTicks: 1050, lots: 1 });
    expect(position(ex, 1)).toMatchObject({ amountLots: 2, entryPriceTicks: 1010, realizedTicksLots: 40 });

    // Sell 5 from long 2: closes 2 at 990 (−20 each), opens a 3-lot short at 990.
    place(ex, { accountId: 9, side: "BUY", priceTicks: 990, lots: 5 });
    clock.set(3_000);
    place(ex, { accountId: 1, side: "SELL", priceTicks: 990, lots: 5 });
    expect(position(ex, 1)).toEqual({
      symbol: "BTCUSDT",
      amountLots: -3,
      entryPriceTicks: 990,
      realizedTicksLots: 0,
      updateTime: 3_000,
    });

    // Buying back a short below entry is a gain; flat resets the entry.
    place(ex, { accountId: 9, side: "SELL", priceTicks: 980, lots: 3 });
    place(ex, { accountId: 1, side: "BUY", type: "MARKET", lots: 3 });
    expect(position(ex, 1)).toMatchObject({ amountLots: 0, entryPriceTicks: 0, realizedTicksLots: 30 });
    expect(position(ex, 1).amountLots + position(ex, 9).amountLots).toBe(0);
  });

  it("reports one entry per symbol, flat ones included", () => {
    const { ex } = setup();
    expect(ex.positions(42)).toEqual([
      { symbol: "BTCUSDT", amountLots: 0, entryPriceTicks: 0, realizedTicksLots: 0, updateTime: 0 },
      { symbol: "ETHUSDT", amountLots: 0, entryPriceTicks: 0, realizedTicksLots: 0, updateTime: 0 },
    ]);
    expect(ex.positions(42, "ETHUSDT")).toHaveLength(1);
    expect(ex.positions(42, "NOPE")).toEqual([]);
  });

  it("nets a self-trade to nothing but still reports both sides", () => {
    const { ex, clock } = setup();
    const seen: Array<[number, Position]> = [];
    ex.onPositionChange((id, p) => seen.push([id, { ...p }]));
    place(ex, { accountId: 1, side: "SELL", priceTicks: 1000, lots: 2 });
    clock.set(4_000);
    const t = place(ex, { accountId: 1, side: "BUY", priceTicks: 1000, lots: 2 });
    expect(t.fills).toHaveLength(1);
    expect(position(ex, 1)).toMatchObject({ amountLots: 0, realizedTicksLots: 0, updateTime: 4_000 });
    expect(seen.map(([id]) => id)).toEqual([1, 1]);
  });

  it("calls listeners once per account side of each fill, in order", () => {
    const { ex } = setup();
    const seen: Array<[number, number]> = [];
    const seen2: number[] = [];
    ex.onPositionChange((id, p) => seen.push([id, p.amountLots]));
    ex.onPositionChange((id) => seen2.push(id));
    place(ex, { accountId: 1, side: "SELL", priceTicks: 1000, lots: 1 });
    place(ex, { accountId: 2, side: "SELL", priceTicks: 1001, lots: 1 });
    expect(seen).toEqual([]);
    place(ex, { accountId: 3, side: "BUY", priceTicks: 1001, lots: 2 });
    // Taker first, then the maker, fill by fill.
    expect(seen).toEqual([
      [3, 1],
      [1, -1],
      [3, 2],
      [2, -1],
    ]);
    expect(seen2).toEqual([3, 1, 3, 2]);
  });
});

describe("depth", () => {
  it("aggregates levels, best first, limited per side, and bumps lastUpdateId on changes", () => {
    const { ex } = setup();
    const d0 = ex.depth("BTCUSDT", 10).lastUpdateId;
    for (const [side, price, lots] of [
      ["BUY", 990, 1],
      ["BUY", 995, 2],
      ["BUY", 990, 3],
      ["BUY", 980, 1],
      ["SELL", 1010, 4],
      ["SELL", 1005, 1],
      ["SELL", 1010, 1],
    ] as const) {
      place(ex, { accountId: 1, side, priceTicks: price, lots });
    }
    const d1 = ex.depth("BTCUSDT", 2);
    expect(d1.bids).toEqual([
      [995, 2],
      [990, 4],
    ]);
    expect(d1.asks).toEqual([
      [1005, 1],
      [1010, 5],
    ]);
    expect(d1.lastUpdateId).toBeGreaterThan(d0);
    expect(ex.depth("BTCUSDT", 0)).toMatchObject({ bids: [], asks: [] });
    expect(ex.depth("BTCUSDT", 10).bids).toHaveLength(3);

    place(ex, { accountId: 2, side: "SELL", type: "MARKET", lots: 3 });
    const d2 = ex.depth("BTCUSDT", 10);
    expect(d2.bids).toEqual([
      [990, 3],
      [980, 1],
    ]);
    expect(d2.lastUpdateId).toBeGreaterThan(d1.lastUpdateId);
    // A rejected order does not touch the book.
    ex.placeOrder(input({ accountId: 2, side: "BUY", timeInForce: "GTX", priceTicks: 1005 }));
    expect(ex.depth("BTCUSDT", 10).lastUpdateId).toBe(d2.lastUpdateId);
    // Books are per symbol.
    expect(ex.depth("ETHUSDT", 10)).toEqual({ bids: [], asks: [], lastUpdateId: 0 });
  });
});

describe("OrderBook", () => {
  const mk = restingOrder;

  it("removes levels emptied by cancels from the middle of the side", () => {
    const book = new OrderBook("X", 100);
    for (let i = 1; i <= 5; i++) book.rest(mk(i, "SELL", 100 + i, i));
    expect(book.remove(3)?.orderId).toBe(3);
    expect(book.remove(3)).toBeUndefined();
    expect(book.depth(10).asks).toEqual([
      [101, 1],
      [102, 2],
      [104, 4],
      [105, 5],
    ]);
    expect(book.fillableLots("BUY", 104, 100)).toBe(7);
    expect(book.fillableLots("BUY", 1000, 2)).toBe(3);
    expect(book.wouldTake("BUY", 100)).toBe(false);
    expect(book.wouldTake("BUY", 101)).toBe(true);
    const fills: Fill[] = [];
    const taker = mk(9, "BUY", 104, 4);
    book.match(taker, 104, 7, fills);
    expect(fills.map((f) => [f.makerOrderId, f.lots])).toEqual([
      [1, 1],
      [2, 2],
      [4, 1],
    ]);
    expect(book.filledMakers.map((o) => o.orderId)).toEqual([1, 2]);
    expect(book.bestAsk()).toBe(104);
    expect(book.bestBid()).toBeUndefined();
    expect(book.restingCount).toBe(2);
  });
});
