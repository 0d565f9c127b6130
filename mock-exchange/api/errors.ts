/**
 * The exchange dialect's error catalog, in the Binance USDⓈ-M futures shape `{code, msg}`
 * (developers.binance.com derivatives/usds-margined-futures "Error Codes"). One place for every
 * code the mock answers; tests assert on these codes, never on messages.
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
  BAD_SYMBOL: e(400, -1121, "Invalid symbol."),
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
  PRICE_LESS_THAN_ZERO: e(400, -4001, "Price less than 0."),
  QTY_LESS_THAN_ZERO: e(400, -4003, "Quantity less than or equal to zero."),
  PRICE_NOT_INCREASED_BY_TICK_SIZE: e(400, -4014, "Price not increased by tick size."),
  CLIENT_ORDER_ID_INVALID: e(400, -4015, "Client order id is not valid."),
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
} as const satisfies Record<string, ExchangeErrorSpec>;

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
