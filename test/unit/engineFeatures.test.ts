import { describe, expect, it } from "vitest";
import {
  isEngineError,
  MatchingEngine,
  type MatchingEngineOptions,
} from "../../mock-exchange/engine/matchingEngine.ts";
import type { LiquidationEvent, Order, SymbolSpec } from "../../mock-exchange/engine/types.ts";
import { orderInput, placeOrder } from "../engineOrders.ts";

// tick 0.10 x lot 0.001 = 0.0001 USDT = 100 cash units (micro-USDT).
const BTC: SymbolSpec = {
  symbol: "BTCUSDT",
  tickSize: "0.10",
  stepSize: "0.001",
  referencePriceTicks: 1000,
  minNotional: "0.05", // 500 ticks x lots
};
const USDT = 1_000_000;

function setup(opts: Partial<MatchingEngineOptions> = {}) {
  let t = 1_000;
  const ex = new MatchingEngine({ symbols: [BTC], now: () => t, ...opts });
  return { ex, tick: (ms: number) => (t += ms) };
}

const input = orderInput;
const place = placeOrder;

function get(ex: MatchingEngine, accountId: number, orderId: number): Order {
  const o = ex.getOrder(accountId, "BTCUSDT", { orderId });
  if (isEngineError(o)) throw new Error(o.error);
  return { ...o };
}

const amount = (ex: MatchingEngine, a: number) => ex.positions(a, "BTCUSDT")[0]?.amountLots;

function conserved(ex: MatchingEngine): void {
  const l = ex.ledger();
  expect(l.wallets + l.unrealized + l.fees + l.insuranceFund).toBe(l.deposits);
}

describe("modifyOrder", () => {
  it("keeps priority on a quantity decrease at the same price, loses it on a price change or increase", () => {
    const { ex } = setup();
    const a = place(ex, { accountId: 1, lots: 5 });
    const b = place(ex, { accountId: 2, lots: 5 });
    expect(
      isEngineError(ex.modifyOrder(1, "BTCUSDT", { orderId: a.orderId }, { priceTicks: 1000, lots: 3 })),
    ).toBe(false);
    expect(ex.depth("BTCUSDT", 5).bids).toEqual([[1000, 8]]);
    // a still first: a sell of 3 fills a only.
    place(ex, { accountId: 3, side: "SELL", lots: 3, timeInForce: "IOC" });
    expect(get(ex, 1, a.orderId).status).toBe("FILLED");
    // Increase b: goes behind a new order c.
    const c = place(ex, { accountId: 3, lots: 1 });
    ex.modifyOrder(2, "BTCUSDT", { orderId: b.orderId }, { priceTicks: 1000, lots: 6 });
    const r = ex.submitOrder(input({ accountId: 4, side: "SELL", lots: 1, timeInForce: "IOC" }));
    expect(isEngineError(r) ? [] : r.fills.map((f) => f.makerOrderId)).toEqual([c.orderId]);
  });

  it("re-prices across the spread as a taker and rejects bad modifies", () => {
    const { ex } = setup();
    const ask = place(ex, { accountId: 2, side: "SELL", priceTicks: 1010, lots: 2 });
    const bid = place(ex, { accountId: 1, priceTicks: 1000, lots: 3 });
    const res = ex.modifyOrder(1, "BTCUSDT", { orderId: bid.orderId }, { priceTicks: 1010, lots: 3 });
    expect(isEngineError(res)).toBe(false);
    expect(get(ex, 2, ask.orderId).status).toBe("FILLED");
    expect(get(ex, 1, bid.orderId)).toMatchObject({
      status: "PARTIALLY_FILLED",
      executedLots: 2,
      priceTicks: 1010,
    });
    expect(ex.depth("BTCUSDT", 5)).toMatchObject({ bids: [[1010, 1]], asks: [] });
    expect(ex.modifyOrder(1, "BTCUSDT", { orderId: bid.orderId }, { priceTicks: 1010, lots: 2 })).toEqual({
      error: "MODIFY_NOT_ALLOWED",
    });
    expect(ex.modifyOrder(2, "BTCUSDT", { orderId: bid.orderId }, { priceTicks: 1010, lots: 9 })).toEqual({
      error: "UNKNOWN_ORDER",
    });
    expect(
      ex.modifyOrder(1, "BTCUSDT", { orderId: bid.orderId }, { priceTicks: 1010, lots: 0 + 0.0 }),
    ).toEqual({
      error: "MODIFY_NOT_ALLOWED",
    });
  });
});

describe("cancelAll, min notional, reduceOnly, closePosition", () => {
  it("cancels every open order of the account on the symbol, stops included", () => {
    const { ex } = setup();
    place(ex, { accountId: 1, priceTicks: 990 });
    place(ex, { accountId: 1, priceTicks: 991 });
    place(ex, { accountId: 1, type: "STOP_MARKET", stopPriceTicks: 1100 });
    place(ex, { accountId: 2, priceTicks: 992 });
    const canceled = ex.cancelAll(1, "BTCUSDT");
    expect(canceled.map((o) => o.status)).toEqual(["CANCELED", "CANCELED", "CANCELED"]);
    expect(ex.openOrders(1)).toEqual([]);
    expect(ex.depth("BTCUSDT", 5).bids).toEqual([[992, 1]]);
  });

  it("rejects orders below min notional (-4164) but not reduce-only ones", () => {
    const { ex } = setup();
    expect(ex.submitOrder(input({ priceTicks: 100, lots: 4 }))).toEqual({ error: "MIN_NOTIONAL" });
    expect(() => ex.placeOrder(input({ priceTicks: 100, lots: 4 }))).toThrow(/submitOrder/);
    place(ex, { priceTicks: 100, lots: 5 });
  });

  it("rejects reduce-only orders that would increase, clamps to the position and trims resting ones", () => {
    const { ex } = setup();
    expect(ex.submitOrder(input({ reduceOnly: true }))).toEqual({ error: "REDUCE_ONLY_REJECTED" });
    place(ex, { accountId: 2, side: "SELL", lots: 3 });
    place(ex, { accountId: 1, lots: 3 }); // account 1 long 3
    expect(ex.submitOrder(input({ accountId: 1, side: "BUY", reduceOnly: true }))).toEqual({
      error: "REDUCE_ONLY_REJECTED",
    });
    const ro = place(ex, { accountId: 1, side: "SELL", priceTicks: 1050, lots: 10, reduceOnly: true });
    expect(ro.origLots).toBe(3);
    // Position drops to 1 by another sell: the resting reduce-only order shrinks to 1.
    place(ex, { accountId: 3, lots: 2, priceTicks: 1001 });
    place(ex, { accountId: 1, side: "SELL", lots: 2, priceTicks: 1001 });
    expect(amount(ex, 1)).toBe(1);
    expect(get(ex, 1, ro.orderId).origLots).toBe(1);
    expect(ex.depth("BTCUSDT", 5).asks).toEqual([[1050, 1]]);
    conserved(ex);
  });

  it("closePosition stop closes the whole position when the mark reaches it", () => {
    const { ex } = setup();
    place(ex, { accountId: 2, side: "SELL", lots: 4 });
    place(ex, { accountId: 1, lots: 4 });
    expect(ex.submitOrder(input({ closePosition: true }))).toEqual({ error: "INVALID_ORDER" });
    expect(
      ex.submitOrder(
        input({ accountId: 1, side: "SELL", type: "STOP_MARKET", stopPriceTicks: 1000, closePosition: true }),
      ),
    ).toEqual({ error: "WOULD_IMMEDIATELY_TRIGGER" });
    const stop = place(ex, {
      accountId: 1,
      side: "SELL",
      type: "STOP_MARKET",
      stopPriceTicks: 995,
      closePosition: true,
    });
    place(ex, { accountId: 3, priceTicks: 990, lots: 10 }); // liquidity for the stop
    place(ex, { accountId: 4, priceTicks: 995, lots: 1 });
    place(ex, { accountId: 5, side: "SELL", priceTicks: 995, lots: 1 }); // trade at 995: mark 995
    expect(get(ex, 1, stop.orderId)).toMatchObject({ status: "FILLED", executedLots: 4 });
    expect(amount(ex, 1)).toBe(0);
    conserved(ex);
  });

  it("triggers stops in price-time order on mark moves, take-profit on the other side", () => {
    const { ex } = setup({ markMode: "median" });
    ex.setIndexPrice("BTCUSDT", 1000);
    place(ex, { accountId: 9, side: "SELL", priceTicks: 1100, lots: 1 });
    place(ex, { accountId: 9, side: "SELL", priceTicks: 1101, lots: 1 });
    const s2 = place(ex, { accountId: 1, type: "STOP_MARKET", stopPriceTicks: 1020 });
    const s1 = place(ex, { accountId: 2, type: "STOP_MARKET", stopPriceTicks: 1010 });
    const tp = place(ex, { accountId: 3, type: "TAKE_PROFIT_MARKET", stopPriceTicks: 990 });
    const tpSell = place(ex, {
      accountId: 3,
      side: "SELL",
      type: "TAKE_PROFIT_MARKET",
      stopPriceTicks: 1020,
    });
    // Index alone moves: median(index 1050, last 1000, 1050 + basis) = 1050 -> both buy stops.
    ex.setIndexPrice("BTCUSDT", 1050);
    expect(ex.markPriceTicks("BTCUSDT")).toBe(1050);
    expect(get(ex, 2, s1.orderId).status).toBe("FILLED");
    expect(get(ex, 1, s2.orderId).status).toBe("FILLED");
    // s1 (nearer stop, placed later) ran first and took the better ask.
    expect(get(ex, 2, s1.orderId).cumQuoteTicksLots).toBe(1100);
    expect(get(ex, 1, s2.orderId).cumQuoteTicksLots).toBe(1101);
    expect(get(ex, 3, tp.orderId).status).toBe("NEW");
    // Triggered too, but with no bids its market order expires.
    expect(get(ex, 3, tpSell.orderId).status).toBe("EXPIRED");
    expect(ex.openOrders(3).map((o) => o.orderId)).toEqual([tp.orderId]);
  });
});

describe("margin, fees, PnL", () => {
  it("charges maker/taker fees, realises PnL in cash, and conserves cash exactly", () => {
    const { ex } = setup();
    ex.createAccount(1, 1000 * USDT);
    ex.createAccount(2, 1000 * USDT);
    place(ex, { accountId: 2, side: "SELL", lots: 10, priceTicks: 1000 }); // maker
    place(ex, { accountId: 1, lots: 10, priceTicks: 1000 }); // taker
    // notional 10 x 1000 x 100 = 1_000_000 units = 1 USDT; taker 0.05% = 500, maker 0.02% = 200.
    expect(ex.account(1).wallet).toBe(1000 * USDT - 500);
    expect(ex.account(2).wallet).toBe(1000 * USDT - 200);
    place(ex, { accountId: 2, lots: 10, priceTicks: 1010 });
    place(ex, { accountId: 1, side: "SELL", lots: 10, priceTicks: 1010 });
    // Account 1 realised +10 ticks x 10 lots = 10_000 units; taker fee 505.
    expect(ex.account(1).wallet).toBe(1000 * USDT - 500 + 10_000 - 505);
    expect(ex.account(2).wallet).toBe(1000 * USDT - 200 - 10_000 - 202);
    expect(ex.ledger().fees).toBe(500 + 200 + 505 + 202);
    conserved(ex);
  });

  it("averages the entry, reports unrealised PnL from the mark, rejects orders beyond margin (-2019)", () => {
    const { ex } = setup();
    ex.createAccount(1, 10 * USDT); // 10 USDT at 20x: 200 USDT notional = 2_000_000 ticks x lots
    ex.createAccount(2, 1000 * USDT);
    place(ex, { accountId: 2, side: "SELL", lots: 100, priceTicks: 1000 });
    place(ex, { accountId: 2, side: "SELL", lots: 100, priceTicks: 1030 });
    place(ex, { accountId: 1, lots: 150, priceTicks: 1030 });
    expect(ex.positions(1, "BTCUSDT")[0]).toMatchObject({ amountLots: 150, entryPriceTicks: 1010 });
    expect(ex.account(1).unrealized).toBe((150 * 1030 - (100 * 1000 + 50 * 1030)) * 100);
    expect(ex.submitOrder(input({ accountId: 1, lots: 2000, priceTicks: 1000 }))).toEqual({
      error: "MARGIN_INSUFFICIENT",
    });
    // Reducing is always allowed.
    place(ex, { accountId: 1, side: "SELL", lots: 150, priceTicks: 1040 });
    ex.setLeverage(1, "BTCUSDT", 1);
    expect(ex.leverage(1, "BTCUSDT")).toBe(1);
    conserved(ex);
  });
});

describe("liquidation", () => {
  it("closes an account at 100% margin ratio, surplus to the insurance fund", () => {
    const { ex } = setup({ makerFeePpm: 0, takerFeePpm: 0 });
    const events: LiquidationEvent[] = [];
    ex.onLiquidation((e) => events.push({ ...e }));
    ex.createAccount(1, 5 * USDT); // 5 USDT margin
    ex.createAccount(2, 10_000 * USDT);
    place(ex, { accountId: 9, side: "SELL", lots: 1000, priceTicks: 1000 });
    place(ex, { accountId: 1, lots: 1000, priceTicks: 1000 }); // long 1 BTC-ish at 100 USDT notional
    place(ex, { accountId: 2, priceTicks: 955, lots: 1 });
    place(ex, { accountId: 2, priceTicks: 951, lots: 1001 }); // bids to absorb the liquidation
    // Mark 955: unrealised −45 x 1000 x 100 = −4.5 USDT, MB 0.5 USDT, maintenance 0.4% of
    // 95.5 USDT = 0.382: not yet.
    place(ex, { accountId: 4, side: "SELL", priceTicks: 955, lots: 1 });
    expect(amount(ex, 1)).toBe(1000);
    expect(ex.account(1).marginBalance).toBe(500_000);
    // At 951: MB 0.1 USDT < 0.3804 -> liquidated at 951, 0.1 USDT surplus to the fund.
    place(ex, { accountId: 4, side: "SELL", priceTicks: 951, lots: 1 });
    expect(amount(ex, 1)).toBe(0);
    expect(events[0]).toMatchObject({ kind: "LIQUIDATION", accountId: 1, side: "SELL", lots: 1000 });
    expect(ex.account(1).wallet).toBe(0);
    expect(ex.ledger().insuranceFund).toBe(100_000);
    conserved(ex);
  });

  it("auto-deleverages the highest-ranked opposite position when the book cannot take it", () => {
    const { ex } = setup({ makerFeePpm: 0, takerFeePpm: 0, markMode: "median" });
    const events: LiquidationEvent[] = [];
    ex.onLiquidation((e) => events.push({ ...e }));
    ex.setIndexPrice("BTCUSDT", 1000);
    ex.createAccount(1, 5 * USDT);
    ex.createAccount(2, 1000 * USDT);
    ex.createAccount(3, 1000 * USDT);
    ex.setLeverage(3, "BTCUSDT", 50);
    place(ex, { accountId: 2, side: "SELL", lots: 500, priceTicks: 1000 });
    place(ex, { accountId: 3, side: "SELL", lots: 500, priceTicks: 1000 });
    place(ex, { accountId: 1, lots: 1000, priceTicks: 1000 });
    // No bids at all: the index crash moves the mark, and nobody can buy.
    ex.setIndexPrice("BTCUSDT", 900);
    ex.setIndexPrice("BTCUSDT", 900);
    expect(amount(ex, 1)).toBe(0);
    // Both shorts equally profitable in %, account 3 has the higher leverage -> first.
    const adl = events.filter((e) => e.kind === "ADL");
    expect(adl[0]).toMatchObject({ accountId: 3, lots: 500 });
    expect(amount(ex, 3)).toBe(0);
    expect(amount(ex, 2)).toBe(0);
    conserved(ex);
  });
});
