import { describe, expect, it } from "vitest";
import { MatchingEngine } from "../../mock-exchange/engine/matchingEngine.ts";
import type { PlaceOrderInput, Side, SymbolSpec } from "../../mock-exchange/engine/types.ts";
import { placeOrder } from "../engineOrders.ts";

/**
 * engine.liquidationPriceTicks against the engine's own liquidation trigger: with the mark moved
 * (by a trade between two other accounts) to just before the computed price the account keeps its
 * position, to just past it the liquidation engine takes it. Cross margin over two symbols: the
 * other position is held at its mark.
 */

// tick 0.10 x lot 0.001 = 100 cash units (1e-6 USDT); ETH tick 0.01 x lot 0.001 = 10.
const BTC: SymbolSpec = { symbol: "BTCUSDT", tickSize: "0.10", stepSize: "0.001", referencePriceTicks: 1000 };
const ETH: SymbolSpec = { symbol: "ETHUSDT", tickSize: "0.01", stepSize: "0.001", referencePriceTicks: 2000 };
const USDT = 1_000_000;
const TRADER = 1;
const MAKER = 9; // unchecked: liquidity and the counterparty for auto-deleveraging
const MOVER_A = 7; // unchecked: their trades move the mark (markMode "last")
const MOVER_B = 8;

function submit(ex: MatchingEngine, p: Partial<PlaceOrderInput>): void {
  placeOrder(ex, { accountId: TRADER, ...p });
}

interface Case {
  name: string;
  balanceUsdt: number;
  side: Side;
  lots: number;
  leverage: number;
  /** A position on ETH too (the other side), held at its mark. */
  ethLots: number;
}

/** The trader's position opened against the maker, the book left empty. */
function open(c: Case): MatchingEngine {
  let t = 1_000;
  const ex = new MatchingEngine({ symbols: [BTC, ETH], now: () => (t += 1) });
  ex.createAccount(TRADER, c.balanceUsdt * USDT);
  ex.setLeverage(TRADER, "BTCUSDT", c.leverage);
  const other: Side = c.side === "BUY" ? "SELL" : "BUY";
  submit(ex, { accountId: MAKER, side: other, lots: c.lots, priceTicks: 1000 });
  submit(ex, { accountId: TRADER, side: c.side, lots: c.lots, priceTicks: 1000 });
  if (c.ethLots > 0) {
    submit(ex, { accountId: MAKER, symbol: "ETHUSDT", side: c.side, lots: c.ethLots, priceTicks: 2000 });
    submit(ex, { accountId: TRADER, symbol: "ETHUSDT", side: other, lots: c.ethLots, priceTicks: 2000 });
  }
  expect(ex.depth("BTCUSDT", 5)).toMatchObject({ bids: [], asks: [] });
  return ex;
}

/** One lot traded at `priceTicks` between two other accounts: the BTC mark moves there. */
function markTo(ex: MatchingEngine, priceTicks: number): void {
  submit(ex, { accountId: MOVER_A, side: "SELL", priceTicks });
  submit(ex, { accountId: MOVER_B, side: "BUY", priceTicks, timeInForce: "IOC" });
  expect(ex.markPriceTicks("BTCUSDT")).toBe(priceTicks);
}

const btcLots = (ex: MatchingEngine) => ex.positions(TRADER, "BTCUSDT")[0]?.amountLots ?? 0;

const CASES: Case[] = [
  { name: "long, BTC only", balanceUsdt: 50, side: "BUY", lots: 1000, leverage: 20, ethLots: 0 },
  { name: "short, BTC only", balanceUsdt: 30, side: "SELL", lots: 1000, leverage: 20, ethLots: 0 },
  { name: "long with an ETH short", balanceUsdt: 40, side: "BUY", lots: 700, leverage: 10, ethLots: 900 },
  { name: "short with an ETH long", balanceUsdt: 12.5, side: "SELL", lots: 300, leverage: 50, ethLots: 1200 },
];

describe("liquidationPriceTicks", () => {
  for (const c of CASES) {
    it(`${c.name}: liquidated just past it, not just before (one tick)`, () => {
      const lp = open(c).liquidationPriceTicks(TRADER, "BTCUSDT");
      const long = c.side === "BUY";
      expect(lp).toBeGreaterThan(0);
      // The price is on the losing side of the entry (1000 ticks).
      expect(long ? lp < 1000 : lp > 1000).toBe(true);
      const before = long ? Math.floor(lp) + 1 : Math.ceil(lp) - 1;
      const past = long ? Math.floor(lp) : Math.ceil(lp);

      const held = open(c);
      markTo(held, before);
      expect(btcLots(held)).toBe(long ? c.lots : -c.lots);
      const a = held.account(TRADER);
      expect(a.marginBalance).toBeGreaterThan(a.maintenanceMargin);

      const taken = open(c);
      markTo(taken, past);
      expect(btcLots(taken)).toBe(0);
    });
  }

  it("moves with the other symbol's mark: an ETH loss brings a BTC long's price up", () => {
    const c = CASES[2] as Case; // long BTC, short ETH
    const ex = open(c);
    const before = ex.liquidationPriceTicks(TRADER, "BTCUSDT");
    // ETH up 5%: the ETH short loses, so BTC need not fall as far.
    submit(ex, { accountId: MOVER_A, symbol: "ETHUSDT", side: "SELL", priceTicks: 2100 });
    submit(ex, { accountId: MOVER_B, symbol: "ETHUSDT", side: "BUY", priceTicks: 2100, timeInForce: "IOC" });
    const after = ex.liquidationPriceTicks(TRADER, "BTCUSDT");
    // d(price) = (ETH loss + its higher maintenance) / (c·a·(1 − m)):
    // (100 ticks x 900 lots x 10 + 0.4% of 100 x 900 x 10) / (100 x 700 x 0.996).
    expect(after - before).toBeCloseTo((900_000 + 3_600) / (100 * 700 * 0.996), 6);
  });

  it("is 0 when flat, for an unchecked account, and for a long its margin fully covers", () => {
    const ex = open(CASES[0] as Case);
    expect(ex.liquidationPriceTicks(TRADER, "ETHUSDT")).toBe(0);
    expect(ex.liquidationPriceTicks(MAKER, "BTCUSDT")).toBe(0);
    const covered = open({ ...(CASES[0] as Case), balanceUsdt: 1_000 });
    expect(covered.liquidationPriceTicks(TRADER, "BTCUSDT")).toBe(0);
  });
});
