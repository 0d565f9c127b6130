import { describe, expect, it } from "vitest";
import { isEngineError, MatchingEngine } from "../../mock-exchange/engine/matchingEngine.ts";
import type {
  ExecutionType,
  LiquidationEvent,
  Order,
  PlaceOrderInput,
  SymbolSpec,
} from "../../mock-exchange/engine/types.ts";
import { orderInput, placeOrder } from "../engineOrders.ts";

/**
 * Collateral in the engine's margin (accounts.ts), its seizure at liquidation (liquidation.ts),
 * setCollateralPrice's scan (markPrice.ts) and the stop-trigger hook (stopOrders.ts).
 *
 * Numbers: BTC tick 0.10 x lot 0.001 = 100 cash units (1e-6 USDT). USDE is priced in cash
 * units per whole unit: par is 1_000_000. A trader long 1000 lots at 1000 ticks holds 100 USDT
 * of notional: maintenance 0.4% = 400_000, initial margin at 20x = 5_000_000, and the opening
 * taker fee (500 ppm) is 50_000.
 */

const BTC: SymbolSpec = { symbol: "BTCUSDT", tickSize: "0.10", stepSize: "0.001", referencePriceTicks: 1000 };
const USDT = 1_000_000;
const USDE = "USDE";
const PAR = 1_000_000;
const FUND = 10 * USDT;
const MAKER = 9; // unchecked: liquidity, never margin-checked or liquidated
const MOVER_A = 7; // unchecked: their trades move the mark (markMode "last")
const MOVER_B = 8;
const TRADER = 1;

function engine(insuranceFund = FUND): MatchingEngine {
  let t = 1_000;
  const ex = new MatchingEngine({ symbols: [BTC], now: () => (t += 1), insuranceFund });
  ex.defineCollateral(USDE, PAR);
  return ex;
}

function submit(ex: MatchingEngine, p: Partial<PlaceOrderInput>): Order {
  return placeOrder(ex, { accountId: TRADER, ...p });
}

/** `accountId` long `lots` at 1000 against the maker; the book left empty. */
function openLong(ex: MatchingEngine, accountId: number, lots = 1000): void {
  submit(ex, { accountId: MAKER, side: "SELL", lots });
  expect(submit(ex, { accountId, lots }).status).toBe("FILLED");
}

/** One lot traded at `priceTicks` between two other accounts: the mark moves there. */
function markTo(ex: MatchingEngine, priceTicks: number): void {
  submit(ex, { accountId: MOVER_A, side: "SELL", priceTicks });
  submit(ex, { accountId: MOVER_B, side: "BUY", priceTicks, timeInForce: "IOC" });
  expect(ex.markPriceTicks("BTCUSDT")).toBe(priceTicks);
}

const lotsOf = (ex: MatchingEngine, accountId: number) => ex.positions(accountId, "BTCUSDT")[0]?.amountLots;

function conserved(ex: MatchingEngine): void {
  const l = ex.ledger();
  expect(l.wallets + l.unrealized + l.fees + l.insuranceFund).toBe(l.deposits);
}

describe("collateral in margin", () => {
  it("counts floor(units x cashPerUnit) in marginBalance and available, not in the wallet or deposits", () => {
    const ex = engine();
    ex.createAccount(TRADER, 2 * USDT);
    ex.depositCollateral(TRADER, USDE, 3);
    expect(ex.collateralOf(TRADER, USDE)).toBe(3);
    expect(ex.account(TRADER)).toMatchObject({
      wallet: 2 * USDT,
      collateralValue: 3 * PAR,
      marginBalance: 5 * USDT,
      available: 5 * USDT,
    });
    expect(ex.ledger()).toMatchObject({ deposits: FUND + 2 * USDT, collateralValue: 3 * PAR });
    conserved(ex);
    // A fractional price rounds each asset's value down to a whole cash unit: 3 x 0.5 = 1.5 -> 1.
    ex.setCollateralPrice(USDE, 0.5);
    expect(ex.account(TRADER)).toMatchObject({ collateralValue: 1, marginBalance: 2 * USDT + 1 });
    // Deposits add to the units held; the wallet is made by the call like by any other.
    ex.setCollateralPrice(USDE, PAR);
    ex.depositCollateral(TRADER, USDE, 2);
    ex.depositCollateral(42, USDE, 0);
    expect(ex.collateralOf(TRADER, USDE)).toBe(5);
    expect(ex.account(TRADER).collateralValue).toBe(5 * PAR);
    expect(ex.account(42).checked).toBe(false);
    expect(ex.collateralOf(42, USDE)).toBe(0);
    expect(ex.collateralOf(TRADER, "OTHER")).toBe(0);
  });

  it("lets an account margined by collateral alone pass the -2019 check, up to its value", () => {
    const ex = engine();
    ex.createAccount(TRADER, 0);
    ex.createAccount(2, 0);
    ex.depositCollateral(TRADER, USDE, 6);
    submit(ex, { accountId: MAKER, side: "SELL", lots: 3000 });
    // 1000 lots need 5 USDT of initial margin at 20x: 6 USDE cover them, nothing covers account 2.
    expect(isEngineError(ex.submitOrder(orderInput({ accountId: TRADER, lots: 1000 })))).toBe(false);
    expect(ex.submitOrder(orderInput({ accountId: 2, lots: 1000 }))).toEqual({
      error: "MARGIN_INSUFFICIENT",
    });
    // What is left (6 − 0.05 fee − 5 initial margin) does not cover another 1000.
    expect(ex.submitOrder(orderInput({ accountId: TRADER, lots: 1000 }))).toEqual({
      error: "MARGIN_INSUFFICIENT",
    });
    expect(lotsOf(ex, TRADER)).toBe(1000);
    conserved(ex);
  });

  it("moves liquidationPriceTicks exactly as the same value in cash would", () => {
    const withCash = engine();
    withCash.createAccount(TRADER, 8 * USDT);
    openLong(withCash, TRADER);
    const withCollateral = engine();
    withCollateral.createAccount(TRADER, 0);
    withCollateral.depositCollateral(TRADER, USDE, 8);
    openLong(withCollateral, TRADER);
    const lp = withCollateral.liquidationPriceTicks(TRADER, "BTCUSDT");
    expect(lp).toBeGreaterThan(0);
    expect(lp).toBe(withCash.liquidationPriceTicks(TRADER, "BTCUSDT"));
    // Half the collateral's value gone: the price comes up by 4 USDT / (c·a·(1 − m)).
    withCollateral.setCollateralPrice(USDE, PAR / 2);
    expect(withCollateral.liquidationPriceTicks(TRADER, "BTCUSDT") - lp).toBeCloseTo(
      (4 * USDT) / (100 * 1000 * 0.996),
      9,
    );
  });

  it("refuses bad definitions, prices and deposits", () => {
    const ex = engine();
    expect(() => ex.defineCollateral(USDE, PAR)).toThrow(/already defined/);
    expect(() => ex.defineCollateral("X", -1)).toThrow(/bad price/);
    expect(() => ex.defineCollateral("X", Number.NaN)).toThrow(/bad price/);
    expect(() => ex.setCollateralPrice(USDE, Number.POSITIVE_INFINITY)).toThrow(/bad price/);
    expect(() => ex.setCollateralPrice("X", 1)).toThrow(/unknown collateral/);
    expect(() => ex.depositCollateral(TRADER, "X", 1)).toThrow(/unknown collateral/);
    expect(() => ex.depositCollateral(TRADER, USDE, 1.5)).toThrow(/bad units/);
    expect(() => ex.depositCollateral(TRADER, USDE, -1)).toThrow(/bad units/);
    expect(() => ex.depositCollateral(TRADER, USDE, 2 ** 53)).toThrow();
    expect(ex.collateralOf(TRADER, USDE)).toBe(0);
  });
});

/**
 * The trader: no cash, 8 USDE, long 1000 at 1000 (cash −50_000 after the fee), the mark moved to
 * 990 (unrealized U = −1_000_000, maintenance MM = 396_000), maker bids at 988 to close into.
 *
 * A collateral drop liquidates when cash + floor(u·p) + U <= MM, i.e. floor(u·p) <= MM − cash − U,
 * i.e. at any price p < p* = (MM − cash − U + 1) / u (strictly: floor). Here
 * p* = (396_000 + 50_000 + 1_000_000 + 1) / 8 = 180_750.125 cash units per USDE.
 */
function collateralTrader(insuranceFund = FUND, bidTicks = 988): MatchingEngine {
  const ex = engine(insuranceFund);
  ex.createAccount(TRADER, 0);
  ex.depositCollateral(TRADER, USDE, 8);
  openLong(ex, TRADER);
  markTo(ex, 990);
  submit(ex, { accountId: MAKER, side: "BUY", lots: 2000, priceTicks: bidTicks });
  return ex;
}

function collateralLiquidationPrice(ex: MatchingEngine, accountId: number, units: number): number {
  const a = ex.account(accountId);
  return (a.maintenanceMargin - a.wallet - a.unrealized + 1) / units;
}

describe("liquidation by a collateral price drop", () => {
  it("liquidates just below the price the formula gives, not at it", () => {
    const held = collateralTrader();
    const p = collateralLiquidationPrice(held, TRADER, 8);
    expect(p).toBe(180_750.125);
    held.setCollateralPrice(USDE, p);
    expect(lotsOf(held, TRADER)).toBe(1000);
    expect(held.account(TRADER).marginBalance).toBe(held.account(TRADER).maintenanceMargin + 1);
    expect(held.collateralOf(TRADER, USDE)).toBe(8);

    const taken = collateralTrader();
    taken.setCollateralPrice(USDE, p - 0.001);
    expect(lotsOf(taken, TRADER)).toBe(0);
    expect(taken.collateralOf(TRADER, USDE)).toBe(0);
    conserved(taken);
  });

  it("calls the seizer before the close with the units, credits its proceeds to cash and deposits", () => {
    const ex = collateralTrader();
    const log: string[] = [];
    ex.onCollateralSeized((accountId, asset, units) => {
      // Still long (the close comes after), the units already out of the wallet.
      log.push(
        `seize ${accountId} ${asset} ${units} lots=${lotsOf(ex, accountId)} held=${ex.collateralOf(accountId, asset)}`,
      );
      return 1_400_000; // a thin spot book: 1.4 USDT for units worth 1.446 at the oracle
    });
    ex.onLiquidation((e: Readonly<LiquidationEvent>) =>
      log.push(`${e.kind} ${e.accountId} ${e.lots}@${e.avgPriceTicks}`),
    );
    ex.setCollateralPrice(USDE, 180_750);
    // Margin after the seizure: 1_350_000 cash − 1_000_000 unrealized = 350_000, so the
    // bankruptcy price is 990 − 3.5 -> 987 (rounded up for a long): the bids at 988 take it.
    expect(log).toEqual([`seize ${TRADER} USDE 8 lots=1000 held=0`, `LIQUIDATION ${TRADER} 1000@988`]);
    expect(lotsOf(ex, TRADER)).toBe(0);
    // Cash: −50_000 + 1_400_000 − 1_200_000 (loss at 988) − 49_400 (fee) = 100_600, to the fund.
    expect(ex.account(TRADER)).toMatchObject({ wallet: 0, collateralValue: 0, marginBalance: 0 });
    expect(ex.insuranceFundCash()).toBe(FUND + 100_600);
    expect(ex.ledger()).toMatchObject({
      deposits: FUND + 1_400_000,
      insuranceFund: FUND + 100_600,
      collateralValue: 0,
    });
    conserved(ex);
  });

  it("converts at the oracle price without a seizer, also counted in deposits", () => {
    const ex = collateralTrader();
    ex.setCollateralPrice(USDE, 180_750);
    expect(lotsOf(ex, TRADER)).toBe(0);
    // floor(8 x 180_750) = 1_446_000: cash −50_000 + 1_446_000 − 1_200_000 − 49_400 = 146_600.
    expect(ex.insuranceFundCash()).toBe(FUND + 146_600);
    expect(ex.ledger()).toMatchObject({ deposits: FUND + 1_446_000, collateralValue: 0 });
    conserved(ex);
  });

  it("takes a shortfall from the fund as far as it goes; the rest stays on the account, uncovered", () => {
    // The seizure raises 1_360_000: cash 1_310_000, margin 310_000, bankruptcy 990 − 3.1 -> 987,
    // where the bids are. Filled there: 1_310_000 − 1_300_000 (loss) − 49_350 (fee) = −39_350.
    for (const fund of [FUND, 20_000, 0]) {
      const ex = collateralTrader(fund, 987);
      ex.onCollateralSeized(() => 1_360_000);
      ex.setCollateralPrice(USDE, 180_000);
      expect(lotsOf(ex, TRADER)).toBe(0);
      const covered = Math.min(39_350, fund);
      expect(ex.insuranceFundCash()).toBe(fund - covered);
      // The uncovered shortfall: non-zero only once the fund is exhausted.
      expect(ex.account(TRADER).wallet).toBe(covered - 39_350);
      expect(ex.ledger().deposits).toBe(fund + 1_360_000);
      conserved(ex);
    }
  });

  it("refuses a seizer's answer that is not whole cash units >= 0", () => {
    const ex = collateralTrader();
    ex.onCollateralSeized(() => -1);
    expect(() => ex.setCollateralPrice(USDE, 100_000)).toThrow(/seizer returned -1/);
  });
});

describe("setCollateralPrice during a cascade", () => {
  /**
   * Accounts 1 (10 USDE), 2 (8) and 3 (9), no cash, each long 1000 at 1000: each is liquidated
   * once floor(u·p) <= 450_000 (fee 50_000 + maintenance 400_000; the mark stays at 1000, where
   * the maker bids: the closes do not move it).
   */
  function three(): MatchingEngine {
    const ex = engine();
    const units = [10, 8, 9];
    for (let i = 0; i < 3; i++) {
      ex.createAccount(i + 1, 0);
      ex.depositCollateral(i + 1, USDE, units[i] as number);
      openLong(ex, i + 1);
    }
    submit(ex, { accountId: MAKER, side: "BUY", lots: 3000 });
    return ex;
  }

  it("only revalues when a seizer's sale moves the oracle: no nested scan, later wallets see the new value", () => {
    const ex = three();
    let depth = 0;
    let maxDepth = 0;
    const seized: number[] = [];
    let price = 56_000; // takes account 2 only: 8 x 56_000 = 448_000
    ex.onCollateralSeized((accountId, _asset, units) => {
      depth++;
      maxDepth = Math.max(maxDepth, depth);
      seized.push(accountId);
      const proceeds = Math.floor(units * price);
      // The sale knocks the spot oracle down to 40_000: accounts 1 and 3 now breach too.
      price = 40_000;
      ex.setCollateralPrice(USDE, price);
      depth--;
      return proceeds;
    });
    ex.setCollateralPrice(USDE, 56_000);
    expect(maxDepth).toBe(1);
    // The scan went on past account 2 with the new value (account 3), not back to account 1.
    expect(seized).toEqual([2, 3]);
    expect([lotsOf(ex, 1), lotsOf(ex, 2), lotsOf(ex, 3)]).toEqual([1000, 0, 0]);
    expect(ex.account(1).collateralValue).toBe(400_000);
    conserved(ex);
    // The next trigger takes it.
    ex.setCollateralPrice(USDE, price);
    expect(seized).toEqual([2, 3, 1]);
    expect(lotsOf(ex, 1)).toBe(0);
    expect(ex.ledger()).toMatchObject({ collateralValue: 0, deposits: FUND + 448_000 + 360_000 + 400_000 });
    conserved(ex);
  });
});

describe("onStopTriggered", () => {
  it("reports each fired stop once, after it ran, with its fill and the mark that fired it", () => {
    const ex = engine();
    ex.createAccount(TRADER, 100 * USDT);
    openLong(ex, TRADER);
    const fire = submit(ex, {
      side: "SELL",
      type: "STOP_MARKET",
      lots: 1000,
      priceTicks: 0,
      stopPriceTicks: 995,
      reduceOnly: true,
    });
    const late = submit(ex, {
      side: "SELL",
      type: "STOP_MARKET",
      lots: 0,
      priceTicks: 0,
      stopPriceTicks: 990,
      closePosition: true,
    });
    submit(ex, { accountId: MAKER, side: "BUY", lots: 2000, priceTicks: 989 });
    const log: string[] = [];
    ex.onOrderUpdate((type: ExecutionType, o) => {
      if (o.orderId === fire.orderId || o.orderId === late.orderId) log.push(`${type} ${o.orderId}`);
    });
    const reports: Array<
      Pick<Order, "orderId" | "status" | "executedLots" | "cumQuoteTicksLots" | "stopPriceTicks"> & {
        mark: number;
      }
    > = [];
    ex.onStopTriggered((o, markTicks) => {
      log.push(`stop ${o.orderId}`);
      const { orderId, status, executedLots, cumQuoteTicksLots, stopPriceTicks } = o;
      reports.push({ orderId, status, executedLots, cumQuoteTicksLots, stopPriceTicks, mark: markTicks });
    });
    // The mark at 994 fires the 995 stop, which sells into the 989 bids; the mark at 989 fires
    // the 990 one, a close that no longer reduces: it expires.
    submit(ex, { accountId: MOVER_A, side: "SELL", priceTicks: 994 });
    submit(ex, { accountId: MOVER_B, side: "BUY", priceTicks: 994, timeInForce: "IOC" });
    expect(ex.markPriceTicks("BTCUSDT")).toBe(989);
    expect(reports).toEqual([
      {
        orderId: fire.orderId,
        status: "FILLED",
        executedLots: 1000,
        cumQuoteTicksLots: 989 * 1000,
        stopPriceTicks: 995,
        mark: 994,
      },
      {
        orderId: late.orderId,
        status: "EXPIRED",
        executedLots: 0,
        cumQuoteTicksLots: 0,
        stopPriceTicks: 990,
        mark: 989,
      },
    ]);
    expect(log).toEqual([
      `TRADE ${fire.orderId}`,
      `stop ${fire.orderId}`,
      `EXPIRED ${late.orderId}`,
      `stop ${late.orderId}`,
    ]);
    expect(lotsOf(ex, TRADER)).toBe(0);
    conserved(ex);
  });
});
