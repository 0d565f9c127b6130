import { createHmac } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { openApiDocument } from "../../mock-exchange/api/openapi.ts";
import { startVenueServer, type VenueServer } from "../../mock-exchange/api/server.ts";
import { EXCHANGE_DEFAULTS, type ExchangeConfig } from "../../mock-exchange/defaults.ts";
import { controlAccounts, controlFetch, fastExchangeConfig } from "./fixture.ts";

/**
 * The order-count limits (429 -1015) and IP bans (418) on a real socket, with the exchange's
 * clock moved by hand (an offset on the wall clock) to cross windows and bans at once: headers,
 * Retry-After values, per-account and per-IP isolation (trust-proxy clients), and reset.
 */

interface Account {
  accountId: number;
  apiKey: string;
  apiSecret: string;
}

let exchange: VenueServer | undefined;
let accounts: Account[] = [];
/** ms added to the wall clock: the exchange's now() is Date.now() + offsetMs. */
let offsetMs = 0;
const now = () => Date.now() + offsetMs;

/** Limits small enough to reach in a few requests; the time scale stays 1 (real windows). */
const LIMITS: ExchangeConfig["limits"] = {
  ...EXCHANGE_DEFAULTS.limits,
  weightPerMinute: 10,
  ordersPer10s: 3,
  ordersPerMinute: 5,
  banAfterRefusalsPerMinute: 2,
};

async function start(limits = LIMITS) {
  offsetMs = 0;
  exchange = await startVenueServer({ port: 0, config: fastExchangeConfig({ limits }), now });
  accounts = await controlAccounts<Account>(exchange);
}

afterEach(async () => {
  await exchange?.close();
  exchange = undefined;
});

interface Reply {
  status: number;
  headers: Headers;
  json: { code?: number; msg?: string; orderId?: number };
}

/** A request from client IP `ip` (X-Forwarded-For, trusted), signed with the exchange's clock when `as` is set. */
async function call(method: string, path: string, ip: string, as?: Account, params = ""): Promise<Reply> {
  const headers: Record<string, string> = { "X-Forwarded-For": ip };
  let query = params;
  if (as !== undefined) {
    headers["X-MBX-APIKEY"] = as.apiKey;
    query = `${query === "" ? "" : `${query}&`}timestamp=${now()}`;
    query += `&signature=${createHmac("sha256", as.apiSecret).update(query).digest("hex")}`;
  }
  const inQuery = method === "GET";
  const url = `${(exchange as VenueServer).url}${path}${inQuery && query !== "" ? `?${query}` : ""}`;
  if (!inQuery) headers["Content-Type"] = "application/x-www-form-urlencoded";
  const res = await fetch(url, { method, headers, body: inQuery ? undefined : query });
  return { status: res.status, headers: res.headers, json: (await res.json()) as Reply["json"] };
}

const ORDER = "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.001&price=59000.0";
const placeOrder = (ip: string, as: Account) => call("POST", "/fapi/v1/order", ip, as, ORDER);
const counts = (r: Reply) => [r.headers.get("x-mbx-order-count-10s"), r.headers.get("x-mbx-order-count-1m")];

describe("order-count limits per account (429 -1015)", () => {
  it("counts orders in the headers, refuses past the 10 s budget, then past the minute's, each until its boundary", async () => {
    await start();
    const me = accounts[0] as Account;
    for (let i = 1; i <= 3; i++) {
      const ok = await placeOrder("127.8.0.1", me);
      expect(ok.status).toBe(200);
      expect(counts(ok)).toEqual([String(i), String(i)]);
      expect(ok.headers.get("x-mbx-used-weight-1m")).toBe("0"); // a new order weighs 0
    }
    const refused = await placeOrder("127.8.0.1", me);
    expect(refused.status).toBe(429);
    expect(refused.json).toEqual({
      code: -1015,
      msg: "Too many new orders; current limit is 3 orders per 10 SECOND.",
    });
    const wait10s = Number(refused.headers.get("retry-after"));
    expect(wait10s).toBeGreaterThanOrEqual(1);
    expect(wait10s).toBeLessThanOrEqual(10);
    // A refused order is not counted.
    expect(counts(refused)).toEqual(["3", "3"]);

    // Next 10 s window: two more fit the minute (5), a modification counts as well.
    offsetMs += 10_000;
    const fourth = await placeOrder("127.8.0.1", me);
    expect(fourth.status).toBe(200);
    expect(counts(fourth)).toEqual(["1", "4"]);
    const modify = await call(
      "PUT",
      "/fapi/v1/order",
      "127.8.0.1",
      me,
      `symbol=BTCUSDT&orderId=${fourth.json.orderId}&side=BUY&quantity=0.002&price=59000.0`,
    );
    expect(modify.status).toBe(200);
    expect(counts(modify)).toEqual(["2", "5"]);
    const overMinute = await placeOrder("127.8.0.1", me);
    expect(overMinute.status).toBe(429);
    expect(overMinute.json.msg).toBe("Too many new orders; current limit is 5 orders per 1 MINUTE.");
    // The minute window ends 60 s after the origin; the clock is ~10 s past it.
    expect(Number(overMinute.headers.get("retry-after"))).toBeGreaterThanOrEqual(49);
    expect(Number(overMinute.headers.get("retry-after"))).toBeLessThanOrEqual(50);

    // Another account is not limited by this one's orders.
    const other = await placeOrder("127.8.0.2", accounts[1] as Account);
    expect(other.status).toBe(200);
    expect(counts(other)).toEqual(["1", "1"]);
    // A request that places no order carries no order counts.
    const read = await call("GET", "/fapi/v2/positionRisk", "127.8.0.1", me, "symbol=BTCUSDT");
    expect(read.status).toBe(200);
    expect(counts(read)).toEqual([null, null]);

    offsetMs += 50_000;
    const nextMinute = await placeOrder("127.8.0.1", me);
    expect(nextMinute.status).toBe(200);
    expect(counts(nextMinute)).toEqual(["1", "1"]);
  });

  it("checks the order counts after the signature: a request refused before them counts nothing", async () => {
    await start();
    const me = accounts[0] as Account;
    const badSignature = await call(
      "POST",
      "/fapi/v1/order",
      "127.8.0.1",
      { ...me, apiSecret: (accounts[1] as Account).apiSecret },
      ORDER,
    );
    expect(badSignature.json.code).toBe(-1022);
    expect(counts(badSignature)).toEqual([null, null]);
    const ok = await placeOrder("127.8.0.1", me);
    expect(counts(ok)).toEqual(["1", "1"]);
  });
});

describe("IP bans (418) for clients that keep sending after 429", () => {
  it("bans an IP at its next refused request after the tolerated 429s, for 2 minutes, then 4 on a repeat offence", async () => {
    await start();
    const ip = "127.9.9.9";
    for (let i = 0; i < 10; i++) expect((await call("GET", "/fapi/v1/ping", ip)).status).toBe(200);
    for (let i = 0; i < 2; i++) {
      const limited = await call("GET", "/fapi/v1/ping", ip);
      expect(limited.status).toBe(429);
      expect(limited.json.code).toBe(-1003);
      const wait = Number(limited.headers.get("retry-after"));
      expect(wait).toBeGreaterThanOrEqual(1);
      expect(wait).toBeLessThanOrEqual(60);
    }
    const banned = await call("GET", "/fapi/v1/ping", ip);
    expect(banned.status).toBe(418);
    expect(banned.json.code).toBe(-1003);
    const until = Number(/banned until (\d+)\./.exec(banned.json.msg ?? "")?.[1]);
    expect(banned.json.msg).toBe(
      `Way too many requests; IP(${ip}) banned until ${until}. Please use the websocket for live updates to avoid bans.`,
    );
    expect(until - now()).toBeGreaterThan(119_000);
    expect(until - now()).toBeLessThanOrEqual(120_000);
    expect(banned.headers.get("retry-after")).toBe("120");

    // While banned, everything from the IP is 418, a signed new order (weight 0) included.
    const order = await placeOrder(ip, accounts[0] as Account);
    expect(order.status).toBe(418);
    expect(counts(order)).toEqual([null, null]);
    offsetMs += 60_000;
    const later = await call("GET", "/fapi/v1/time", ip);
    expect(later.status).toBe(418);
    expect(later.headers.get("retry-after")).toBe("60");

    // Ban over: served again, in a fresh weight window.
    offsetMs = until - Date.now();
    const back = await call("GET", "/fapi/v1/ping", ip);
    expect(back.status).toBe(200);
    expect(back.headers.get("x-mbx-used-weight-1m")).toBe("1");
    // A repeat offence: 4 minutes.
    for (let i = 0; i < 11; i++) await call("GET", "/fapi/v1/ping", ip);
    const again = await call("GET", "/fapi/v1/ping", ip);
    expect(again.status).toBe(418);
    expect(again.headers.get("retry-after")).toBe("240");
  });

  it("keeps a banned IP's ban away from another X-Forwarded-For client, and counts bans as banned", async () => {
    await start();
    for (let i = 0; i < 13; i++) await call("GET", "/fapi/v1/ping", "127.9.9.1");
    expect((await call("GET", "/fapi/v1/ping", "127.9.9.1")).status).toBe(418);
    const other = await call("GET", "/fapi/v1/ping", "127.9.9.2");
    expect(other.status).toBe(200);
    expect(other.headers.get("x-mbx-used-weight-1m")).toBe("1");
    // The server's timeline counts the refusals by reason: 2 rate-limited, 2 banned so far.
    const venue = (exchange as VenueServer).venue;
    offsetMs += 2_000;
    await new Promise((resolve) => setTimeout(resolve, 250));
    const rejected = { rate_limited: 0, banned: 0 };
    for (const p of venue.timeline.since(0)) {
      rejected.rate_limited += p.rejected.rate_limited ?? 0;
      rejected.banned += p.rejected.banned ?? 0;
    }
    expect(rejected).toEqual({ rate_limited: 2, banned: 2 });
  });

  it("starts a fresh venue on reset: the ban is gone", async () => {
    await start();
    for (let i = 0; i < 13; i++) await call("GET", "/fapi/v1/ping", "127.9.9.3");
    expect((await call("GET", "/fapi/v1/ping", "127.9.9.3")).status).toBe(418);
    const reset = await controlFetch(exchange as VenueServer, "/__stampede/reset", { method: "POST" });
    expect(reset.status).toBe(200);
    expect((await call("GET", "/fapi/v1/ping", "127.9.9.3")).status).toBe(200);
  });

  it("bans by the socket address when the proxy header is not trusted", async () => {
    offsetMs = 0;
    exchange = await startVenueServer({
      port: 0,
      config: fastExchangeConfig({ limits: LIMITS, trustProxy: false }),
      now,
    });
    for (let i = 0; i < 13; i++) await call("GET", "/fapi/v1/ping", `127.9.8.${i + 1}`);
    // Every request came from 127.0.0.1, whatever the header said.
    const banned = await call("GET", "/fapi/v1/ping", "127.9.9.9");
    expect(banned.status).toBe(418);
    expect(banned.json.msg).toContain("IP(127.0.0.1)");
  });
});

describe("documented limits", () => {
  it("exchangeInfo states the ORDERS limits in force and OpenAPI the 418, the -1015 and their headers", async () => {
    await start();
    const info = await call("GET", "/fapi/v1/exchangeInfo", "127.8.1.1");
    expect((info.json as { rateLimits?: unknown }).rateLimits).toEqual([
      { rateLimitType: "REQUEST_WEIGHT", interval: "MINUTE", intervalNum: 1, limit: 10 },
      { rateLimitType: "ORDERS", interval: "SECOND", intervalNum: 10, limit: 3 },
      { rateLimitType: "ORDERS", interval: "MINUTE", intervalNum: 1, limit: 5 },
    ]);
    const doc = openApiDocument() as {
      paths: Record<string, Record<string, { responses: Record<string, { headers?: object }> }>>;
    };
    const post = doc.paths["/fapi/v1/order"]?.post?.responses ?? {};
    expect(Object.keys(post["200"]?.headers ?? {})).toEqual(
      expect.arrayContaining(["X-MBX-USED-WEIGHT-1M", "X-MBX-ORDER-COUNT-10S", "X-MBX-ORDER-COUNT-1M"]),
    );
    expect(Object.keys(post["429"]?.headers ?? {})).toEqual(
      expect.arrayContaining(["Retry-After", "X-MBX-ORDER-COUNT-10S"]),
    );
    expect(Object.keys(post["418"]?.headers ?? {})).toContain("Retry-After");
    const depth = doc.paths["/fapi/v1/depth"]?.get?.responses ?? {};
    expect(Object.keys(depth["200"]?.headers ?? {})).toEqual(["X-MBX-USED-WEIGHT-1M"]);
    expect(Object.keys(depth["418"]?.headers ?? {})).toContain("Retry-After");
  });
});
