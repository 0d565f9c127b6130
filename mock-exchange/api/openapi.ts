import { controlPaths, streamPaths } from "./openapiControl.ts";
import { ROUTE_DOCS, SCHEMAS } from "./openapiRoutes.ts";
import { errorResponses, int, jsonOk, LISTENER_STATUSES, type Param } from "./openapiSchema.ts";
import { ROUTES, type Route } from "./routes.ts";

/**
 * OpenAPI 3.1 description of the dialect (/fapi) and the control plane (/__stampede, /metrics),
 * served at GET /__stampede/openapi.json. Paths, methods and weights come from ROUTES; each
 * route's parameters and 200 body are declared per RouteName in openapiRoutes.ts, the control
 * plane and the streams in openapiControl.ts. Binance sends decimals as strings: `Decimal` is a string
 * with a decimal pattern. Errors share one `Error` schema `{code, msg}`.
 */

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

const intHeader = (description: string) => ({ description, schema: int });

/** Response headers of the dialect (docs/facts.md "Limits"). */
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
