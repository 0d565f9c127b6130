/**
 * Engine vocabulary. Prices and quantities are integers (ticks and lots) inside the
 * engine so matching is exact; the API converts decimal strings at the edge.
 */

export type Side = "BUY" | "SELL";
/** STOP_MARKET / TAKE_PROFIT_MARKET wait for the mark price to reach stopPriceTicks, then run as MARKET. */
export type OrderType = "LIMIT" | "MARKET" | "STOP_MARKET" | "TAKE_PROFIT_MARKET";
/** GTC rests, IOC fills what it can now, FOK all-or-nothing, GTX post-only. */
export type TimeInForce = "GTC" | "IOC" | "FOK" | "GTX";
export type OrderStatus = "NEW" | "PARTIALLY_FILLED" | "FILLED" | "CANCELED" | "EXPIRED";

export interface SymbolSpec {
  symbol: string;
  /** Decimal string, e.g. "0.10": one tick of price. */
  tickSize: string;
  /** Decimal string, e.g. "0.001": one lot of quantity. */
  stepSize: string;
  /** Price (in ticks) around which the house market maker quotes at reset. */
  referencePriceTicks: number;
  /** Decimal string in the quote asset, e.g. "5": orders below it are rejected (-4164). Default none. */
  minNotional?: string;
}

export interface Order {
  orderId: number;
  clientOrderId: string;
  accountId: number;
  symbol: string;
  side: Side;
  type: OrderType;
  timeInForce: TimeInForce;
  /** Limit price in ticks; 0 for MARKET. */
  priceTicks: number;
  origLots: number;
  executedLots: number;
  /** Sum of fill price x fill lots, in ticks x lots, for the average price. */
  cumQuoteTicksLots: number;
  status: OrderStatus;
  /** Set by the engine on every order it creates; optional only so hand-built Orders stay valid. */
  reduceOnly?: boolean;
  closePosition?: boolean;
  /** Trigger price in ticks for conditional orders; 0 otherwise. */
  stopPriceTicks?: number;
  /** True for the liquidation engine's own orders. */
  liquidation?: boolean;
  /** Unix ms, from the injected clock. */
  time: number;
  updateTime: number;
}

export interface Position {
  symbol: string;
  /** Signed lots: > 0 long, < 0 short (one-way mode). */
  amountLots: number;
  /** Average entry price in ticks (fractional); 0 when flat. */
  entryPriceTicks: number;
  /** Realised PnL in ticks x lots (convert with tickSize x stepSize). */
  realizedTicksLots: number;
  /** Unix ms of the last change to this position (a fill). 0 if it never changed. */
  updateTime: number;
}

export type EngineErrorCode =
  | "UNKNOWN_ORDER" // -2011
  | "NO_SUCH_ORDER" // -2013
  | "DUPLICATE_CLIENT_ORDER_ID" // -4116 (Binance: "clientOrderId is duplicated"; unique among open orders)
  | "POST_ONLY_WOULD_TAKE" // -5022 GTX order would immediately match
  | "FOK_NOT_FILLABLE"; // -5021 FOK order could not be filled entirely

/** Codes the richer entry points (submitOrder, modifyOrder, ...) may also return. */
export type OrderErrorCode =
  | EngineErrorCode
  | "MIN_NOTIONAL" // -4164 order's notional must be no smaller than the minimum
  | "REDUCE_ONLY_REJECTED" // -2022 reduce-only order rejected
  | "MARGIN_INSUFFICIENT" // -2019 margin is insufficient
  | "WOULD_IMMEDIATELY_TRIGGER" // -2021 order would immediately trigger
  | "INVALID_ORDER" // -1106/-4xxx parameter combination not allowed (e.g. closePosition on LIMIT)
  | "MODIFY_NOT_ALLOWED"; // -5026/-4xxx only open LIMIT orders can be modified, quantity > executed

export interface EngineError<C extends string = EngineErrorCode> {
  error: C;
}

export interface PlaceOrderInput {
  accountId: number;
  symbol: string;
  side: Side;
  type: OrderType;
  timeInForce: TimeInForce;
  lots: number;
  /** Required for LIMIT; ignored for MARKET. */
  priceTicks: number;
  /** Optional; generated when empty. */
  clientOrderId: string;
  /** Never increase the position: rejected (-2022) if it would, clamped to the position otherwise. */
  reduceOnly?: boolean;
  /** STOP_MARKET / TAKE_PROFIT_MARKET only: close the whole position when triggered (lots ignored). */
  closePosition?: boolean;
  /** Trigger price in ticks for STOP_MARKET / TAKE_PROFIT_MARKET (compared with the mark price). */
  stopPriceTicks?: number;
}

export interface Fill {
  makerOrderId: number;
  takerOrderId: number;
  makerAccountId: number;
  takerAccountId: number;
  priceTicks: number;
  lots: number;
}

/** Called once per position change, in the order the changes happened (for replication). */
export type PositionListener = (accountId: number, position: Readonly<Position>) => void;

/** Whether a code is one of the original (legacy) `EngineErrorCode`s. */
export const LEGACY_ERROR_CODES: ReadonlySet<string> = new Set([
  "UNKNOWN_ORDER",
  "NO_SUCH_ORDER",
  "DUPLICATE_CLIENT_ORDER_ID",
  "POST_ONLY_WOULD_TAKE",
  "FOK_NOT_FILLABLE",
]);

/** Mark price source: last trade, or median(index, last, index + moving average basis). */
export type MarkMode = "last" | "median";

/** One forced close by the liquidation engine or by auto-deleveraging (for a forceOrder stream). */
export interface LiquidationEvent {
  kind: "LIQUIDATION" | "ADL";
  accountId: number;
  symbol: string;
  /** Side of the closing order. */
  side: Side;
  lots: number;
  /** Average execution price in ticks (fractional). */
  avgPriceTicks: number;
  /** Limit price of the closing order in ticks: the account's bankruptcy price. */
  priceTicks: number;
  /** Quantity the closing order was for (the position), lots; `lots` is what it closed. */
  origLots: number;
  /** Mark price that triggered it. */
  markPriceTicks: number;
  time: number;
}

export type LiquidationListener = (event: Readonly<LiquidationEvent>) => void;

/**
 * Sells `units` of a liquidated account's collateral `asset` outside the engine (on its spot
 * book) and returns what the sale raised, cash units: an integer >= 0.
 */
export type CollateralSeizer = (accountId: number, asset: string, units: number) => number;

/**
 * Called once per conditional order the mark fired, after it executed (or expired: a
 * reduce-only order that no longer reduces), with the mark that fired it. The order is the
 * live object: read executedLots, cumQuoteTicksLots, status inside the listener. Must not call
 * back into the engine.
 */
export type StopTriggerListener = (order: Readonly<Order>, markTicks: number) => void;

/**
 * What happened to an order, as a user data stream reports it (Binance ORDER_TRADE_UPDATE `x`):
 * accepted (NEW), filled in part or whole (TRADE), cancelled, expired (IOC/MARKET remainder, a
 * reduce-only order that would no longer reduce), or modified (AMENDMENT).
 */
export type ExecutionType = "NEW" | "TRADE" | "CANCELED" | "EXPIRED" | "AMENDMENT";

/** The fill behind a TRADE update. The engine reuses one object: read it inside the listener. */
export interface OrderFillInfo {
  tradeId: number;
  lots: number;
  priceTicks: number;
  /** The order's executed lots after this fill. */
  executedLots: number;
  /** The order's Σ price x lots after this fill (ticks x lots), for its average price. */
  cumQuoteTicksLots: number;
  /** Whether the order was the resting (maker) side. */
  maker: boolean;
  /** Fee charged for this fill, cash units (>= 0). */
  feeCash: number;
  /** PnL this fill realised (before the fee), cash units. */
  realizedCash: number;
}

/**
 * Called for every order update, in the order they happen (NEW, then each TRADE, then EXPIRED
 * for a remainder). The order is the live object and `fill` is reused: serialize at once. Runs
 * synchronously inside the engine and must not call back into it (reads such as `account` are
 * fine).
 */
export type OrderUpdateListener = (
  type: ExecutionType,
  order: Readonly<Order>,
  fill: Readonly<OrderFillInfo> | undefined,
) => void;

/** Cross-margin summary of one account; cash in integer units of 10^-cashDecimals USDT. */
export interface AccountSummary {
  accountId: number;
  /** Deposits + realised PnL − fees ± funding + collateral conversion proceeds: cash only. */
  wallet: number;
  /** Collateral held, at its oracle price (Σ floor(units x cashPerUnit)); not cash. */
  collateralValue: number;
  unrealized: number;
  /** wallet + collateralValue + unrealized. */
  marginBalance: number;
  /** Positions' notional / leverage + resting orders' notional / leverage. */
  initialMargin: number;
  maintenanceMargin: number;
  /** marginBalance − initialMargin. */
  available: number;
  /** Whether the margin checks and the liquidation engine apply (accounts made by createAccount). */
  checked: boolean;
}
