import { describe, expect, it } from "vitest";
import { isEngineError, MatchingEngine } from "../../mock-exchange/engine/matchingEngine.ts";
import { type TradeQuery, TradeRing } from "../../mock-exchange/engine/tradeLog.ts";
import type { Order, PlaceOrderInput, SymbolSpec } from "../../mock-exchange/engine/types.ts";
import { placeOrder } from "../engineOrders.ts";

/**
 * The per-account fill history behind GET /fapi/v1/userTrades: a bounded ring per account and
 * symbol (engine/tradeLog.ts) filled by the engine on every fill, with Binance's query rules.
 */

const all = (limit = 1000): TradeQuery => ({ limit, oldestFirst: false });

function ring(ids: number[], capacity: number): TradeRing {
  const r = new TradeRing(capacity);
  // id, order (id % 3), price, lots, quote, realized, fee, time (10 x id), buyer (odd), maker (even)
  for (const id of ids)
    r.push(id, id % 3, 100 + id, 1, 100 + id, -id, 1, 10 * id, id % 2 === 1, id % 2 === 0);
  return r;
}

describe("TradeRing", () => {
  it("keeps the newest `capacity` records in order, growing then wrapping", () => {
    const r = ring([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20], 18);
    expect(r.size).toBe(18);
    expect(r.at(0)).toEqual({
      id: 3,
      orderId: 0,
      priceTicks: 103,
      lots: 1,
      quoteCash: 103,
      realizedCash: -3,
      commissionCash: 1,
      time: 30,
      buyer: true,
      maker: false,
    });
    expect(r.query(all()).map((t) => t.id)).toEqual([
      3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20,
    ]);
  });

  it("answers fromId, a window (oldest or newest first), limit and orderId", () => {
    const r = ring([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 100);
    const ids = (q: Partial<TradeQuery>) => r.query({ ...all(), ...q }).map((t) => t.id);
    expect(ids({ limit: 3 })).toEqual([8, 9, 10]);
    expect(ids({ fromId: 4, limit: 3 })).toEqual([4, 5, 6]);
    expect(ids({ startTime: 25, endTime: 70, oldestFirst: true, limit: 2 })).toEqual([3, 4]);
    expect(ids({ startTime: 25, endTime: 70, limit: 2 })).toEqual([6, 7]);
    expect(ids({ orderId: 1 })).toEqual([1, 4, 7, 10]);
    expect(ids({ orderId: 1, fromId: 5 })).toEqual([7, 10]);
    expect(ids({ startTime: 1000 })).toEqual([]);
  });
});

// tick 0.10 x lot 0.001 = 100 cash units (micro-USDT).
const BTC: SymbolSpec = { symbol: "BTCUSDT", tickSize: "0.10", stepSize: "0.001", referencePriceTicks: 1000 };
const ETH: SymbolSpec = { symbol: "ETHUSDT", tickSize: "0.01", stepSize: "0.001", referencePriceTicks: 2000 };

function setup(history: number) {
  let t = 5_000;
  const ex = new MatchingEngine({
    symbols: [BTC, ETH],
    now: () => (t += 10),
    tradeHistoryPerSymbol: history,
  });
  const place = (p: Partial<PlaceOrderInput>): Order => {
    return placeOrder(ex, p);
  };
  return { ex, place };
}

describe("MatchingEngine.userTrades", () => {
  it("records both sides of each fill with one id, fees, realised PnL and who was maker and buyer", () => {
    const { ex, place } = setup(1000);
    const ask1 = place({ accountId: 2, side: "SELL", lots: 3, priceTicks: 1000 });
    const ask2 = place({ accountId: 3, side: "SELL", lots: 2, priceTicks: 1001 });
    const buy = place({ accountId: 1, lots: 5, priceTicks: 1001 });
    const mine = ex.userTrades(1, "BTCUSDT", all());
    expect(mine.map((t) => [t.orderId, t.priceTicks, t.lots, t.buyer, t.maker])).toEqual([
      [buy.orderId, 1000, 3, true, false],
      [buy.orderId, 1001, 2, true, false],
    ]);
    const [first, second] = mine as [(typeof mine)[0], (typeof mine)[0]];
    // Taker fee 0.05% of 3 x 1000 x 100 = 300_000 units; the maker pays 0.02%.
    expect(first).toMatchObject({ quoteCash: 300_000, commissionCash: 150, realizedCash: 0 });
    expect(second.id).toBe(first.id + 1);
    const theirs = ex.userTrades(2, "BTCUSDT", all());
    expect(theirs).toEqual([
      {
        ...first,
        orderId: ask1.orderId,
        commissionCash: 60,
        buyer: false,
        maker: true,
      },
    ]);
    expect(ex.userTrades(3, "BTCUSDT", all()).map((t) => [t.id, t.orderId])).toEqual([
      [second.id, ask2.orderId],
    ]);
    // Closing realises PnL: account 1 sells 5 at 1010 against account 4's bid.
    place({ accountId: 4, lots: 5, priceTicks: 1010 });
    place({ accountId: 1, side: "SELL", lots: 5, priceTicks: 1010 });
    const close = ex.userTrades(1, "BTCUSDT", all()).at(-1);
    // Entry cost 3 x 1000 + 2 x 1001 = 5002; 5 x 1010 − 5002 = 48 ticks x lots = 4_800 units.
    expect(close).toMatchObject({ lots: 5, buyer: false, maker: false, realizedCash: 4_800 });
    // Per symbol, and nobody else's.
    expect(ex.userTrades(1, "ETHUSDT", all())).toEqual([]);
    expect(ex.userTrades(5, "BTCUSDT", all())).toEqual([]);
  });

  it("keeps at most the configured number per account and symbol, none when off", () => {
    const { ex, place } = setup(4);
    for (let i = 0; i < 10; i++) {
      place({ accountId: 2, side: "SELL", priceTicks: 1000 + i });
      place({ accountId: 1, priceTicks: 1000 + i });
    }
    const kept = ex.userTrades(1, "BTCUSDT", all());
    expect(kept.map((t) => t.priceTicks)).toEqual([1006, 1007, 1008, 1009]);
    const off = setup(0);
    off.place({ accountId: 2, side: "SELL" });
    off.place({ accountId: 1 });
    expect(off.ex.userTrades(1, "BTCUSDT", all())).toEqual([]);
  });

  it("records a liquidation order's fills as the account's trades", () => {
    const { ex, place } = setup(100);
    ex.createAccount(1, 5_000_000); // 5 USDT on 100 USDT of notional
    place({ accountId: 2, side: "SELL", lots: 1000, priceTicks: 1000 });
    place({ accountId: 1, lots: 1000, priceTicks: 1000 });
    // Liquidated at a mark of 954.3 or below (4.95 USDT after the fee); bankrupt at 951.
    place({ accountId: 3, lots: 2000, priceTicks: 954 }); // bids the liquidation sells into
    place({ accountId: 4, side: "SELL", priceTicks: 954 }); // trade at 954: mark 954
    expect(ex.positions(1, "BTCUSDT")[0]?.amountLots).toBe(0);
    const last = ex.userTrades(1, "BTCUSDT", all()).at(-1);
    const order = ex.getOrder(1, "BTCUSDT", { orderId: last?.orderId as number });
    expect(!isEngineError(order) && order.liquidation).toBe(true);
    expect(last).toMatchObject({ lots: 1000, priceTicks: 954, buyer: false, realizedCash: -46 * 1000 * 100 });
  });
});
