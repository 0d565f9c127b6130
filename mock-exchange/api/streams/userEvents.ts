import type {
  AccountSummary,
  ExecutionType,
  Order,
  OrderFillInfo,
  Position,
  SymbolSpec,
} from "../../engine/types.ts";
import type { Venue } from "../../venue.ts";
import { formatUnits } from "../params.ts";

/**
 * The user data stream's events as Binance USDⓈ-M sends them (ORDER_TRADE_UPDATE,
 * ACCOUNT_UPDATE, MARGIN_CALL), from the venue's engine state at the moment of the event.
 */

/** Maintenance rate the venue shows per position (venue/accountRoutes.ts accountInfo: the engine's default 4000 ppm). */
const MAINT_RATE = 0.004;

/** Binance "Margin Ratio" = maintenance margin / margin balance; liquidation at 1. Infinite when nothing is left. */
export function marginRatio(a: Pick<AccountSummary, "maintenanceMargin" | "marginBalance">): number {
  if (a.maintenanceMargin === 0) return 0;
  if (a.marginBalance <= 0) return Number.POSITIVE_INFINITY;
  return a.maintenanceMargin / a.marginBalance;
}

function cashString(v: Venue, units: number): string {
  return (units / 10 ** v.engine.cashDecimals).toFixed(8);
}

/** Open LIMIT orders' remaining notional per side (Binance ORDER_TRADE_UPDATE "b", "a"). */
function openNotional(v: Venue, accountId: number, spec: SymbolSpec): { bids: string; asks: string } {
  let bids = 0;
  let asks = 0;
  for (const o of v.engine.openOrders(accountId, spec.symbol)) {
    if (o.type !== "LIMIT") continue;
    const n = (o.origLots - o.executedLots) * o.priceTicks;
    if (o.side === "BUY") bids += n;
    else asks += n;
  }
  const unit = Number(spec.tickSize) * Number(spec.stepSize);
  return { bids: (bids * unit).toFixed(8), asks: (asks * unit).toFixed(8) };
}

/**
 * ORDER_TRADE_UPDATE (Binance USDⓈ-M "Event: Order Update"). The engine's liquidation orders are
 * `o: LIQUIDATION` with fills as `x: CALCULATED` and client id `autoclose-<id>`, as Binance sends
 * them. Status of a fill: FILLED when it completed the order, else PARTIALLY_FILLED (a remainder
 * that expires gets its own EXPIRED update).
 */
export function orderTradeUpdateJson(
  v: Venue,
  type: ExecutionType,
  order: Readonly<Order>,
  fill: Readonly<OrderFillInfo> | undefined,
  t: number,
): string {
  const spec = v.spec(order.symbol);
  const tick = Number(spec.tickSize);
  const executed = fill?.executedLots ?? order.executedLots;
  const quote = fill?.cumQuoteTicksLots ?? order.cumQuoteTicksLots;
  const liquidation = order.liquidation === true;
  let status: string = type;
  if (type === "TRADE") status = executed === order.origLots ? "FILLED" : "PARTIALLY_FILLED";
  else if (type === "AMENDMENT") status = order.status;
  const notional = openNotional(v, order.accountId, spec);
  const orderType = liquidation ? "LIQUIDATION" : order.type;
  return JSON.stringify({
    e: "ORDER_TRADE_UPDATE",
    E: t,
    T: t,
    o: {
      s: order.symbol,
      c: order.clientOrderId,
      S: order.side,
      o: orderType,
      f: order.timeInForce,
      q: formatUnits(order.origLots, spec.stepSize),
      p: formatUnits(order.priceTicks, spec.tickSize),
      ap: (executed > 0 ? (quote / executed) * tick : 0).toFixed(8),
      sp: formatUnits(order.stopPriceTicks ?? 0, spec.tickSize),
      x: type === "TRADE" && liquidation ? "CALCULATED" : type,
      X: status,
      i: order.orderId,
      l: formatUnits(fill?.lots ?? 0, spec.stepSize),
      z: formatUnits(executed, spec.stepSize),
      L: formatUnits(fill?.priceTicks ?? 0, spec.tickSize),
      N: "USDT",
      n: cashString(v, fill?.feeCash ?? 0),
      T: t,
      t: fill?.tradeId ?? 0,
      b: notional.bids,
      a: notional.asks,
      m: fill?.maker ?? false,
      R: order.reduceOnly === true,
      wt: "MARK_PRICE",
      ot: orderType,
      ps: "BOTH",
      cp: order.closePosition === true,
      rp: cashString(v, fill?.realizedCash ?? 0),
      pP: false,
      si: 0,
      ss: 0,
      V: "NONE",
      pm: "NONE",
      gtd: 0,
    },
  });
}

/** ACCOUNT_UPDATE (Binance USDⓈ-M "Event: Balance and Position Update"): the USDT balance and the changed position. */
export function accountUpdateJson(v: Venue, accountId: number, p: Readonly<Position>, t: number): string {
  const spec = v.spec(p.symbol);
  const tick = Number(spec.tickSize);
  const step = Number(spec.stepSize);
  const mark = v.engine.markPriceTicks(p.symbol);
  const wallet = cashString(v, v.engine.account(accountId).wallet);
  const unrealized = p.amountLots === 0 ? 0 : p.amountLots * step * (mark - p.entryPriceTicks) * tick;
  return JSON.stringify({
    e: "ACCOUNT_UPDATE",
    E: t,
    T: t,
    a: {
      m: "ORDER",
      // No deposits or transfers on the venue: the balance changes only by PnL and fees.
      B: [{ a: "USDT", wb: wallet, cw: wallet, bc: "0" }],
      P: [
        {
          s: p.symbol,
          pa: formatUnits(p.amountLots, spec.stepSize),
          ep: (p.entryPriceTicks * tick).toFixed(8),
          bep: (p.entryPriceTicks * tick).toFixed(8),
          cr: (p.realizedTicksLots * tick * step).toFixed(8),
          up: unrealized.toFixed(8),
          mt: "cross",
          iw: "0",
          ps: "BOTH",
        },
      ],
    },
  });
}

/** MARGIN_CALL (Binance USDⓈ-M "Event: Margin Call"): the cross wallet and every open position. */
export function marginCallJson(v: Venue, accountId: number, a: AccountSummary, t: number): string {
  const positions: Record<string, unknown>[] = [];
  for (const p of v.engine.positions(accountId)) {
    if (p.amountLots === 0) continue;
    const spec = v.spec(p.symbol);
    const tick = Number(spec.tickSize);
    const step = Number(spec.stepSize);
    const mark = v.engine.markPriceTicks(p.symbol);
    positions.push({
      s: p.symbol,
      ps: "BOTH",
      pa: formatUnits(p.amountLots, spec.stepSize),
      mt: "CROSSED",
      iw: "0",
      mp: (mark * tick).toFixed(8),
      up: (p.amountLots * step * (mark - p.entryPriceTicks) * tick).toFixed(8),
      mm: (Math.abs(p.amountLots * step * mark * tick) * MAINT_RATE).toFixed(8),
    });
  }
  return JSON.stringify({ e: "MARGIN_CALL", E: t, cw: cashString(v, a.wallet), p: positions });
}
