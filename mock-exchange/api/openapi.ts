import { MARKET_DATA_ROUTE_DOCS, MARKET_DATA_SCHEMAS } from "./openapiMarketData.ts";
import {
  arrayOf,
  bool,
  dec,
  int,
  obj,
  oneOrAll,
  type Param,
  type RouteDoc,
  ref,
  type Schema,
  str,
  symbol,
} from "./openapiSchema.ts";
import { DEPTH_LIMITS, ROUTES, type Route, type RouteName } from "./routes.ts";

/**
 * OpenAPI 3.1 description of the dialect (/fapi) and the control plane (/__stampede, /metrics),
 * served at GET /__stampede/openapi.json. Paths, methods and weights come from ROUTES; each
 * route's parameters and 200 body are declared per RouteName below (a Record, so a new route
 * without a schema does not compile). Binance sends decimals as strings: `Decimal` is a string
 * with a decimal pattern. Errors share one `Error` schema `{code, msg}`.
 */

const ORDER = obj(
  {
    orderId: int,
    symbol: str,
    status: { type: "string", enum: ["NEW", "PARTIALLY_FILLED", "FILLED", "CANCELED", "EXPIRED"] },
    clientOrderId: str,
    price: dec,
    avgPrice: dec,
    origQty: dec,
    executedQty: dec,
    cumQty: dec,
    cumQuote: dec,
    timeInForce: ref("TimeInForce"),
    type: ref("OrderType"),
    reduceOnly: bool,
    closePosition: bool,
    side: ref("Side"),
    positionSide: str,
    stopPrice: dec,
    workingType: str,
    priceProtect: bool,
    origType: ref("OrderType"),
    priceMatch: str,
    selfTradePreventionMode: str,
    goodTillDate: int,
    time: int,
    updateTime: int,
  },
  ["time"],
);

const POSITION_COMMON = {
  symbol: str,
  positionSide: str,
  positionAmt: dec,
  entryPrice: dec,
  breakEvenPrice: dec,
  markPrice: dec,
  unRealizedProfit: dec,
  liquidationPrice: dec,
  isolatedMargin: dec,
  notional: dec,
  isolatedWallet: dec,
  updateTime: int,
};

const ACCOUNT_TOTALS = {
  totalInitialMargin: dec,
  totalMaintMargin: dec,
  totalWalletBalance: dec,
  totalUnrealizedProfit: dec,
  totalMarginBalance: dec,
  totalCrossWalletBalance: dec,
  totalCrossUnPnl: dec,
  availableBalance: dec,
  maxWithdrawAmount: dec,
};

const ACCOUNT_ASSET = obj({
  asset: str,
  walletBalance: dec,
  unrealizedProfit: dec,
  marginBalance: dec,
  maintMargin: dec,
  initialMargin: dec,
  crossWalletBalance: dec,
  crossUnPnl: dec,
  availableBalance: dec,
  maxWithdrawAmount: dec,
  updateTime: int,
});

const ACCOUNT_POSITION_V3 = {
  symbol: str,
  positionSide: str,
  positionAmt: dec,
  unrealizedProfit: dec,
  isolatedMargin: dec,
  notional: dec,
  isolatedWallet: dec,
  initialMargin: dec,
  maintMargin: dec,
  updateTime: int,
};

const SCHEMAS: Record<string, Schema> = {
  ...MARKET_DATA_SCHEMAS,
  Error: {
    ...obj({ code: int, msg: str }),
    description: "Every refusal: a Binance error code (negative) and a message.",
  },
  Decimal: {
    type: "string",
    pattern: "^-?[0-9]+(\\.[0-9]+)?$",
    description: "A decimal number sent as a string, as Binance does.",
  },
  Side: { type: "string", enum: ["BUY", "SELL"] },
  OrderType: { type: "string", enum: ["LIMIT", "MARKET", "STOP_MARKET", "TAKE_PROFIT_MARKET"] },
  TimeInForce: { type: "string", enum: ["GTC", "IOC", "FOK", "GTX"] },
  Order: ORDER,
  TickerPrice: obj({ symbol: str, price: dec, time: int }),
  PremiumIndex: obj({
    symbol: str,
    markPrice: dec,
    indexPrice: dec,
    estimatedSettlePrice: dec,
    lastFundingRate: dec,
    interestRate: dec,
    nextFundingTime: int,
    time: int,
  }),
  DepthLevel: { type: "array", items: dec, minItems: 2, maxItems: 2, description: "[price, quantity]" },
  Depth: obj({
    lastUpdateId: int,
    E: int,
    T: int,
    bids: arrayOf(ref("DepthLevel")),
    asks: arrayOf(ref("DepthLevel")),
  }),
  ExchangeInfo: obj({
    timezone: str,
    serverTime: int,
    futuresType: str,
    rateLimits: arrayOf(obj({ rateLimitType: str, interval: str, intervalNum: int, limit: int })),
    exchangeFilters: arrayOf({ type: "object" }),
    assets: arrayOf(obj({ asset: str, marginAvailable: bool, autoAssetExchange: dec })),
    symbols: arrayOf(
      obj({
        symbol: str,
        pair: str,
        contractType: str,
        deliveryDate: int,
        onboardDate: int,
        status: str,
        maintMarginPercent: dec,
        requiredMarginPercent: dec,
        baseAsset: str,
        quoteAsset: str,
        marginAsset: str,
        pricePrecision: int,
        quantityPrecision: int,
        baseAssetPrecision: int,
        quotePrecision: int,
        underlyingType: str,
        underlyingSubType: arrayOf(str),
        settlePlan: int,
        triggerProtect: dec,
        liquidationFee: dec,
        marketTakeBound: dec,
        filters: arrayOf({ type: "object", properties: { filterType: str }, required: ["filterType"] }),
        orderTypes: arrayOf(ref("OrderType")),
        timeInForce: arrayOf(ref("TimeInForce")),
      }),
    ),
  }),
  PositionRiskV2: obj({
    ...POSITION_COMMON,
    leverage: dec,
    maxNotionalValue: dec,
    marginType: str,
    isAutoAddMargin: str,
  }),
  PositionRiskV3: obj({
    ...POSITION_COMMON,
    marginAsset: str,
    initialMargin: dec,
    maintMargin: dec,
    positionInitialMargin: dec,
    openOrderInitialMargin: dec,
    adl: int,
    bidNotional: dec,
    askNotional: dec,
  }),
  Balance: obj({
    accountAlias: str,
    asset: str,
    balance: dec,
    crossWalletBalance: dec,
    crossUnPnl: dec,
    availableBalance: dec,
    maxWithdrawAmount: dec,
    marginAvailable: bool,
    updateTime: int,
  }),
  AccountV2: obj({
    feeTier: int,
    canTrade: bool,
    canDeposit: bool,
    canWithdraw: bool,
    multiAssetsMargin: bool,
    updateTime: int,
    ...ACCOUNT_TOTALS,
    assets: arrayOf(ACCOUNT_ASSET),
    positions: arrayOf(obj({ ...ACCOUNT_POSITION_V3, leverage: dec, entryPrice: dec, isolated: bool })),
  }),
  AccountV3: obj({
    ...ACCOUNT_TOTALS,
    assets: arrayOf(ACCOUNT_ASSET),
    positions: arrayOf(obj(ACCOUNT_POSITION_V3)),
  }),
  CodeMsg: obj({ code: int, msg: str }),
  OrderOrError: {
    oneOf: [ref("Order"), ref("Error")],
    description: "One element of a batch: the order, or why it was refused.",
  },
  UserTrade: obj({
    symbol: str,
    id: int,
    orderId: int,
    side: ref("Side"),
    price: dec,
    qty: dec,
    realizedPnl: dec,
    quoteQty: dec,
    commission: dec,
    commissionAsset: str,
    time: int,
    positionSide: str,
    buyer: bool,
    maker: bool,
  }),
  Leverage: obj({ leverage: int, maxNotionalValue: dec, symbol: str }),
  LeverageBracket: obj({
    symbol: str,
    brackets: arrayOf(
      obj({
        bracket: int,
        initialLeverage: int,
        notionalCap: { type: "number" },
        notionalFloor: { type: "number" },
        maintMarginRatio: { type: "number" },
        cum: { type: "number" },
      }),
    ),
  }),
};

const orderRefParams: Param[] = [
  { name: "orderId", schema: int, description: "orderId or origClientOrderId is mandatory." },
  { name: "origClientOrderId", schema: str },
];

const ROUTE_DOCS: Record<RouteName, RouteDoc> = {
  ...MARKET_DATA_ROUTE_DOCS,
  ping: { summary: "Test connectivity", params: [], ok: { type: "object", properties: {} } },
  time: { summary: "Server time", params: [], ok: obj({ serverTime: int }) },
  depth: {
    summary: "Order book",
    params: [symbol(true), { name: "limit", schema: { type: "integer", enum: [...DEPTH_LIMITS] } }],
    ok: ref("Depth"),
    weightNote: "limit 5-50: 2, 100: 5, 500 (default): 10, 1000: 20",
  },
  exchangeInfo: { summary: "Symbols, filters and rate limits", params: [], ok: ref("ExchangeInfo") },
  tickerPrice: {
    summary: "Last price",
    params: [symbol(false)],
    ok: oneOrAll("TickerPrice"),
    weightNote: "1 with a symbol, 2 without",
  },
  premiumIndex: {
    summary: "Mark price and funding",
    params: [symbol(false)],
    ok: oneOrAll("PremiumIndex"),
    weightNote: "1 with a symbol, 10 without",
  },
  newOrder: {
    summary: "New order",
    params: [
      symbol(true),
      { name: "side", required: true, schema: ref("Side") },
      { name: "type", required: true, schema: ref("OrderType") },
      { name: "timeInForce", schema: ref("TimeInForce"), description: "Mandatory for LIMIT." },
      { name: "quantity", schema: dec, description: "Mandatory unless closePosition=true." },
      { name: "price", schema: dec, description: "Mandatory for LIMIT, refused otherwise." },
      { name: "stopPrice", schema: dec, description: "Mandatory for STOP_MARKET / TAKE_PROFIT_MARKET." },
      { name: "reduceOnly", schema: { type: "string", enum: ["true", "false"] } },
      { name: "closePosition", schema: { type: "string", enum: ["true", "false"] } },
      { name: "newClientOrderId", schema: { type: "string", pattern: "^[.A-Z:/a-z0-9_-]{1,36}$" } },
    ],
    ok: ref("Order"),
    weightNote: "0 IP weight; counts on the order-rate limits",
  },
  batchOrders: {
    summary: "Place up to 5 orders",
    params: [
      {
        name: "batchOrders",
        required: true,
        schema: str,
        description:
          "JSON array of 1 to 5 objects with New Order's parameters; a malformed or longer list is -1130. Each order is validated and executed on its own.",
      },
    ],
    ok: arrayOf(ref("OrderOrError")),
    weightNote: "5; on the order-rate limits 5 per 10 s and 1 per minute",
  },
  cancelBatch: {
    summary: "Cancel up to 10 orders",
    params: [
      symbol(true),
      { name: "orderIdList", schema: str, description: "JSON array of orderIds, e.g. [1,2]." },
      {
        name: "origClientOrderIdList",
        schema: str,
        description: 'JSON array of client order ids, e.g. ["a","b"]; exactly one of the two lists.',
      },
    ],
    ok: arrayOf(ref("OrderOrError")),
  },
  userTrades: {
    summary: "The account's own fills on a symbol",
    params: [
      symbol(true),
      { name: "orderId", schema: int },
      { name: "startTime", schema: int },
      { name: "endTime", schema: int, description: "startTime..endTime at most 7 days (-1127)." },
      { name: "fromId", schema: int, description: "Trades from this id on; not with a time window." },
      { name: "limit", schema: { type: "integer", minimum: 1, maximum: 1000 }, description: "Default 500." },
    ],
    ok: arrayOf(ref("UserTrade")),
  },
  cancelOrder: { summary: "Cancel an order", params: [symbol(true), ...orderRefParams], ok: ref("Order") },
  getOrder: {
    summary: "Query an order (a final one for 3 natural days without a fill, 90 with; then -2013)",
    params: [symbol(true), ...orderRefParams],
    ok: ref("Order"),
  },
  modifyOrder: {
    summary: "Modify a LIMIT order",
    params: [
      symbol(true),
      ...orderRefParams,
      { name: "side", required: true, schema: ref("Side") },
      { name: "quantity", required: true, schema: dec },
      { name: "price", required: true, schema: dec },
    ],
    ok: ref("Order"),
  },
  cancelAll: { summary: "Cancel all open orders of a symbol", params: [symbol(true)], ok: ref("CodeMsg") },
  openOrders: {
    summary: "Open orders",
    params: [symbol(false)],
    ok: arrayOf(ref("Order")),
    weightNote: "1 with a symbol, 40 without",
  },
  positionRisk: { summary: "Positions (v2)", params: [symbol(false)], ok: arrayOf(ref("PositionRiskV2")) },
  positionRiskV3: { summary: "Positions (v3)", params: [symbol(false)], ok: arrayOf(ref("PositionRiskV3")) },
  balance: { summary: "Balances", params: [], ok: arrayOf(ref("Balance")) },
  account: { summary: "Account (v2)", params: [], ok: ref("AccountV2") },
  accountV3: { summary: "Account (v3)", params: [], ok: ref("AccountV3") },
  leverage: {
    summary: "Change initial leverage",
    params: [
      symbol(true),
      { name: "leverage", required: true, schema: { type: "integer", minimum: 1, maximum: 125 } },
    ],
    ok: ref("Leverage"),
  },
  leverageBracket: {
    summary: "Notional and leverage brackets",
    params: [symbol(false)],
    ok: oneOrAll("LeverageBracket"),
  },
  listenKeyStart: {
    summary:
      "Start a user data stream: the account's active listenKey (validity extended) or a new one; connect at /ws/<listenKey>",
    params: [],
    ok: obj({ listenKey: str }),
  },
  listenKeyKeepalive: {
    summary: "Keep the account's listenKey valid for another 60 minutes (-1125 when it has none)",
    params: [],
    ok: obj({ listenKey: str }),
  },
  listenKeyClose: {
    summary: "Close the account's user data stream and invalidate its listenKey",
    params: [],
    ok: { type: "object", properties: {} },
  },
};

const SIGNED_PARAMS: Param[] = [
  { name: "timestamp", required: true, schema: int, description: "Milliseconds since the epoch." },
  {
    name: "recvWindow",
    schema: { type: "integer", minimum: 1, maximum: 60_000 },
    description: "Default 5000.",
  },
  {
    name: "signature",
    required: true,
    schema: { type: "string", pattern: "^[0-9a-fA-F]{64}$" },
    description:
      "Hex HMAC-SHA256 of the query string followed by the body (signature removed), keyed with the account's secret. Not checked when auth.requireSignature is off.",
  },
];

const ERROR_STATUSES: Record<string, string> = {
  "400":
    "Bad request: parameters, timestamp (-1021) or signature (-1022), or a malformed HTTP request (-1000)",
  "401": "Missing (-2014) or unknown (-2015) API key",
  "404": "Unknown endpoint",
  "405": "Method not allowed on this path",
  "408":
    "Request line, headers or body not received within the listener's timeouts; the socket is then closed",
  "413": "Request body too large",
  "418": "IP banned (-1003) for sending on after 429s; Retry-After: seconds until the ban ends",
  "429": "Request weight limit exceeded (-1003); Retry-After: seconds until the window resets",
  "431": "Request line and headers larger than 16 KiB; the socket is then closed",
  "500": "Unknown (-1000) or internal (-1001) error",
  "502": "No backend instance serving (-1001)",
  "503": "Overloaded (-1008) or timed out waiting for the backend (-1007)",
  "505":
    "HTTP version other than 1.0 or 1.1, e.g. an HTTP/0.9 request line (-1000); the socket is then closed",
};

/**
 * What the listener itself may answer on any path, before a route is looked at (api/server.ts:
 * Node's parser, the version check). 413 is added where a body is read: non-GET dialect routes
 * and every control path.
 */
const LISTENER_STATUSES = ["400", "408", "431", "505"] as const;

const errorResponse = (description: string) => ({
  description,
  content: { "application/json": { schema: ref("Error") } },
});

function errorResponses(statuses: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(statuses.map((s) => [s, errorResponse(ERROR_STATUSES[s] as string)]));
}

function jsonOk(description: string, schema: Schema) {
  return { "200": { description, content: { "application/json": { schema } } } };
}

const intHeader = (description: string) => ({ description, schema: int });

/** Response headers of the dialect (reference.md "Limits"). */
const HEADERS = {
  usedWeight: {
    "X-MBX-USED-WEIGHT-1M": intHeader(
      "Request weight the client IP used in the current minute window (windows compressed by the time scale).",
    ),
  },
  orderCount: {
    "X-MBX-ORDER-COUNT-10S": intHeader("Orders the account placed in the current 10 s window."),
    "X-MBX-ORDER-COUNT-1M": intHeader("Orders the account placed in the current minute window."),
  },
  retryAfter: {
    "Retry-After": intHeader(
      "Whole seconds to wait: until the weight or order window resets (429), or until the ban ends (418).",
    ),
  },
} as const;

/**
 * The route's responses with their headers: every one carries X-MBX-USED-WEIGHT-1M; 429 and 418
 * Retry-After; an order-placing route's 200 and 429 the order counts (429 is then -1003 or -1015).
 */
function withHeaders(route: Route, responses: Record<string, unknown>): Record<string, unknown> {
  const placesOrders = route.orders !== undefined;
  const out: Record<string, unknown> = {};
  for (const [status, response] of Object.entries(responses)) {
    // The parser's refusals come before any limit is looked at.
    let headers: Record<string, unknown> =
      status === "408" || status === "431" ? {} : { ...HEADERS.usedWeight };
    if (status === "418" || status === "429") headers = { ...headers, ...HEADERS.retryAfter };
    if (placesOrders && (status === "200" || status === "429"))
      headers = { ...headers, ...HEADERS.orderCount };
    const r: Record<string, unknown> = { ...(response as Record<string, unknown>), headers };
    if (placesOrders && status === "429")
      r.description =
        "Request weight limit (-1003) or the account's order-rate limit (-1015, 10 s or minute) exceeded; Retry-After: seconds until that window resets";
    out[status] = r;
  }
  return out;
}

function toParameter(p: Param): Record<string, unknown> {
  return {
    name: p.name,
    in: "query",
    required: p.required === true,
    schema: p.schema,
    ...(p.description === undefined ? {} : { description: p.description }),
  };
}

function operation(route: Route): Record<string, unknown> {
  const doc = ROUTE_DOCS[route.name];
  const signed = route.keyed && route.signed !== false;
  const params = signed ? [...doc.params, ...SIGNED_PARAMS] : doc.params;
  const statuses = [
    ...LISTENER_STATUSES,
    ...(route.keyed ? ["401"] : []),
    "404",
    "405",
    // A GET's body is never read.
    ...(route.method === "GET" ? [] : ["413"]),
    "418",
    "429",
    "500",
    "502",
    "503",
  ];
  return {
    operationId: route.name,
    summary: doc.summary,
    ...(route.method === "GET"
      ? {}
      : {
          description:
            "Parameters may be sent in the query string or in an application/x-www-form-urlencoded body.",
        }),
    tags: [signed ? "signed" : route.keyed ? "user-stream" : "public"],
    parameters: params.map(toParameter),
    ...(route.keyed ? { security: [{ ApiKey: [] }] } : { security: [] }),
    "x-weight": route.weight,
    ...(doc.weightNote === undefined ? {} : { "x-weight-note": doc.weightNote }),
    ...(route.orders === undefined
      ? {}
      : { "x-order-count": { "10s": route.orders, "1m": route.orders1m ?? route.orders } }),
    responses: withHeaders(route, { ...jsonOk("OK", doc.ok), ...errorResponses(statuses) }),
  };
}

/** The control plane's own refusals (api/control.ts), -99xx: not the dialect's codes. */
const CONTROL_ERRORS: Record<string, string> = {
  "401": "No or wrong control token (-9901): send Authorization: Bearer <token>",
  "409":
    "The venue is leased by a running drill (-9902, until when), or the lease given is not the one in force (-9903)",
};

/** A control path's refusals: its own, plus the listener's and 413 (every /__stampede/ body is read). */
function controlErrors(statuses: readonly string[]): Record<string, unknown> {
  const all = [...new Set([...statuses, ...LISTENER_STATUSES, "413"])];
  return Object.fromEntries(
    all.map((s) => [s, errorResponse(CONTROL_ERRORS[s] ?? (ERROR_STATUSES[s] as string))]),
  );
}

/** Which venue answered: a drill that sees another instanceId or originMs knows it was reset. */
const VENUE_IDENTITY = { instanceId: str, originMs: int, resets: int };

const LEASE_PARAM = {
  name: "X-Stampede-Lease",
  in: "header",
  required: false,
  schema: str,
  description: "The lease the request acts under (POST /__stampede/lease returns it).",
};

function leasePaths(): Record<string, Record<string, unknown>> {
  const lease = obj({ leaseId: str, expiresAtMs: int, ttlMs: int, ...VENUE_IDENTITY });
  const op = (summary: string, errors: string[]) => ({
    summary,
    tags: ["control"],
    security: [{ ControlToken: [] }],
    parameters: [LEASE_PARAM],
    responses: { ...jsonOk("The lease", lease), ...controlErrors(errors) },
  });
  return {
    "/__stampede/lease": {
      post: op(
        "Take the venue's lease (a drill holds it while it runs); with the holder's X-Stampede-Lease, renew it. While a lease is in force, reset needs it",
        ["401", "404", "409"],
      ),
      put: op("Renew the lease named by X-Stampede-Lease for another ttlMs", ["401", "404", "409"]),
      delete: op("Give up the lease named by X-Stampede-Lease", ["401", "404", "409"]),
    },
  };
}

function controlPaths(): Record<string, Record<string, unknown>> {
  const control = (summary: string, ok: Record<string, unknown>, errors: string[] = ["401", "404"]) => ({
    summary,
    tags: ["control"],
    security: [{ ControlToken: [] }],
    responses: { ...ok, ...controlErrors(errors) },
  });
  return {
    "/__stampede/accounts": {
      get: control(
        "API keys and secrets of the provisioned accounts (random per instance unless config.secretsSeed)",
        jsonOk("Accounts", obj({ accounts: arrayOf(obj({ accountId: int, apiKey: str, apiSecret: str })) })),
      ),
    },
    "/__stampede/config": {
      get: control(
        "The exchange configuration in force and the venue's identity",
        jsonOk("Config", obj({ config: { type: "object" }, ...VENUE_IDENTITY })),
      ),
    },
    "/__stampede/timeline": {
      get: {
        ...control(
          "Closed timeline seconds as NDJSON (one JSON object a line); X-Stampede-Instance and X-Stampede-Origin-Ms name the venue",
          {
            "200": {
              description: "Timeline points",
              content: { "application/x-ndjson": { schema: str } },
            },
          },
          ["400", "401", "404"],
        ),
        parameters: [
          {
            name: "since",
            in: "query",
            required: false,
            schema: { type: "number" },
            description: "Second to start from.",
          },
        ],
      },
    },
    "/__stampede/reset": {
      post: {
        ...control(
          "Start a fresh venue, optionally with another strategy, scripted faults or market events; refused while another's lease is in force",
          jsonOk(
            "Reset done",
            obj({
              originMs: int,
              strategy: str,
              faults: arrayOf({ type: "object" }),
              marketEvents: arrayOf({ type: "object" }),
              instanceId: str,
              resets: int,
            }),
          ),
          ["400", "401", "404", "409", "413"],
        ),
        parameters: [LEASE_PARAM],
        requestBody: {
          required: false,
          description: "A JSON object (Content-Type: application/json); an array or another type is 400.",
          content: {
            "application/json": {
              schema: {
                type: "object",
                properties: {
                  strategy: str,
                  faults: arrayOf({ type: "object" }),
                  marketEvents: arrayOf({ type: "object" }),
                },
              },
            },
          },
        },
      },
    },
    ...leasePaths(),
    "/__stampede/openapi.json": {
      // Public: it describes the API and holds no secret.
      get: {
        ...control("This document", jsonOk("OpenAPI 3.1 document", { type: "object" }), ["404"]),
        security: [],
      },
    },
    "/metrics": {
      get: {
        summary: "Prometheus metrics",
        tags: ["control"],
        security: [],
        responses: {
          "200": {
            description: "Prometheus text exposition format",
            content: { "text/plain": { schema: str } },
          },
          ...errorResponses(["500", ...LISTENER_STATUSES]),
        },
      },
    },
  };
}

/**
 * The WebSocket streams as their upgrade requests (api/streams.ts): what they answer before the
 * protocol switches, including 503 past the open-connection cap.
 */
function streamPaths(): Record<string, Record<string, unknown>> {
  const upgrade = (summary: string, parameters: unknown[]) => ({
    get: {
      summary,
      tags: ["stream"],
      security: [],
      parameters,
      responses: {
        "101": { description: "Switching to the WebSocket protocol" },
        ...errorResponses([...LISTENER_STATUSES, "404"]),
        "400": errorResponse(
          "Unknown stream (-1130), more than 1,024 streams, or a listenKey unknown or lapsed (-1125)",
        ),
        "503": errorResponse("Too many open stream connections (-1000): streams.maxConnections"),
      },
    },
  });
  return {
    "/ws/{stream}": upgrade("One raw stream (`<symbol>@depth`, `<symbol>@forceOrder`, a listenKey, ...)", [
      { name: "stream", in: "path", required: true, schema: str },
    ]),
    "/stream": upgrade("Combined streams, each payload wrapped as {stream, data}", [
      {
        name: "streams",
        in: "query",
        required: false,
        schema: str,
        description: "Stream names joined by /.",
      },
    ]),
  };
}

/** The OpenAPI 3.1.0 document of the dialect and the control plane. */
export function openApiDocument(): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of ROUTES) {
    const item = paths[route.path] ?? {};
    item[route.method.toLowerCase()] = operation(route);
    paths[route.path] = item;
  }
  Object.assign(paths, controlPaths(), streamPaths());
  return {
    openapi: "3.1.0",
    info: {
      title: "stampede mock exchange",
      version: "0.1.0",
      description:
        "A mock Binance USDⓈ-M futures exchange: the dialect under /fapi, the control plane under /__stampede, Prometheus metrics at /metrics.",
    },
    servers: [{ url: "/" }],
    tags: [
      { name: "public", description: "Market data; no API key" },
      { name: "signed", description: "TRADE / USER_DATA: X-MBX-APIKEY plus timestamp and signature" },
      {
        name: "user-stream",
        description: "USER_STREAM: X-MBX-APIKEY only. The streams themselves are WebSocket (tag stream)",
      },
      {
        name: "stream",
        description:
          "WebSocket upgrades on the same port; after 101 the protocol is Binance's (SUBSCRIBE, ping/pong), outside OpenAPI",
      },
      {
        name: "control",
        description:
          "The mock's control plane (not part of the dialect): Authorization: Bearer <control token> on every path but this document; refusals carry codes -99xx",
      },
    ],
    paths,
    components: {
      schemas: SCHEMAS,
      securitySchemes: {
        ApiKey: { type: "apiKey", in: "header", name: "X-MBX-APIKEY" },
        ControlToken: {
          type: "http",
          scheme: "bearer",
          description:
            "The instance's control token: printed by `stampede serve` (--token or STAMPEDE_CONTROL_TOKEN, else random); a drill's own mock writes it to the run folder's control-token file",
        },
      },
    },
  };
}
