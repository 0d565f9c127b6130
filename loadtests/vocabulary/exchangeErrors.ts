/**
 * The exchange dialect's error catalog, in the Binance USDⓈ-M futures shape `{code, msg}`
 * (developers.binance.com derivatives/usds-margined-futures "Error Codes"). One place for every
 * code the mock answers; tests assert on these codes, never on messages. In the vocabulary
 * because the venue's model, its HTTP layer and the simulators answer with the same entries.
 */

export interface ExchangeErrorSpec {
  status: number;
  code: number;
  msg: string;
}

function e(status: number, code: number, msg: string): ExchangeErrorSpec {
  return { status, code, msg };
}

export const ERR = {
  UNKNOWN: e(500, -1000, "An unknown error occured while processing the request."),
  TOO_MANY_REQUESTS: e(
    429,
    -1003,
    "Too many requests; current limit is {limit} requests per minute. Please use the websocket for live updates to avoid polling the API.",
  ),
  /** An IP banned for not backing off after 429s (mock-exchange/limits/banList.ts); `until` in ms since the epoch. */
  BANNED: e(
    418,
    -1003,
    "Way too many requests; IP({ip}) banned until {until}. Please use the websocket for live updates to avoid bans.",
  ),
  /** Order-rate limit per account (mock-exchange/limits/orderCountLimiter.ts), e.g. "300 orders per 10 SECOND". */
  TOO_MANY_ORDERS: e(429, -1015, "Too many new orders; current limit is {limit} orders per {interval}."),
  /** Queue timeout: the gateway gave up; Binance: "execution status unknown". */
  TIMEOUT: e(
    503,
    -1007,
    "Timeout waiting for response from backend server. Send status unknown; execution status unknown.",
  ),
  /** System-level protection: shed before queueing. */
  OVERLOADED: e(
    503,
    -1008,
    "Server is currently overloaded with other requests. Please try again in a few minutes.",
  ),
  /** A dependency fault (capacity model): the backend failed; not a modelled queueing refusal. */
  INTERNAL: e(500, -1001, "Internal error; unable to process your request. Please try again."),
  /** No capacity at all (region down, failover not yet done): what a load balancer answers. */
  UNAVAILABLE: e(502, -1001, "Service unavailable: no backend instance is serving."),
  INVALID_TIMESTAMP: e(400, -1021, "Timestamp for this request is outside of the recvWindow."),
  INVALID_SIGNATURE: e(400, -1022, "Signature for this request is not valid."),
  NOT_FOUND: e(404, -1000, "Unknown endpoint {path}."),
  /**
   * What Node's HTTP parser cannot read (mock-exchange/api/listener.ts "clientError"): a malformed request line or
   * header, headers past the 16 KiB limit, a client too slow to send its request. Still a dialect
   * body, never an empty 400.
   */
  MALFORMED_REQUEST: e(400, -1000, "Malformed HTTP request."),
  HEADERS_TOO_LARGE: e(431, -1000, "Request line and headers larger than the server accepts."),
  REQUEST_TIMEOUT: e(408, -1000, "Request not received in time."),
  /** A request line of another HTTP version than 1.0 or 1.1 (HTTP/0.9's `GET /` with none at all); then closed. */
  HTTP_VERSION_NOT_SUPPORTED: e(505, -1000, "HTTP version {version} not supported; use HTTP/1.1."),
  /** A WebSocket upgrade past `streams.maxConnections` open connections (api/streams/upgrade.ts). */
  TOO_MANY_CONNECTIONS: e(503, -1000, "Too many open stream connections (at most {max}); try again later."),
  METHOD_NOT_ALLOWED: e(405, -1000, "Method {method} not allowed on {path}."),
  PAYLOAD_TOO_LARGE: e(413, -1000, "Request body larger than {max} bytes."),
  ILLEGAL_CHARS: e(400, -1100, "Illegal characters found in parameter '{name}'."),
  DUPLICATE_PARAM: e(400, -1101, "Duplicate values for parameter '{name}'."),
  MANDATORY_PARAM: e(400, -1102, "Mandatory parameter '{name}' was not sent, was empty/null, or malformed."),
  UNREAD_PARAM: e(400, -1106, "Parameter '{name}' sent when not required."),
  BAD_PRECISION: e(400, -1111, "Precision is over the maximum defined for this asset."),
  INVALID_TIF: e(400, -1115, "Invalid timeInForce."),
  INVALID_ORDER_TYPE: e(400, -1116, "Invalid orderType."),
  INVALID_SIDE: e(400, -1117, "Invalid side."),
  /** klines: an interval not in Binance's list (1m ... 1M). */
  BAD_INTERVAL: e(400, -1120, "Invalid interval."),
  BAD_SYMBOL: e(400, -1121, "Invalid symbol."),
  /** userTrades: startTime..endTime longer than 7 days (Binance USDⓈ-M "Account Trade List"). */
  INTERVAL_TOO_BIG: e(400, -1127, "More than {hours} hours between startTime and endTime."),
  /** PUT on an order that cannot be modified (not an open LIMIT, or quantity not above executed). */
  MODIFY_NOT_ALLOWED: e(
    400,
    -1130,
    "Data sent for parameter 'quantity' or 'price' is not valid for this order.",
  ),
  BAD_PARAM_COMBO: e(400, -1128, "Combination of optional parameters invalid."),
  INVALID_PARAMETER: e(400, -1130, "Data sent for parameter '{name}' is not valid."),
  UNKNOWN_ORDER: e(400, -2011, "Unknown order sent."),
  NO_SUCH_ORDER: e(400, -2013, "Order does not exist."),
  WOULD_IMMEDIATELY_TRIGGER: e(400, -2021, "Order would immediately trigger."),
  MARGIN_INSUFFICIENT: e(400, -2019, "Margin is insufficient."),
  REDUCE_ONLY_REJECTED: e(400, -2022, "ReduceOnly Order is rejected."),
  /** X-MBX-APIKEY missing (or empty) on a keyed endpoint. */
  API_KEY_FORMAT: e(401, -2014, "API-key format invalid."),
  INVALID_API_KEY: e(401, -2015, "Invalid API-key, IP, or permissions for action."),
  /** PUT /fapi/v1/listenKey without an active key, or a stream connection with an unknown or lapsed one. */
  LISTEN_KEY_NOT_FOUND: e(400, -1125, "This listenKey does not exist."),
  /** A WebSocket path naming no stream the venue has (mock-exchange/api/streams/upgrade.ts). */
  UNKNOWN_STREAM: e(400, -1130, "Data sent for parameter 'streams' is not valid: {stream}."),
  PRICE_LESS_THAN_ZERO: e(400, -4001, "Price less than 0."),
  QTY_LESS_THAN_ZERO: e(400, -4003, "Quantity less than or equal to zero."),
  PRICE_NOT_INCREASED_BY_TICK_SIZE: e(400, -4014, "Price not increased by tick size."),
  CLIENT_ORDER_ID_INVALID: e(400, -4015, "Client order id is not valid."),
  /** newClientOrderId of one of the account's open orders (Binance: "A unique id among open orders"). */
  DUPLICATE_CLIENT_ORDER_ID: e(400, -4116, "ClientOrderId is duplicated."),
  /** Above the symbol's PRICE_FILTER maxPrice / LOT_SIZE maxQty (exchangeInfo). */
  PRICE_GREATER_THAN_MAX_PRICE: e(400, -4002, "Price greater than max price."),
  QTY_GREATER_THAN_MAX_QTY: e(400, -4005, "Quantity greater than max quantity."),
  STOP_PRICE_LESS_THAN_ZERO: e(400, -4006, "Stop price less than zero."),
  STOP_PRICE_GREATER_THAN_MAX_PRICE: e(400, -4007, "Stop price greater than max price."),
  INVALID_LEVERAGE: e(400, -4028, "Leverage {value} is not valid"),
  QTY_NOT_INCREASED_BY_STEP_SIZE: e(400, -4023, "Qty not increased by step size."),
  MIN_NOTIONAL: e(
    400,
    -4164,
    "Order's notional must be no smaller than the symbol's minimum notional (unless you choose reduce only).",
  ),
  FOK_NOT_FILLABLE: e(
    400,
    -5021,
    "Due to the order could not be filled immediately, the FOK order has been rejected.",
  ),
  POST_ONLY_WOULD_TAKE: e(
    400,
    -5022,
    "Due to the order could not be executed as maker, the Post Only order will be rejected.",
  ),
  /**
   * The control plane (`/__stampede/*`, api/control.ts) is stampede's own, not the dialect: its
   * refusals use codes of their own, -99xx, a range Binance does not use, so a client can never
   * mistake one for a venue's answer.
   */
  CONTROL_UNAUTHORIZED: e(
    401,
    -9901,
    "The control plane needs Authorization: Bearer <control token> (printed by stampede serve; a drill's mock writes it to the run folder's control-token file).",
  ),
  /** A state-changing control request without the lease of the drill that holds the venue. */
  CONTROL_LEASED: e(
    409,
    -9902,
    "The venue is leased by a running drill until {until}; a state-changing control request must carry its X-Stampede-Lease.",
  ),
  /** Renewing or releasing a lease that is not the one in force (lapsed, released, or another's). */
  LEASE_NOT_HELD: e(409, -9903, "Lease {lease} is not in force (it lapsed, was released, or is another's)."),
} as const satisfies Record<string, ExchangeErrorSpec>;

/**
 * Answers to bad WebSocket control messages (SUBSCRIBE, ...), with their own small codes
 * (Binance "Live Subscribing/Unsubscribing to streams", "Error Messages"); sent as
 * `{code, msg, id}` on the socket, no HTTP status.
 */
export const WS_ERR = {
  UNKNOWN_PROPERTY: { code: 0, msg: "Unknown property" },
  INVALID_VALUE_TYPE: { code: 1, msg: "Invalid value type: expected Boolean" },
  INVALID_REQUEST: { code: 2, msg: "Invalid request: {detail}" },
  INVALID_JSON: { code: 3, msg: "Invalid JSON: {detail}" },
} as const satisfies Record<string, { code: number; msg: string }>;

/** The JSON body of an error, with `{placeholders}` in the message filled in. */
export function errorBody(spec: ExchangeErrorSpec, fields?: Record<string, string | number>): string {
  let msg = spec.msg;
  if (fields !== undefined) {
    for (const key of Object.keys(fields)) msg = msg.replace(`{${key}}`, String(fields[key]));
  }
  return JSON.stringify({ code: spec.code, msg });
}

/** Thrown by parameter validation at the HTTP edge; carries the catalog entry. */
export class ApiError extends Error {
  constructor(
    readonly spec: ExchangeErrorSpec,
    readonly fields?: Record<string, string | number>,
  ) {
    super(spec.msg);
  }
}
