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
  const spec = collateral.accounts;
  const ids: number[] = [];
  for (let i = 0; i < spec.count; i++) {
    const symbol = config.symbols[i % config.symbols.length] as SymbolSpec;
    const accountId = firstAccountId + i;
    const perTickLot = usdtPerTickLot(symbol);
    const entryTicks = Math.round(symbol.referencePriceTicks * (1 + spec.entryAbovePct / 100));
    const lots = Math.max(
      1,
      Math.round(
        spec.notionalUsdt / (symbol.referencePriceTicks * Number(symbol.tickSize)) / Number(symbol.stepSize),
      ),
    );
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
    const lossUsdt = lots * (entryTicks - symbol.referencePriceTicks) * perTickLot;
    const maintenanceUsdt = lots * symbol.referencePriceTicks * perTickLot * MAINTENANCE_RATE;
    const cashUsdt = perp.account(accountId).wallet / 10 ** perp.cashDecimals;
    const d =
      (spec.liquidationDropMinPct +
        ((spec.liquidationDropMaxPct - spec.liquidationDropMinPct) * (i + random())) /
          Math.max(1, spec.count)) /
      100;
    const units = Math.ceil((lossUsdt + maintenanceUsdt - cashUsdt) / (1 - d));
    perp.depositCollateral(accountId, collateral.asset, units);
    perp.createAccount(accountId, 0);
    perp.setLeverage(accountId, symbol.symbol, 20);
    ids.push(accountId);
  }
  return ids;
}
