import type { IncomingMessage, ServerResponse } from "node:http";
import { faultProblems } from "../../loadtests/vocabulary/capacity.ts";
import { type MarketScenario, marketScenarioProblems } from "../../loadtests/vocabulary/market.ts";
import { marketEventProblems } from "../../loadtests/vocabulary/marketEvents.ts";
import { resolveStrategy } from "../capacity/strategies.ts";
import type { FaultSpec } from "../capacity/types.ts";
import type { ExchangeConfig } from "../defaults.ts";
import { MARKET_DEFAULTS } from "../market/marketConfig.ts";
import type { MarketEvent } from "../marketEvents.ts";
import { type ControlAccess, LEASE_HEADER } from "./control.ts";
import { ERR } from "./errors.ts";
import type { ExchangeInstance } from "./instance.ts";
import { openApiDocument } from "./openapi.ts";
import { JSON_CONTENT_TYPE, refuse, sendJson } from "./respond.ts";

/**
 * The control plane's HTTP side (/__stampede/*, never mixed with the dialect's /fapi). Unknown
 * paths answer 404 as the dialect does; every known one but the OpenAPI document (public) needs
 * the instance's control token (401 -9901), and while a drill holds the venue's lease a request
 * that changes the venue needs the lease too (409 -9902). Who holds the token and the lease is
 * control.ts's; what a reset does to the running exchange is the caller's `restart`.
 */

/** The control plane's paths and the methods each answers; anything else is 404. */
const CONTROL_METHODS: Record<string, readonly string[]> = {
  "/__stampede/accounts": ["GET"],
  "/__stampede/config": ["GET"],
  "/__stampede/timeline": ["GET"],
  "/__stampede/openapi.json": ["GET"],
  "/__stampede/reset": ["POST"],
  "/__stampede/lease": ["POST", "PUT", "DELETE"],
};

const isoOf = (ms: number) => new Date(ms).toISOString();

/** A reset's body, as validated: what changes, or why it cannot (a parameter named, or a problem told). */
type ResetChange =
  | { ok: true; config: ExchangeConfig }
  | { ok: false; parameter: string }
  | { ok: false; problem: string };

export class ControlRoutes {
  constructor(
    private readonly instance: ExchangeInstance,
    private readonly access: ControlAccess,
    /** Replaces the venue with one started from `config` (the composition knows what else a reset ends). */
    private readonly restart: (config: ExchangeConfig) => void,
  ) {}

  /** `query`: the raw query string; `body`: the request body as read (capped by the caller). */
  handle(req: IncomingMessage, res: ServerResponse, path: string, query: string, body: string) {
    const method = req.method ?? "GET";
    const known = CONTROL_METHODS[path];
    if (known === undefined || !known.includes(method)) return refuse(res, ERR.NOT_FOUND, { path });
    if (path === "/__stampede/openapi.json") return sendJson(res, 200, openApiDocument());
    if (!this.access.authorized(req.headers.authorization)) {
      res.setHeader("WWW-Authenticate", 'Bearer realm="stampede control plane"');
      return refuse(res, ERR.CONTROL_UNAUTHORIZED);
    }
    const header = req.headers[LEASE_HEADER];
    const leaseId = Array.isArray(header) ? header[0] : header;
    switch (path) {
      case "/__stampede/lease":
        return this.lease(res, method, leaseId);
      case "/__stampede/timeline":
        return this.timeline(res, query);
      case "/__stampede/accounts":
        return sendJson(res, 200, { accounts: this.instance.venue.accounts });
      case "/__stampede/config":
        return sendJson(res, 200, { config: this.instance.config, ...this.instance.state() });
    }
    // Only reset is left: it changes the venue, so a lease in force must be presented.
    const held = this.access.blocking(leaseId);
    if (held !== undefined) return refuse(res, ERR.CONTROL_LEASED, { until: isoOf(held.expiresAtMs) });
    this.reset(req, res, body);
  }

  /** The timeline's closed seconds from `?since=` on, one JSON object a line. */
  private timeline(res: ServerResponse, query: string) {
    const since = Number(new URLSearchParams(query).get("since") ?? 0);
    if (!Number.isFinite(since)) return refuse(res, ERR.INVALID_PARAMETER, { name: "since" });
    const lines = this.instance.venue.timelineSince(since).map((p) => JSON.stringify(p));
    const text = lines.length > 0 ? `${lines.join("\n")}\n` : "";
    res.writeHead(200, {
      "Content-Type": "application/x-ndjson",
      "Content-Length": Buffer.byteLength(text),
      ...this.instance.headers(),
    });
    res.end(text);
  }

  /** POST takes the venue's lease (or renews the caller's), PUT renews it, DELETE gives it up. */
  private lease(res: ServerResponse, method: string, leaseId: string | undefined) {
    const access = this.access;
    const outcome =
      method === "POST"
        ? access.acquire(leaseId)
        : method === "PUT"
          ? access.renew(leaseId)
          : access.release(leaseId);
    if (!outcome.ok) {
      if (method === "POST" && outcome.held !== undefined)
        return refuse(res, ERR.CONTROL_LEASED, { until: isoOf(outcome.held.expiresAtMs) });
      return refuse(res, ERR.LEASE_NOT_HELD, { lease: leaseId ?? "(none given)" });
    }
    sendJson(res, 200, {
      leaseId: outcome.lease.id,
      expiresAtMs: outcome.lease.expiresAtMs,
      ttlMs: access.ttlMs,
      ...this.instance.state(),
    });
  }

  /** Starts the venue again, with the changes the body asks for (resetChange). */
  private reset(req: IncomingMessage, res: ServerResponse, body: string) {
    const change = resetChange(this.instance.config, body, req.headers["content-type"]);
    if (!change.ok) {
      if ("parameter" in change) return refuse(res, ERR.INVALID_PARAMETER, { name: change.parameter });
      return sendJson(res, 400, { code: ERR.INVALID_PARAMETER.code, msg: change.problem });
    }
    this.restart(change.config);
    const { config, venue } = this.instance;
    sendJson(res, 200, {
      originMs: venue.originMs,
      strategy: config.capacity.strategy,
      faults: config.faults,
      marketEvents: config.marketEvents,
      market:
        config.market === undefined ? null : { oracle: config.market.oracle, shocks: config.market.shocks },
      instanceId: this.instance.instanceId,
      resets: this.instance.resets,
    });
  }
}

/**
 * A reset's optional JSON object body {strategy?, faults?, marketEvents?, market?}: start again
 * with another provisioning strategy, scripted faults or price shocks (natural seconds from the
 * reset), or market model (null: none), validated here at the edge. A body must say it is JSON and be an object (not an
 * array). No body: the same config again.
 */
function resetChange(config: ExchangeConfig, body: string, contentType: string | undefined): ResetChange {
  if (body.trim() === "") return { ok: true, config };
  const type = (contentType ?? "").split(";")[0]?.trim().toLowerCase();
  if (type !== JSON_CONTENT_TYPE) return { ok: false, parameter: "Content-Type (application/json)" };
  let change: { strategy?: unknown; faults?: unknown; marketEvents?: unknown; market?: unknown };
  try {
    change = JSON.parse(body) as typeof change;
  } catch {
    return { ok: false, parameter: "body (JSON)" };
  }
  if (change === null || typeof change !== "object" || Array.isArray(change))
    return { ok: false, parameter: "body (JSON object)" };
  let next = config;
  if (change.strategy !== undefined) {
    if (typeof change.strategy !== "string") return { ok: false, parameter: "strategy" };
    try {
      resolveStrategy(change.strategy, config.capacity.tiers, config.capacity.strategyParams);
    } catch (err) {
      return { ok: false, problem: (err as Error).message };
    }
    next = { ...next, capacity: { ...next.capacity, strategy: change.strategy } };
  }
  if (change.faults !== undefined) {
    if (!Array.isArray(change.faults)) return { ok: false, parameter: "faults" };
    const problems = faultProblems(change.faults as FaultSpec[]);
    if (problems.length > 0) return { ok: false, problem: problems.join("; ") };
    next = { ...next, faults: change.faults as FaultSpec[] };
  }
  if (change.marketEvents !== undefined) {
    const symbols = config.symbols.map((s) => s.symbol);
    const problems = marketEventProblems(change.marketEvents, symbols);
    if (problems.length > 0) return { ok: false, problem: problems.join("; ") };
    next = { ...next, marketEvents: change.marketEvents as MarketEvent[] };
  }
  if (change.market !== undefined) {
    // null turns the market model off; an object is a profile's `market` (oracle and shocks).
    if (change.market === null) next = { ...next, market: undefined };
    else {
      const symbols = config.symbols.map((s) => s.symbol);
      const problems = marketScenarioProblems(change.market, symbols, Number.POSITIVE_INFINITY);
      if (problems.length > 0) return { ok: false, problem: problems.join("; ") };
      const scenario = change.market as MarketScenario;
      next = { ...next, market: { ...(next.market ?? MARKET_DEFAULTS), ...scenario } };
    }
  }
  return { ok: true, config: next };
}
