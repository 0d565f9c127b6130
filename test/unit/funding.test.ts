import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  FundingClock,
  type FundingRule,
  fundingRateE8,
  premiumIndex,
} from "../../mock-exchange/engine/funding.ts";
import { isEngineError, MatchingEngine } from "../../mock-exchange/engine/matchingEngine.ts";
import { OrderBook } from "../../mock-exchange/engine/orderBook.ts";
import type { PlaceOrderInput, SymbolSpec } from "../../mock-exchange/engine/types.ts";
import { restingOrder } from "../engineOrders.ts";

/**
 * Funding (engine/funding.ts and MatchingEngine.settleFunding) against Binance USDⓈ-M's published
 * formula: premium from the impact prices, time-weighted average over the interval,
 * F = P + clamp(0.01% − P, ±0.05%) capped at ±0.75%, longs pay shorts at the mark; cash conserved.
 */

const RULE: FundingRule = { interestE8: 10_000, clampE8: 50_000, capE8: 750_000 };

describe("premium index and funding rate", () => {
  it("takes the impact bid above the index or the impact ask below it, nothing inside", () => {
    expect(premiumIndex(1010, 1020, 1000)).toBeCloseTo(0.01, 12);
    expect(premiumIndex(980, 990, 1000)).toBeCloseTo(-0.01, 12);
    expect(premiumIndex(990, 1010, 1000)).toBe(0);
    // An empty side has no impact price: its term is 0.
    expect(premiumIndex(undefined, 990, 1000)).toBeCloseTo(-0.01, 12);
    expect(premiumIndex(1005, undefined, 1000)).toBeCloseTo(0.005, 12);
    expect(premiumIndex(undefined, undefined, 1000)).toBe(0);
  });

  it("is the interest rate while |I − P| <= 0.05%, P ∓ 0.05% beyond, capped at ±0.75%", () => {
    const cases: Array<[number, number]> = [
      [0, 10_000],
      [0.0003, 10_000],
      [0.0006, 10_000], // I − P = −0.05%: still the interest rate
      [-0.0004, 10_000], // I − P = +0.05%
      [0.001, 50_000], // 0.1% − 0.05%
      [-0.001, -50_000], // −0.1% + 0.05%
      [0.004, 350_000],
      [0.02, 750_000], // 1.95% capped
      [-0.02, -750_000],
      [0.000123456789, 10_000],
    ];
    for (const [p, rate] of cases) expect({ p, rate: fundingRateE8(p, RULE) }).toEqual({ p, rate });
    // Rounded to 1e-8.
    expect(fundingRateE8(0.00123456789, RULE)).toBe(73_457);
  });
});

describe("impact prices", () => {
  function book(): OrderBook {
    const b = new OrderBook("X", 100);
    let id = 0;
    const rest = (side: "BUY" | "SELL", priceTicks: number, lots: number) =>
      b.rest(restingOrder(++id, side, priceTicks, lots));
    rest("BUY", 99, 10);
    rest("BUY", 98, 10);
    rest("SELL", 101, 5);
    rest("SELL", 103, 20);
    return b;
  }

  it("averages the notional over the best levels, the last one in part", () => {
    const b = book();
    // 990 of notional: all at 99.
    expect(b.impactPriceTicks("bids", 990)).toBe(99);
    // 1480: 990 at 99 (10 lots) + 490 at 98 (5 lots) -> 1480 / 15.
    expect(b.impactPriceTicks("bids", 1480)).toBeCloseTo(1480 / 15, 12);
    // Asks 712: 505 at 101 (5 lots) + 207 at 103 (2.0097 lots).
    expect(b.impactPriceTicks("asks", 712)).toBeCloseTo(712 / (5 + 207 / 103), 12);
    // More than the side holds: the average of the whole side.
    expect(b.impactPriceTicks("asks", 1e9)).toBeCloseTo((505 + 2060) / 25, 12);
    expect(new OrderBook("Y", 100).impactPriceTicks("bids", 100)).toBeUndefined();
  });
});

describe("FundingClock", () => {
  it("weights the interval's samples 1..n and settles at the interval's last sample", () => {
    // Samples every 10 natural ms at time scale 2 (every 5 wall ms), 4 per interval.
    const clock = new FundingClock(1_000, 10, 2, 4, RULE);
    const settled: Array<[number, number]> = [];
    const settle = (rate: number, at: number) => settled.push([rate, at]);
    const premiums = [0.001, 0.002, 0.003, 0.004];
    expect(clock.nextSampleMs).toBe(1_005);
    expect(clock.nextFundingMs).toBe(1_020);
    for (let k = 1; k <= 4; k++) {
      clock.advance(1_000 + 5 * k - 1, () => -1, settle); // nothing due yet
      clock.advance(1_000 + 5 * k, () => premiums[k - 1] as number, settle);
    }
    const avg = (1 * 0.001 + 2 * 0.002 + 3 * 0.003 + 4 * 0.004) / 10;
    expect(settled).toEqual([[fundingRateE8(avg, RULE), 1_020]]);
    expect(clock.lastRateE8).toBe(fundingRateE8(avg, RULE));
    expect(clock.nextFundingMs).toBe(1_040);
    expect(clock.samples).toBe(0);
  });

  it("estimates from the samples so far, or from the premium now before the first", () => {
    const clock = new FundingClock(0, 5_000, 1, 5_760, RULE);
    expect(clock.estimateE8(0.002)).toBe(150_000);
    clock.advance(
      10_000,
      () => 0.001,
      () => {},
    );
    expect(clock.samples).toBe(2);
    expect(clock.estimateE8(0.02)).toBe(50_000);
    expect(clock.nextFundingMs).toBe(8 * 3_600_000);
  });

  it("settles every interval passed in one call, reading the premium again after each", () => {
    const clock = new FundingClock(0, 1, 1, 3, RULE);
    const settled: number[] = [];
    let premium = 0.004;
    clock.advance(
      7,
      () => premium,
      (rate) => {
        settled.push(rate);
        premium = -0.004; // a settlement may change the book
      },
    );
    expect(settled).toEqual([350_000, -350_000]);
    expect(clock.samples).toBe(1); // sample 7 opened the third interval
  });

  it("taking samples lazily gives the same settlements as taking every one on time", () => {
    // The premium is piecewise constant: it changes only at `changes` (as the book changes only
    // when a request executes); the lazy clock is advanced just before each change.
    fc.assert(
      fc.property(
        fc.array(
          fc.record({ at: fc.integer({ min: 1, max: 400 }), p: fc.double({ min: -0.01, max: 0.01 }) }),
          {
            maxLength: 20,
          },
        ),
        fc.integer({ min: 1, max: 7 }),
        (raw, perInterval) => {
          const changes = [...raw].sort((a, b) => a.at - b.at);
          const premiumAt = (t: number) => {
            let p = 0;
            for (const c of changes) if (c.at <= t) p = c.p;
            return p;
          };
          const eager = new FundingClock(0, 3, 1, perInterval, RULE);
          const lazy = new FundingClock(0, 3, 1, perInterval, RULE);
          const a: Array<[number, number]> = [];
          const b: Array<[number, number]> = [];
          for (let t = 0; t <= 420; t++)
            eager.advance(
              t,
              () => premiumAt(t),
              (r, at) => a.push([r, at]),
            );
          for (const c of changes)
            lazy.advance(
              c.at - 1,
              () => premiumAt(c.at - 1),
              (r, at) => b.push([r, at]),
            );
          lazy.advance(
            420,
            () => premiumAt(420),
            (r, at) => b.push([r, at]),
          );
          expect(b).toEqual(a);
        },
      ),
      { numRuns: 200 },
    );
  });
});

// tick 0.10 x lot 0.001 = 100 cash units (micro-USDT).
const BTC: SymbolSpec = { symbol: "BTCUSDT", tickSize: "0.10", stepSize: "0.001", referencePriceTicks: 1000 };
const USDT = 1_000_000;

function place(ex: MatchingEngine, p: Partial<PlaceOrderInput>): void {
  const res = ex.submitOrder({
    accountId: 1,
    symbol: "BTCUSDT",
    side: "BUY",
    type: "LIMIT",
    timeInForce: "GTC",
    lots: 1,
    priceTicks: 1001,
    clientOrderId: "",
    ...p,
  });
  if (isEngineError(res)) throw new Error(res.error);
}

function conserved(ex: MatchingEngine): void {
  const l = ex.ledger();
  expect(l.wallets + l.unrealized + l.fees + l.insuranceFund).toBe(l.deposits);
}

describe("MatchingEngine.settleFunding", () => {
  /** Account 1 long 7, accounts 2 and 3 short 3 and 4, all at 1001 (the mark). */
  function positions() {
    const ex = new MatchingEngine({ symbols: [BTC], now: () => 1, makerFeePpm: 0, takerFeePpm: 0 });
    for (const a of [1, 2, 3]) ex.createAccount(a, 100 * USDT);
    place(ex, { accountId: 2, side: "SELL", lots: 3 });
    place(ex, { accountId: 3, side: "SELL", lots: 4 });
    place(ex, { accountId: 1, lots: 7 });
    expect(ex.markPriceTicks("BTCUSDT")).toBe(1001);
    return ex;
  }

  it("makes longs pay shorts at the mark, rounding payers up and receivers down, dust to the fund", () => {
    const ex = positions();
    // 0.012345%: long pays 7 x 1001 x 100 x 12345e-8 = 86.50 -> 87; shorts get 37.07 -> 37, 49.43 -> 49.
    expect(ex.settleFunding("BTCUSDT", 12_345)).toEqual({ paid: 87, received: 86 });
    expect(ex.account(1).wallet).toBe(100 * USDT - 87);
    expect(ex.account(2).wallet).toBe(100 * USDT + 37);
    expect(ex.account(3).wallet).toBe(100 * USDT + 49);
    expect(ex.ledger().insuranceFund).toBe(1);
    conserved(ex);
    // Negative: shorts pay longs.
    expect(ex.settleFunding("BTCUSDT", -10_000)).toEqual({ paid: 31 + 41, received: 70 });
    expect(ex.account(1).wallet).toBe(100 * USDT - 87 + 70);
    conserved(ex);
    expect(ex.settleFunding("BTCUSDT", 0)).toEqual({ paid: 0, received: 0 });
  });

  it("liquidates an account the payment takes below its maintenance margin", () => {
    const ex = new MatchingEngine({ symbols: [BTC], now: () => 1, makerFeePpm: 0, takerFeePpm: 0 });
    ex.createAccount(1, 5 * USDT); // long 100 USDT of notional on 5 USDT
    ex.createAccount(2, 1_000 * USDT);
    place(ex, { accountId: 2, side: "SELL", lots: 1000, priceTicks: 1000 });
    place(ex, { accountId: 1, lots: 1000, priceTicks: 1000 });
    place(ex, { accountId: 2, lots: 2000, priceTicks: 900 }); // bids to close into
    // Margin 5 USDT, maintenance 0.4 USDT: six payments of 0.75 USDT leave 0.5, the seventh
    // takes the margin balance under the maintenance margin.
    for (let i = 0; i < 6; i++) ex.settleFunding("BTCUSDT", 750_000);
    expect(ex.account(1).marginBalance).toBe(500_000);
    expect(ex.positions(1, "BTCUSDT")[0]?.amountLots).toBe(1000);
    ex.settleFunding("BTCUSDT", 750_000);
    expect(ex.positions(1, "BTCUSDT")[0]?.amountLots).toBe(0);
    conserved(ex);
  });
});
