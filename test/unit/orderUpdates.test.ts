import { describe, expect, it } from "vitest";
import { MatchingEngine } from "../../mock-exchange/engine/matchingEngine.ts";
import type { ExecutionType, PlaceOrderInput, SymbolSpec } from "../../mock-exchange/engine/types.ts";
import { placeOrder } from "../engineOrders.ts";

/**
 * The engine's order-update hook (the user data stream's ORDER_TRADE_UPDATE source): each order's
 * NEW, TRADE per fill with the running totals, EXPIRED / CANCELED / AMENDMENT, in the order they
 * happen, with fees and realised PnL that add up to the ledger's.
 */

// tick 0.10 x lot 0.001 = 100 cash units.
const BTC: SymbolSpec = { symbol: "BTCUSDT", tickSize: "0.10", stepSize: "0.001", referencePriceTicks: 1000 };

interface Seen {
  type: ExecutionType;
  orderId: number;
  accountId: number;
  status: string;
  tradeId?: number;
  lots?: number;
  executedLots?: number;
  cumQuote?: number;
  maker?: boolean;
  fee?: number;
  realized?: number;
}

function setup() {
  let t = 1_000;
  const ex = new MatchingEngine({ symbols: [BTC], now: () => t });
  const seen: Seen[] = [];
  ex.onOrderUpdate((type, order, fill) => {
    const row: Seen = { type, orderId: order.orderId, accountId: order.accountId, status: order.status };
    if (fill !== undefined) {
      row.tradeId = fill.tradeId;
      row.lots = fill.lots;
      row.executedLots = fill.executedLots;
      row.cumQuote = fill.cumQuoteTicksLots;
      row.maker = fill.maker;
      row.fee = fill.feeCash;
      row.realized = fill.realizedCash;
    }
    seen.push(row);
  });
  const place = (p: Partial<PlaceOrderInput>) => {
    return placeOrder(ex, p).orderId;
  };
  return { ex, seen, place, tick: (ms: number) => (t += ms) };
}

describe("order updates", () => {
  it("reports NEW, each fill with the running totals, then the expired remainder", () => {
    const { seen, place } = setup();
    const a = place({ accountId: 2, side: "SELL", lots: 1, priceTicks: 1000 });
    const b = place({ accountId: 2, side: "SELL", lots: 2, priceTicks: 1001 });
    seen.length = 0;
    const taker = place({ accountId: 1, timeInForce: "IOC", lots: 5, priceTicks: 1001 });
    expect(seen).toEqual([
      { type: "NEW", orderId: taker, accountId: 1, status: "NEW" },
      {
        type: "TRADE",
        orderId: taker,
        accountId: 1,
        status: "EXPIRED",
        tradeId: 1,
        lots: 1,
        executedLots: 1,
        cumQuote: 1000,
        maker: false,
        fee: 50, // 0.05% of 1 x 1000 x 100
        realized: 0,
      },
      {
        type: "TRADE",
        orderId: a,
        accountId: 2,
        status: "FILLED",
        tradeId: 1,
        lots: 1,
        executedLots: 1,
        cumQuote: 1000,
        maker: true,
        fee: 20,
        realized: 0,
      },
      expect.objectContaining({ type: "TRADE", orderId: taker, tradeId: 2, executedLots: 3, cumQuote: 3002 }),
      expect.objectContaining({ type: "TRADE", orderId: b, tradeId: 2, executedLots: 2, maker: true }),
      { type: "EXPIRED", orderId: taker, accountId: 1, status: "EXPIRED" },
    ]);
  });

  it("reports cancels, amendments and realised PnL that match the ledger", () => {
    const { ex, seen, place } = setup();
    const resting = place({ accountId: 3, lots: 4, priceTicks: 990 });
    ex.modifyOrder(3, "BTCUSDT", { orderId: resting }, { priceTicks: 990, lots: 3 });
    place({ accountId: 2, side: "SELL", lots: 3, priceTicks: 1000 });
    place({ accountId: 1, lots: 3, priceTicks: 1000 });
    // Account 1 closes its 3 lots bought at 1000 into account 3's bid at 990: −10 ticks x 3 lots.
    place({ accountId: 1, side: "SELL", timeInForce: "IOC", lots: 3, priceTicks: 990 });
    const other = place({ accountId: 1, lots: 1, priceTicks: 900 });
    ex.cancelOrder(1, "BTCUSDT", { orderId: other });

    expect(seen.filter((s) => s.orderId === resting).map((s) => s.type)).toEqual([
      "NEW",
      "AMENDMENT",
      "TRADE",
    ]);
    expect(seen.filter((s) => s.orderId === other).map((s) => [s.type, s.status])).toEqual([
      ["NEW", "NEW"],
      ["CANCELED", "CANCELED"],
    ]);
    const mine = seen.filter((s) => s.accountId === 1 && s.type === "TRADE");
    expect(mine.reduce((sum, s) => sum + (s.realized as number), 0)).toBe(-10 * 3 * 100);
    const fees = seen.filter((s) => s.type === "TRADE").reduce((sum, s) => sum + (s.fee as number), 0);
    expect(fees).toBe(ex.ledger().fees);
  });
});
