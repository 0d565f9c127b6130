/**
 * The few JSON-schema builders the OpenAPI document (openapi.ts) and its parts
 * (openapiRoutes.ts, openapiMarketData.ts, openapiControl.ts) write their schemas with, the shape
 * of one route's documentation, and the error responses they share.
 */

export type Schema = Record<string, unknown>;

export const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });
export const str: Schema = { type: "string" };
export const int: Schema = { type: "integer" };
export const bool: Schema = { type: "boolean" };
export const dec = ref("Decimal");
export const arrayOf = (items: Schema): Schema => ({ type: "array", items });
export const oneOrAll = (name: string): Schema => ({ oneOf: [ref(name), arrayOf(ref(name))] });

/** An object whose every listed property is required (the mock always sends them). */
export function obj(properties: Record<string, Schema>, optional: readonly string[] = []): Schema {
  return {
    type: "object",
    properties,
    required: Object.keys(properties).filter((k) => !optional.includes(k)),
  };
}

export interface Param {
  name: string;
  required?: boolean;
  schema: Schema;
  description?: string;
}

export const symbol = (required: boolean): Param => ({
  name: "symbol",
  required,
  schema: str,
  ...(required ? {} : { description: "One symbol (an object); without it, every symbol (an array)." }),
});

export interface RouteDoc {
  summary: string;
  params: Param[];
  ok: Schema;
  /** How the weight depends on parameters, when it does. */
  weightNote?: string;
}

export const ERROR_STATUSES: Record<string, string> = {
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
export const LISTENER_STATUSES = ["400", "408", "431", "505"] as const;

export const errorResponse = (description: string) => ({
  description,
  content: { "application/json": { schema: ref("Error") } },
});

export function errorResponses(statuses: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(statuses.map((s) => [s, errorResponse(ERROR_STATUSES[s] as string)]));
}

export function jsonOk(description: string, schema: Schema) {
  return { "200": { description, content: { "application/json": { schema } } } };
}
