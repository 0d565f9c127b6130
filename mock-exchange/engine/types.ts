/**
 * Engine vocabulary. Prices and quantities are integers (ticks and lots) inside the
 * engine so matching is exact; the API converts decimal strings at the edge.
 */

export type Side = "BUY" | "SELL";
export type OrderType = "LIMIT" | "MARKET";
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
  | "DUPLICATE_CLIENT_ORDER_ID" // -4015 (Binance: "Client order id is not valid")
  | "POST_ONLY_WOULD_TAKE" // -5022 GTX order would immediately match
  | "FOK_NOT_FILLABLE"; // -5021 FOK order could not be filled entirely

export interface EngineError {
  error: EngineErrorCode;
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
