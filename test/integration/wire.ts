import { createHmac } from "node:crypto";
import { connect } from "node:net";
import type { VenueServer } from "../../mock-exchange/api/server.ts";
import { EXCHANGE_DEFAULTS, type ExchangeConfig } from "../../mock-exchange/defaults.ts";
import type { MatchingEngine } from "../../mock-exchange/engine/matchingEngine.ts";
import { fastExchangeConfig } from "./fixture.ts";

/**
 * Requests exactly as they go on the wire, for the bad-input and fuzz tests: the query and the
 * form body are strings the caller builds (so they can be malformed on purpose), and a signed
 * request's signature is the hex HMAC-SHA256 of query + body as sent (docs/facts.md "Signed
 * requests"). Also a raw-socket sender for what fetch refuses to send, and a snapshot of the
 * engine's state to prove a refused request changed nothing.
 */

export interface Account {
  accountId: number;
  apiKey: string;
  apiSecret: string;
}

export interface WireRequest {
  method: string;
  path: string;
  /** Without the leading "?"; "" = none. */
  query: string;
  /** Sent as is; "" = no body. */
  body: string;
  headers: Record<string, string>;
}

export interface WireReply {
  status: number;
  text: string;
  headers: Headers;
}

export type Param = readonly [string, string];

export function encodeParams(params: readonly Param[]): string {
  return params.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join("&");
}

export function hmacHex(secret: string, payload: string): string {
  return createHmac("sha256", secret).update(payload).digest("hex");
}

const join = (a: string, b: string) => (a === "" ? b : b === "" ? a : `${a}&${b}`);

/**
 * A signed request as a Binance client builds it: `timestamp` appended (to the body when there
 * is one, else to the query), then `signature` = HMAC(query + body) appended to the same part.
 * `where`: "query" puts every parameter in the query string, "body" in a form body, "split" the
 * first half in the query and the rest in the body. `timestamp: null` sends none.
 */
export function signedRequest(
  account: Account,
  method: string,
  path: string,
  params: readonly Param[],
  opts: { where?: "query" | "body" | "split"; timestamp?: number | null; ip?: string } = {},
): WireRequest {
  const where = method === "GET" ? "query" : (opts.where ?? "body");
  const cut = where === "query" ? params.length : where === "body" ? 0 : Math.ceil(params.length / 2);
  let query = encodeParams(params.slice(0, cut));
  let body = encodeParams(params.slice(cut));
  const ts = opts.timestamp === undefined ? Date.now() : opts.timestamp;
  const toBody = where !== "query";
  if (ts !== null) {
    if (toBody) body = join(body, `timestamp=${ts}`);
    else query = join(query, `timestamp=${ts}`);
  }
  const signature = hmacHex(account.apiSecret, query + body);
  if (toBody) body = join(body, `signature=${signature}`);
  else query = join(query, `signature=${signature}`);
  const headers: Record<string, string> = {
    "X-MBX-APIKEY": account.apiKey,
    "X-Forwarded-For": opts.ip ?? "127.8.0.1",
  };
  if (body !== "") headers["Content-Type"] = "application/x-www-form-urlencoded";
  return { method, path, query, body, headers };
}

export function publicRequest(
  method: string,
  path: string,
  params: readonly Param[],
  ip = "127.8.0.1",
): WireRequest {
  return { method, path, query: encodeParams(params), body: "", headers: { "X-Forwarded-For": ip } };
}

export async function send(base: string, req: WireRequest): Promise<WireReply> {
  const url = `${base}${req.path}${req.query === "" ? "" : `?${req.query}`}`;
  const hasBody = req.body !== "" && req.method !== "GET" && req.method !== "HEAD";
  const res = await fetch(url, {
    method: req.method,
    headers: req.headers,
    body: hasBody ? req.body : undefined,
  });
  return { status: res.status, text: await res.text(), headers: res.headers };
}

/** `{code, msg}` of an error reply, or a description of why the body is not one. */
export function errorOf(reply: WireReply): { code: number; msg: string } | string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(reply.text);
  } catch {
    return `not JSON: ${JSON.stringify(reply.text.slice(0, 200))}`;
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed))
    return `not an object: ${reply.text}`;
  const keys = Object.keys(parsed).sort().join(",");
  const { code, msg } = parsed as { code: unknown; msg: unknown };
  if (
    keys !== "code,msg" ||
    !Number.isInteger(code) ||
    (code as number) >= 0 ||
    typeof msg !== "string" ||
    msg === ""
  )
    return `not {code<0,msg}: ${reply.text}`;
  return { code: code as number, msg };
}

/** Raw bytes to the server; resolves with the status and body of the first response, or null if it closed without one. */
export function sendRaw(base: string, bytes: string): Promise<{ status: number; body: string } | null> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    let data = "";
    const done = () => {
      socket.destroy();
      const head = data.indexOf("\r\n\r\n");
      const m = /^HTTP\/1\.1 (\d{3})/.exec(data);
      resolve(m === null || head < 0 ? null : { status: Number(m[1]), body: data.slice(head + 4) });
    };
    socket.setEncoding("latin1");
    socket.setTimeout(5_000, () =>
      reject(new Error(`no reply to raw request ${JSON.stringify(bytes.slice(0, 80))}`)),
    );
    socket.on("data", (chunk: string) => {
      data += chunk;
      const head = data.indexOf("\r\n\r\n");
      const len = /\r\ncontent-length: *(\d+)/i.exec(data.slice(0, head));
      if (head >= 0 && len !== null && data.length - head - 4 >= Number(len[1])) done();
    });
    socket.on("end", done);
    socket.on("error", () => done());
    socket.write(bytes, "latin1");
  });
}

/** The engine's whole client-visible state as one string: equal before and after = nothing changed. */
export function engineSnapshot(
  ex: MatchingEngine,
  symbols: readonly string[],
  accountIds: readonly number[],
): string {
  const perAccount = accountIds.map((id) => ({
    id,
    account: ex.account(id),
    open: ex.openOrders(id),
    positions: ex.positions(id),
    leverage: symbols.map((s) => ex.leverage(id, s)),
  }));
  const books = symbols.map((s) => ({ s, depth: ex.depth(s, 1_000_000), last: ex.lastPriceTicks(s) }));
  return JSON.stringify({ ledger: ex.ledger(), perAccount, books });
}

/** Every account that can hold orders or positions on a venue: the house market maker (0) and the clients. */
export function venueAccountIds(exchange: VenueServer): number[] {
  return [0, ...exchange.venue.accounts.map((a) => a.accountId)];
}

const HUGE = 1_000_000_000;

/**
 * The fast fixture with every refusal that is not about the request itself turned off: request
 * weight, order counts and bans far out of reach, and enough workers, queue and sequencer that
 * nothing is shed or times out. A 429, 418 or 5xx is then a bug, not the capacity model.
 */
export function unlimitedExchangeConfig(overrides: Partial<ExchangeConfig> = {}): ExchangeConfig {
  const fast = fastExchangeConfig();
  return fastExchangeConfig({
    limits: {
      ...EXCHANGE_DEFAULTS.limits,
      weightPerMinute: HUGE,
      ordersPer10s: HUGE,
      ordersPerMinute: HUGE,
      banAfterRefusalsPerMinute: HUGE,
    },
    capacity: {
      ...fast.capacity,
      tiers: {
        gateway: { baselineInstances: 64, concurrencyPerInstance: 1 },
        read: { baselineInstances: 64, concurrencyPerInstance: 1 },
      },
      sequencerOrdersPerS: 1_000_000,
      queueTimeoutMs: 10_000,
      maxQueue: 100_000,
    },
    ...overrides,
  });
}
