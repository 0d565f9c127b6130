import type { ExchangeConfig } from "../defaults.ts";
import type { MatchingEngine } from "../engine/matchingEngine.ts";
import type { SymbolSpec } from "../engine/types.ts";
import type { Random } from "../random.ts";
import { HOUSE_ACCOUNT, MAINTENANCE_RATE } from "../venue/houseLiquidity.ts";
import type { CollateralConfig } from "./marketConfig.ts";

/** USDT per tick x lot of a symbol. */
export function usdtPerTickLot(spec: SymbolSpec): number {
  return Number(spec.tickSize) * Number(spec.stepSize);
}

/** The collateral's spot book as an engine symbol, quoted at par. */
export function collateralSpotSpec(collateral: CollateralConfig): SymbolSpec {
  return {
    symbol: collateral.spotSymbol,
    tickSize: collateral.tickSize,
    stepSize: collateral.stepSize,
    referencePriceTicks: Math.round(1 / Number(collateral.tickSize)),
  };
}

/**
 * Accounts margined by the collateral asset alone, each long one perpetual (symbols in turn),
 * opened against the house `entryAbovePct` above the reference price: they carry a loss, as
 * accounts that bought before a fall do, and sit close to maintenance. Collateral C (units,
 * valued at par now) leaves a drop d of the collateral's price before liquidation:
 *   C x (1 - d) + cash = loss + maintenance   =>   C = (loss + maintenance - cash) / (1 - d),
 * d spread evenly (with seeded jitter) over [liquidationDropMinPct, liquidationDropMaxPct]; the
 * cash is what the opening fee left (negative). Opened before any other position, so the
 * perpetual's last price returns to the reference with the next trade there. Returns the ids.
 */
export function openCollateralAccounts(
  perp: MatchingEngine,
  config: ExchangeConfig,
  collateral: CollateralConfig,
  firstAccountId: number,
  random: Random,
): number[] {
  const ids: number[] = [];
  for (const plan of collateralAccountPlan(config, collateral, firstAccountId, random)) {
    const { accountId, spec: symbol, lots, entryTicks } = plan;
    const order = {
      symbol: symbol.symbol,
      type: "LIMIT" as const,
      lots,
      priceTicks: entryTicks,
      clientOrderId: "",
    };
    perp.submitOrder({ ...order, accountId: HOUSE_ACCOUNT, side: "SELL", timeInForce: "GTC" });
    const taken = perp.submitOrder({ ...order, accountId, side: "BUY", timeInForce: "IOC" });
    if ("error" in taken || taken.order.executedLots !== lots)
      throw new Error(`collateral account ${accountId} could not open its position`);
    const cashUsdt = perp.account(accountId).wallet / 10 ** perp.cashDecimals;
    perp.depositCollateral(accountId, collateral.asset, collateralUnits(plan, cashUsdt));
    perp.createAccount(accountId, 0);
    perp.setLeverage(accountId, symbol.symbol, 20);
    ids.push(accountId);
  }
  return ids;
}

/** One collateral-margined long as openCollateralAccounts opens it. */
export interface CollateralAccountPlan {
  accountId: number;
  spec: SymbolSpec;
  lots: number;
  entryTicks: number;
  /** The drop of the collateral's price that brings it to maintenance, fraction. */
  drop: number;
  /** Its loss at the reference price and its maintenance margin there, USDT. */
  lossUsdt: number;
  maintenanceUsdt: number;
}

/**
 * The collateral accounts' positions and liquidation drops, drawing their jitter from `random`
 * (the market model's, before anything else draws from it): what openCollateralAccounts opens and
 * the fluid cascade (market/fluidCascade.ts) holds. Pure but for `random`.
 */
export function collateralAccountPlan(
  config: ExchangeConfig,
  collateral: CollateralConfig,
  firstAccountId: number,
  random: Random,
): CollateralAccountPlan[] {
  const spec = collateral.accounts;
  const plans: CollateralAccountPlan[] = [];
  for (let i = 0; i < spec.count; i++) {
    const symbol = config.symbols[i % config.symbols.length] as SymbolSpec;
    const perTickLot = usdtPerTickLot(symbol);
    const entryTicks = Math.round(symbol.referencePriceTicks * (1 + spec.entryAbovePct / 100));
    const lots = Math.max(
      1,
      Math.round(
        spec.notionalUsdt / (symbol.referencePriceTicks * Number(symbol.tickSize)) / Number(symbol.stepSize),
      ),
    );
    const drop =
      (spec.liquidationDropMinPct +
        ((spec.liquidationDropMaxPct - spec.liquidationDropMinPct) * (i + random())) /
          Math.max(1, spec.count)) /
      100;
    plans.push({
      accountId: firstAccountId + i,
      spec: symbol,
      lots,
      entryTicks,
      drop,
      lossUsdt: lots * (entryTicks - symbol.referencePriceTicks) * perTickLot,
      maintenanceUsdt: lots * symbol.referencePriceTicks * perTickLot * MAINTENANCE_RATE,
    });
  }
  return plans;
}

/** Collateral units that leave the account `plan.drop` of the collateral's price from maintenance, given its cash (USDT, the opening fee's debit). */
export function collateralUnits(plan: CollateralAccountPlan, cashUsdt: number): number {
  return Math.ceil((plan.lossUsdt + plan.maintenanceUsdt - cashUsdt) / (1 - plan.drop));
}
