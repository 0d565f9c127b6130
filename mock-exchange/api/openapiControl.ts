import {
  arrayOf,
  ERROR_STATUSES,
  errorResponse,
  errorResponses,
  int,
  jsonOk,
  LISTENER_STATUSES,
  obj,
  str,
} from "./openapiSchema.ts";

/**
 * The control plane's part of the OpenAPI document (openapi.ts): /__stampede paths (lease,
 * reset, config, ...) with their own -99xx refusals, and the WebSocket streams' upgrade requests.
 */

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

export function controlPaths(): Record<string, Record<string, unknown>> {
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
          "Start a fresh venue, optionally with another strategy, scripted faults, market events or market model; refused while another's lease is in force",
          jsonOk(
            "Reset done",
            obj({
              originMs: int,
              strategy: str,
              faults: arrayOf({ type: "object" }),
              marketEvents: arrayOf({ type: "object" }),
              market: { type: ["object", "null"] },
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
                  market: {
                    type: ["object", "null"],
                    description: "The market model: { oracle, shocks } as a profile's `market`; null: none",
                  },
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
export function streamPaths(): Record<string, Record<string, unknown>> {
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
