import type { ExchangeConfig } from "../defaults.ts";
import type { Side, SymbolSpec } from "../engine/types.ts";
import { seededRandom } from "../random.ts";
import { usdtToCash } from "./cash.ts";
import type { Engine } from "./rooms.ts";
import { SIDES } from "./symbolFilters.ts";

/**
 * The house account: the market maker that quotes a ladder around each symbol's mid, and the
 * counterparty of the leveraged positions opened before the drill starts.
 */

export const HOUSE_ACCOUNT = 0;
/** The engine's maintenance margin rate (engine/exchange.ts maintenancePpm 4000) and taker fee (500 ppm). */
export const MAINTENANCE_RATE = 0.004;
export const TAKER_FEE_RATE = 0.0005;

type HouseConfig = Pick<ExchangeConfig, "symbols" | "makerLevels" | "makerLotsPerLevel">;

/** The house market maker quotes a ladder around each symbol's reference price. */
export function seedHouseLiquidity(engine: Engine, config: HouseConfig): void {
  for (const spec of config.symbols) {
    for (let level = 1; level <= config.makerLevels; level++) {
      for (const side of SIDES) quoteLevel(engine, config, spec, spec.referencePriceTicks, side, level);
    }
  }
}

/** The whole ladder around `midTicks`, one side after the other in the order given. */
export function quoteLadder(
  engine: Engine,
  config: HouseConfig,
  spec: SymbolSpec,
  midTicks: number,
  sides: readonly Side[],
): void {
  for (const side of sides)
    for (let level = 1; level <= config.makerLevels; level++)
      quoteLevel(engine, config, spec, midTicks, side, level);
}

function quoteLevel(
  engine: Engine,
  config: HouseConfig,
  spec: SymbolSpec,
  midTicks: number,
  side: Side,
  level: number,
): void {
  // submitOrder: a re-quoted level may trade with client orders left behind by the move.
  engine.submitOrder({
    accountId: HOUSE_ACCOUNT,
    symbol: spec.symbol,
    side,
    type: "LIMIT",
    timeInForce: "GTC",
    lots: config.makerLotsPerLevel,
    priceTicks: midTicks + (side === "SELL" ? level : -level),
    clientOrderId: "",
  });
}

/**
 * config.leveragedAccounts: positions opened against the house at the reference price before
 * the ladder is quoted (so they trade exactly there), numbered after the clients' accounts.
 * Cross margin, one position: a long is liquidated at P where wallet + q(P - E) = m q P, so the
 * wallet q E (1 - (1 - m)(1 - d)) puts it d below the entry; a short's q E ((1 + m)(1 + d) - 1)
 * puts it d above (engine maintenance rate m = 0.4%). The taker fee is added to the deposit.
 */
export function openLeveragedPositions(engine: Engine, config: ExchangeConfig): void {
  const cd = engine.cashDecimals;
  for (const plan of leveragedPositionPlan(config)) {
    const { spec, long, lots, marginUsdt, notionalUsdt, accountId } = plan;
    engine.createAccount(accountId, usdtToCash(marginUsdt + notionalUsdt * TAKER_FEE_RATE, cd));
    engine.setLeverage(accountId, spec.symbol, plan.leverage);
    const order = {
      symbol: spec.symbol,
      type: "LIMIT" as const,
      lots,
      priceTicks: spec.referencePriceTicks,
      clientOrderId: "",
    };
    engine.submitOrder({
      ...order,
      accountId: HOUSE_ACCOUNT,
      side: long ? "SELL" : "BUY",
      timeInForce: "GTC",
    });
    const taken = engine.submitOrder({
      ...order,
      accountId,
      side: long ? "BUY" : "SELL",
      timeInForce: "IOC",
    });
    if ("error" in taken || taken.order.executedLots !== lots)
      throw new Error(`leveraged account ${accountId} could not open its position`);
  }
}

/** One leveraged position as opened at the reference price (openLeveragedPositions). */
export interface LeveragedPosition {
  accountId: number;
  /** Index in config.leveragedAccounts (groups of one long and one short per symbol). */
  index: number;
  spec: SymbolSpec;
  long: boolean;
  /** Distance of the liquidation price from the entry, fraction. */
  distance: number;
  lots: number;
  notionalUsdt: number;
  /** The wallet that puts the liquidation price `distance` from the entry, USDT (the taker fee comes on top). */
  marginUsdt: number;
  /** The least leverage that opens the position with that wallet (at most 125). */
  leverage: number;
}

/**
 * The leveraged positions of config.leveragedAccounts, with their seeded jitter: what
 * openLeveragedPositions opens on an engine and the fluid cascade (market/fluidCascade.ts) holds
 * as open interest by liquidation price. Pure.
 */
export function leveragedPositionPlan(config: ExchangeConfig): LeveragedPosition[] {
  const lev = config.leveragedAccounts;
  const random = seededRandom(config.seed ^ 0x1e7e4);
  const symbols = config.symbols;
  const plans: LeveragedPosition[] = [];
  for (let i = 0; i < lev.count; i++) {
    const spec = symbols[i % symbols.length] as SymbolSpec;
    const long = Math.floor(i / symbols.length) % 2 === 0;
    const d =
      (lev.liquidationDistanceMinPct +
        ((lev.liquidationDistanceMaxPct - lev.liquidationDistanceMinPct) * (i + random())) / lev.count) /
      100;
    const priceUsdt = spec.referencePriceTicks * Number(spec.tickSize);
    const lots = Math.max(1, Math.round(lev.notionalUsdt / priceUsdt / Number(spec.stepSize)));
    const notional = lots * Number(spec.stepSize) * priceUsdt;
    const m = MAINTENANCE_RATE;
    const marginUsdt = long ? notional * (1 - (1 - m) * (1 - d)) : notional * ((1 + m) * (1 + d) - 1);
    plans.push({
      accountId: config.accounts + 1 + i,
      index: i,
      spec,
      long,
      distance: d,
      lots,
      notionalUsdt: notional,
      marginUsdt,
      leverage: Math.min(125, Math.ceil(notional / marginUsdt)),
    });
  }
  return plans;
}
