import fc from "fast-check";
import { describe, it } from "vitest";
import { isEngineError, isOpen, MatchingEngine } from "../../mock-exchange/engine/matchingEngine.ts";
import type { Order, PlaceOrderInput, Side, SymbolSpec } from "../../mock-exchange/engine/types.ts";
import { checkEngineInvariants, ok } from "../invariants.ts";

/**
 * Liquidation cascades with collateral (engine/liquidation.ts, engine/markPrice.ts): checked
 * accounts margined by cash and/or a collateral asset hold positions against a maker; thin books,
 * market orders, collateral price drops (the seizer pays a random fraction of the value, as a thin
 * spot book would, and may knock the oracle down further as it sells) and funding settlements set
 * off liquidations, auto-deleveraging and stops. After every step:
 *  (a) Σ cash + Σ unrealized + fees + insurance fund = deposits exactly, deposits being
 *      Σ createAccount + initial fund + Σ the seizer's proceeds;
 *  (b) the insurance fund is never negative;
 *  (c) a liquidated account holds no position, no collateral and no order afterwards, and its
 *      uncovered shortfall (cash still negative once the fund covered what it could) is non-zero
 *      only when the fund is exhausted: checked when the liquidation is settled, i.e. when the
 *      next account's liquidation starts or the step ends (a later liquidation in the same step
 *      may refill the fund);
 *  (d) no acknowledged order is lost: open and listed, or final and found by getOrder, and the
 *      fills its TRADE updates reported sum to its executedLots (test/invariants.ts checks the rest:
 *      book, positions summing to zero, each order in one valid state).
 */

// AAA: tick 0.1 x lot 0.001 = 100 cash units; BBB: tick 0.01 x lot 0.1 = 1000.
const SPECS: SymbolSpec[] = [
  { symbol: "AAAUSDT", tickSize: "0.1", stepSize: "0.001", referencePriceTicks: 1000 },
  { symbol: "BBBUSDT", tickSize: "0.01", stepSize: "0.1", referencePriceTicks: 1000 },
];
const SYMBOLS = SPECS.map((s) => s.symbol);
const CASH_PER_TICK_LOT = [100, 1000];
const USDT = 1_000_000;
const USDE = "USDE";
const PAR = 1_000_000;
const MAKER = 100;
const MOVER = 101;

/** Lots of `symbol` worth about `usdt` at the reference price. */
const lotsFor = (sym: number, usdt: number) =>
  Math.max(1, Math.round((usdt * USDT) / (1000 * (CASH_PER_TICK_LOT[sym] as number))));

const accountArb = fc.record({
  cashUsdt: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 40 })),
  units: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 60 })),
  leverage: fc.integer({ min: 2, max: 50 }),
  sym: fc.nat(1),
  side: fc.constantFrom<Side>("BUY", "SELL"),
  /** The position's notional as a share of what the margin allows at the leverage. */
  use: fc.double({ min: 0.3, max: 0.97, noNaN: true }),
});

type Step =
  | { kind: "market"; sym: number; side: Side; notionalUsdt: number }
  | { kind: "trade"; pick: number; sym: number; side: Side; notionalUsdt: number; offset: number }
  | { kind: "refill"; sym: number; side: Side; offset: number; notionalUsdt: number }
  | { kind: "price"; factor: number }
  | { kind: "funding"; sym: number; rate: number }
  | { kind: "stop"; pick: number; sym: number; offset: number };

const side = fc.constantFrom<Side>("BUY", "SELL");
const stepArb: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant("market" as const),
      sym: fc.nat(1),
      side,
      notionalUsdt: fc.integer({ min: 5, max: 400 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("trade" as const),
      pick: fc.nat(),
      sym: fc.nat(1),
      side,
      notionalUsdt: fc.integer({ min: 5, max: 100 }),
      // 0: MARKET; else a GTC limit this many ticks on the passive side of the last price.
      offset: fc.integer({ min: 0, max: 10 }),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant("refill" as const),
      sym: fc.nat(1),
      side,
      offset: fc.integer({ min: 1, max: 10 }),
      notionalUsdt: fc.integer({ min: 5, max: 60 }),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant("price" as const),
      factor: fc.double({ min: 0.5, max: 1.05, noNaN: true }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("funding" as const),
      sym: fc.nat(1),
      rate: fc.integer({ min: -3_000_000, max: 3_000_000 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("stop" as const),
      pick: fc.nat(),
      sym: fc.nat(1),
      offset: fc.integer({ min: 1, max: 20 }),
    }),
  },
);

const scenarioArb = fc.record({
  fundUsdt: fc.constantFrom(0, 0, 1, 20),
  /** How far past bankruptcy forced orders may sell while the fund pays (the market model's 5%), ppm. */
  liquidationBandPpm: fc.constantFrom(0, 0, 50_000),
  accounts: fc.array(accountArb, { minLength: 2, maxLength: 5 }),
  /** Per level of the thin books, per side. */
  levelUsdt: fc.integer({ min: 5, max: 60 }),
  /** What each seizure raises, as a fraction of its value at the oracle (cycled). */
  haircuts: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 6 }),
  /** The oracle after each sale, as a fraction of before (1: the sale does not move it). */
  salePressure: fc.constantFrom(1, 1, 0.95, 0.8),
  steps: fc.array(stepArb, { maxLength: 60, size: "max" }),
});
type Scenario = typeof scenarioArb extends fc.Arbitrary<infer T> ? T : never;

class Cascade {
  readonly ex: MatchingEngine;
  readonly checked: number[] = [];
  readonly allAccounts: number[];
  /** Orders the engine made (accepted ones and liquidations), and the lots their TRADE updates reported. */
  readonly orders: Order[] = [];
  readonly tradedLots = new Map<number, number>();
  readonly stopReports = new Map<number, number>();
  /** Σ createAccount + initial fund + Σ the seizer's proceeds. */
  deposits: number;
  price = PAR;
  readonly liquidated = new Set<number>();
  /** The account whose liquidation is the latest one, until checked settled. */
  private unsettled: number | undefined;
  seizures = 0;
  private seizing = false;
  liquidations = 0;
  maxUncoveredShortfall = 0;
  private t = 0;

  constructor(private readonly s: Scenario) {
    this.ex = new MatchingEngine({
      symbols: SPECS,
      now: () => (this.t += 10),
      insuranceFund: s.fundUsdt * USDT,
      liquidationBandPpm: s.liquidationBandPpm,
    });
    this.deposits = s.fundUsdt * USDT;
    this.ex.defineCollateral(USDE, PAR);
    this.ex.onOrderUpdate((type, order, fill) => {
      if (type === "NEW" && order.liquidation === true) this.orders.push(order as Order);
      if (type === "TRADE" && fill !== undefined)
        this.tradedLots.set(order.orderId, (this.tradedLots.get(order.orderId) ?? 0) + fill.lots);
    });
    this.ex.onLiquidation((e) => {
      if (e.kind === "LIQUIDATION") this.liquidationOf(e.accountId);
    });
    this.ex.onCollateralSeized((accountId, asset, units) => this.seize(accountId, asset, units));
    this.ex.onStopTriggered((o, mark) => {
      ok(!isOpen(o), `stop ${o.orderId} reported while open (${o.status})`);
      ok(triggeredAt(o, mark), `stop ${o.orderId} reported at a mark ${mark} that does not fire it`);
      ok(
        o.executedLots === (this.tradedLots.get(o.orderId) ?? 0),
        `stop ${o.orderId} reported before its fills`,
      );
      this.stopReports.set(o.orderId, (this.stopReports.get(o.orderId) ?? 0) + 1);
    });
    for (let i = 0; i < s.accounts.length; i++)
      this.open(i + 1, s.accounts[i] as Scenario["accounts"][number]);
    this.allAccounts = [...this.checked, MAKER, MOVER];
    for (let sym = 0; sym < SPECS.length; sym++) this.ladder(sym, s.levelUsdt);
  }

  private submit(p: PlaceOrderInput): Order | undefined {
    const res = this.ex.submitOrder(p);
    if (isEngineError(res)) return undefined;
    this.orders.push(res.order as Order);
    return res.order as Order;
  }

  private order(
    accountId: number,
    sym: number,
    side: Side,
    lots: number,
    priceTicks: number,
  ): PlaceOrderInput {
    return {
      accountId,
      symbol: SYMBOLS[sym] as string,
      side,
      type: "LIMIT",
      timeInForce: "GTC",
      lots,
      priceTicks,
      clientOrderId: "",
    };
  }

  /** A checked account with its cash and collateral, its position taken from the maker at 1000. */
  private open(accountId: number, a: Scenario["accounts"][number]): void {
    const ex = this.ex;
    ex.createAccount(accountId, a.cashUsdt * USDT);
    this.deposits += a.cashUsdt * USDT;
    if (a.units > 0) ex.depositCollateral(accountId, USDE, a.units);
    ex.setLeverage(accountId, SYMBOLS[a.sym] as string, a.leverage);
    this.checked.push(accountId);
    const lots = lotsFor(a.sym, (a.cashUsdt + a.units) * a.leverage * a.use);
    const other: Side = a.side === "BUY" ? "SELL" : "BUY";
    this.submit(this.order(MAKER, a.sym, other, lots, 1000));
    // May be refused (-2019): the account then starts flat.
    this.submit({ ...this.order(accountId, a.sym, a.side, lots, 1000), timeInForce: "IOC" });
    ex.cancelAll(MAKER, SYMBOLS[a.sym] as string);
  }

  /** Thin books: four levels a side, a tick apart, around the last price. */
  private ladder(sym: number, usdt: number): void {
    const last = this.ex.lastPriceTicks(SYMBOLS[sym] as string);
    for (let k = 1; k <= 4; k++) {
      this.submit(this.order(MAKER, sym, "BUY", lotsFor(sym, usdt), Math.max(1, last - k)));
      this.submit(this.order(MAKER, sym, "SELL", lotsFor(sym, usdt), last + k));
    }
  }

  private seize(accountId: number, asset: string, units: number): number {
    ok(!this.seizing, "a seizure inside a seizure");
    ok(asset === USDE && units > 0, `seized ${units} ${asset}`);
    ok(this.ex.collateralOf(accountId, asset) === 0, "the units leave the wallet before the seizer runs");
    ok(
      this.ex.positions(accountId).some((p) => p.amountLots !== 0),
      "collateral is seized before the positions close",
    );
    this.liquidationOf(accountId);
    const haircut = this.s.haircuts[this.seizures++ % this.s.haircuts.length] as number;
    const proceeds = Math.floor(units * this.price * haircut);
    this.deposits += proceeds;
    if (this.s.salePressure !== 1) {
      // The sale moved the spot oracle: a call back the engine allows, which only revalues.
      this.seizing = true;
      this.price *= this.s.salePressure;
      this.ex.setCollateralPrice(USDE, this.price);
      this.seizing = false;
    }
    return proceeds;
  }

  /** An account's liquidation started: the previous one is settled. */
  private liquidationOf(accountId: number): void {
    if (this.unsettled === accountId) return;
    ok(!this.liquidated.has(accountId), `account ${accountId} liquidated twice`);
    if (this.unsettled !== undefined) this.checkSettled(this.unsettled);
    this.unsettled = accountId;
    this.liquidated.add(accountId);
    this.liquidations++;
  }

  /** (c) for the latest liquidation, settled by the end of the step. */
  settle(): void {
    if (this.unsettled !== undefined) this.checkSettled(this.unsettled);
    this.unsettled = undefined;
  }

  private checkSettled(accountId: number): void {
    const a = this.ex.account(accountId);
    const uncoveredShortfall = Math.max(0, -a.wallet);
    const fund = this.ex.insuranceFundCash();
    ok(
      uncoveredShortfall === 0 || fund === 0,
      `account ${accountId} left ${uncoveredShortfall} uncovered with ${fund} in the fund`,
    );
    this.maxUncoveredShortfall = Math.max(this.maxUncoveredShortfall, uncoveredShortfall);
    this.checkFlat(accountId);
  }

  private checkFlat(accountId: number): void {
    for (const p of this.ex.positions(accountId))
      ok(p.amountLots === 0, `liquidated account ${accountId} holds ${p.amountLots} ${p.symbol}`);
    ok(this.ex.collateralOf(accountId, USDE) === 0, `liquidated account ${accountId} holds collateral`);
    ok(this.ex.openOrders(accountId).length === 0, `liquidated account ${accountId} has open orders`);
  }

  run(step: Step): void {
    const ex = this.ex;
    if (step.kind === "market") {
      const lots = lotsFor(step.sym, step.notionalUsdt);
      this.submit({ ...this.order(MOVER, step.sym, step.side, lots, 0), type: "MARKET", timeInForce: "IOC" });
    } else if (step.kind === "trade") {
      const accountId = this.checked[step.pick % this.checked.length] as number;
      const lots = lotsFor(step.sym, step.notionalUsdt);
      const last = ex.lastPriceTicks(SYMBOLS[step.sym] as string);
      const price = step.side === "BUY" ? Math.max(1, last - step.offset) : last + step.offset;
      const o = this.order(accountId, step.sym, step.side, lots, price);
      this.submit(step.offset === 0 ? { ...o, type: "MARKET", priceTicks: 0, timeInForce: "IOC" } : o);
    } else if (step.kind === "refill") {
      const last = ex.lastPriceTicks(SYMBOLS[step.sym] as string);
      const price = step.side === "BUY" ? Math.max(1, last - step.offset) : last + step.offset;
      this.submit(this.order(MAKER, step.sym, step.side, lotsFor(step.sym, step.notionalUsdt), price));
    } else if (step.kind === "price") {
      this.price *= step.factor;
      ex.setCollateralPrice(USDE, this.price);
    } else if (step.kind === "funding") {
      ex.settleFunding(SYMBOLS[step.sym] as string, step.rate);
    } else {
      this.stop(step);
    }
  }

  /** A closePosition stop on the account's position, `offset` ticks on its losing side of the mark. */
  private stop(step: Extract<Step, { kind: "stop" }>): void {
    const accountId = this.checked[step.pick % this.checked.length] as number;
    const symbol = SYMBOLS[step.sym] as string;
    const amount = this.ex.positions(accountId, symbol)[0]?.amountLots ?? 0;
    if (amount === 0) return;
    const mark = this.ex.markPriceTicks(symbol);
    this.submit({
      ...this.order(accountId, step.sym, amount > 0 ? "SELL" : "BUY", 0, 0),
      type: "STOP_MARKET",
      stopPriceTicks: amount > 0 ? Math.max(1, mark - step.offset) : mark + step.offset,
      closePosition: true,
    });
  }

  check(): void {
    const ex = this.ex;
    const l = ex.ledger();
    // (a)
    ok(
      [l.wallets, l.unrealized, l.fees, l.insuranceFund, l.deposits].every(Number.isSafeInteger),
      "integer cash",
    );
    ok(
      l.wallets + l.unrealized + l.fees + l.insuranceFund === l.deposits,
      `cash conserved: ${l.wallets} + ${l.unrealized} + ${l.fees} + ${l.insuranceFund} != ${l.deposits}`,
    );
    ok(
      l.deposits === this.deposits,
      `deposits ${l.deposits} = createAccount + fund + proceeds ${this.deposits}`,
    );
    // (b)
    ok(l.insuranceFund >= 0 && ex.insuranceFundCash() === l.insuranceFund, `fund ${l.insuranceFund}`);
    // (c), for every account liquidated so far: nothing brings it back.
    for (const accountId of this.liquidated) this.checkFlat(accountId);
    // (d), and the book, positions and order states (test/invariants.ts).
    checkEngineInvariants(ex, SYMBOLS, this.allAccounts, this.orders);
    for (const o of this.orders) {
      const found = ex.getOrder(o.accountId, o.symbol, { orderId: o.orderId });
      ok(found === o, `order ${o.orderId} found by getOrder`);
      ok(
        (this.tradedLots.get(o.orderId) ?? 0) === o.executedLots,
        `order ${o.orderId}: TRADE fills ${this.tradedLots.get(o.orderId) ?? 0} != executed ${o.executedLots}`,
      );
      ok((this.stopReports.get(o.orderId) ?? 0) <= 1, `stop ${o.orderId} reported more than once`);
    }
  }
}

function triggeredAt(o: Readonly<Order>, mark: number): boolean {
  const up = (o.type === "STOP_MARKET") === (o.side === "BUY");
  const stop = o.stopPriceTicks as number;
  return up ? mark >= stop : mark <= stop;
}

/** Totals over every run, reported once: that the scenarios do cascade. */
const totals = {
  runs: 0,
  steps: 0,
  positionsOpened: 0,
  liquidations: 0,
  seizures: 0,
  stopsFired: 0,
  runsWithUncoveredShortfall: 0,
};

describe("liquidation cascades with collateral (property)", () => {
  it("conserve cash exactly, keep the fund >= 0, leave liquidated accounts empty and lose no order", () => {
    const started = performance.now();
    fc.assert(
      fc.property(scenarioArb, (s) => {
        const c = new Cascade(s);
        c.check();
        for (const a of c.checked)
          if (c.ex.positions(a).some((p) => p.amountLots !== 0)) totals.positionsOpened++;
        for (const step of s.steps) {
          c.run(step);
          c.settle();
          c.check();
        }
        totals.runs++;
        totals.steps += s.steps.length;
        totals.liquidations += c.liquidations;
        totals.seizures += c.seizures;
        if (c.maxUncoveredShortfall > 0) totals.runsWithUncoveredShortfall++;
        totals.stopsFired += c.stopReports.size;
      }),
      { numRuns: 1000 },
    );
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    console.log(`cascade property: ${JSON.stringify(totals)} in ${seconds} s`);
    ok(
      totals.liquidations > 0 && totals.seizures > 0 && totals.stopsFired > 0,
      "the scenarios liquidate, seize collateral and fire stops",
    );
  });
});
