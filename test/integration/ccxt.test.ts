import net from "node:net";
import tls from "node:tls";
import ccxt, { type binanceusdm } from "ccxt";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startVenueServer, type VenueServer } from "../../mock-exchange/api/server.ts";
import { EXCHANGE_DEFAULTS, type ExchangeConfig } from "../../mock-exchange/defaults.ts";
import { serveConfig } from "../../scripts/serveConfig.ts";
import { controlAccounts, fastExchangeConfig } from "./fixture.ts";

/**
 * Unmodified ccxt (its binanceusdm class) against the mock on 127.0.0.1:0: markets, time, book,
 * balance, positions, limit and market orders, cancel, open orders, order query, and ccxt's own
 * error classes for the mock's refusals.
 *
 * ccxt reaches the real venue on its own (currency lists, spot, margin and portfolio endpoints),
 * so nothing here may leave the machine, in two layers:
 * - every socket this test process opens is checked before it connects (net.Socket#connect, which
 *   tls.connect and undici's connector both go through, and before any DNS lookup): anything but
 *   127.0.0.1 on the mock's port throws, so an outbound attempt is impossible, not just seen;
 * - every request ccxt makes passes its `fetch` (fetch2 -> sign -> fetch), which the test wraps:
 *   it records the URL and refuses any origin but the mock's before ccxt's transport runs.
 * afterEach fails the test if either layer refused anything it did not expect.
 */

let exchange: VenueServer | undefined;
/** The running mock's port; the only one the socket guard lets this process connect to. */
let mockPort = -1;
/** Connections the socket guard refused ("host:port"). */
const refusedConnects: string[] = [];
/** Every request ccxt sent ("METHOD url") and those the fetch wrapper refused. */
const requested: string[] = [];
const refusedRequests: string[] = [];

type Connect = (this: net.Socket, ...args: unknown[]) => net.Socket;
const originalConnect = net.Socket.prototype.connect as unknown as Connect;

/** Host, port and IPC path of a Socket#connect call, in any of the forms Node accepts. */
function connectTarget(args: unknown[]): { host?: string; port?: string; path?: string } {
  // net.connect and tls.connect pass their normalized arguments as one array.
  const first = Array.isArray(args[0]) ? (args[0] as unknown[])[0] : args[0];
  if (first !== null && typeof first === "object") {
    const o = first as { host?: unknown; port?: unknown; path?: unknown };
    return {
      host: o.host === undefined ? undefined : String(o.host),
      port: o.port === undefined ? undefined : String(o.port),
      path: o.path === undefined ? undefined : String(o.path),
    };
  }
  if (typeof first === "number" || /^\d+$/.test(String(first)))
    return { port: String(first), host: typeof args[1] === "string" ? args[1] : undefined };
  return { path: String(first) };
}

beforeAll(() => {
  net.Socket.prototype.connect = function guardedConnect(this: net.Socket, ...args: unknown[]) {
    const { host, port, path } = connectTarget(args);
    // An IPC path (Unix socket) cannot leave the machine; a TCP target must be the mock itself
    // (no host means "localhost", which may resolve elsewhere: refused too).
    if (path === undefined && !(host === "127.0.0.1" && port === String(mockPort))) {
      refusedConnects.push(`${host}:${port}`);
      throw new Error(`connection to ${host}:${port} refused: this test talks to 127.0.0.1:${mockPort} only`);
    }
    return originalConnect.apply(this, args);
  } as unknown as typeof net.Socket.prototype.connect;
});

afterAll(() => {
  net.Socket.prototype.connect = originalConnect as unknown as typeof net.Socket.prototype.connect;
});

afterEach(async () => {
  await exchange?.close();
  exchange = undefined;
  const refused = { connects: [...refusedConnects], requests: [...refusedRequests] };
  refusedConnects.length = 0;
  refusedRequests.length = 0;
  requested.length = 0;
  expect(refused).toEqual({ connects: [], requests: [] });
});

interface Account {
  accountId: number;
  apiKey: string;
  apiSecret: string;
}

async function start(
  overrides: Partial<ExchangeConfig> = {},
  config = fastExchangeConfig({ accounts: 2, ...overrides }),
): Promise<Account[]> {
  exchange = await startVenueServer({ port: 0, config });
  mockPort = Number(new URL(exchange.url).port);
  return controlAccounts<Account>(exchange);
}

/**
 * Every URL anywhere under `node` (urls.api's fapi, dapi, eapi, sapi, papi, public, private, v1,
 * ...; urls.test, urls.demo, urls.www, ...) to the mock's origin, path kept:
 * https://fapi.binance.com/fapi/v1 -> http://127.0.0.1:PORT/fapi/v1.
 */
function pointAtMock(node: Record<string, unknown>, origin: string): void {
  for (const [key, value] of Object.entries(node)) {
    if (typeof value === "string" && /^[a-z]+:\/\//i.test(value)) {
      const u = new URL(value);
      node[key] = `${origin}${u.pathname === "/" ? "" : u.pathname}${u.search}`;
    } else if (value !== null && typeof value === "object") {
      pointAtMock(value as Record<string, unknown>, origin);
    }
  }
}

/** Every string anywhere under `node`. */
function strings(node: unknown): string[] {
  if (typeof node === "string") return [node];
  if (node === null || typeof node !== "object") return [];
  return Object.values(node).flatMap(strings);
}

/** ccxt's binanceusdm for one account, every URL on the mock and every request checked. */
function ccxtFor(account: Account | undefined): binanceusdm {
  const origin = (exchange as VenueServer).url;
  const ex = new ccxt.binanceusdm({
    apiKey: account?.apiKey,
    secret: account?.apiSecret,
    // Requests are checked against the mock's own limits; ccxt's client-side throttle would only add sleeps.
    enableRateLimit: false,
    options: {
      // The currency list is a spot (sapi) endpoint the mock does not have.
      fetchCurrencies: false,
      adjustForTimeDifference: false,
      warnOnFetchOpenOrdersWithoutSymbol: false,
    },
  });
  pointAtMock(ex.urls as unknown as Record<string, unknown>, origin);
  // ccxt picks binance's per-market error table by the request's host (binance.js
  // getExceptionsByUrl: "https://fapi.binance.com/..." -> linear); on any other host only the
  // common table applies, which lacks e.g. -2019 -> InsufficientFunds. So ccxt gets its own
  // USDⓈ-M table as it applies on fapi.binance.com: linear entries first, then the common ones.
  const tables = ex.exceptions as {
    exact: Record<string, unknown>;
    linear: { exact: Record<string, unknown> };
  };
  tables.exact = { ...tables.exact, ...tables.linear.exact };
  const send = ex.fetch.bind(ex);
  ex.fetch = async (url: string, method = "GET", headers?: unknown, body?: unknown) => {
    requested.push(`${method} ${url}`);
    if (new URL(url).origin !== origin) {
      refusedRequests.push(url);
      throw new Error(`request to ${url} refused: this test talks to ${origin} only`);
    }
    return send(url, method, headers, body);
  };
  return ex;
}

const BTC = "BTC/USDT:USDT";

/** The error a promise rejects with (fails when it resolves). */
async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error("expected a rejection");
}

describe("ccxt binanceusdm against the mock", () => {
  it("points every URL at the mock, and both guards refuse any other host before it is reached", async () => {
    const accounts = await start();
    const ex = ccxtFor(accounts[0]);
    const origin = (exchange as VenueServer).url;
    const api = ex.urls.api as unknown as Record<string, string>;
    expect(api.fapiPublic).toBe(`${origin}/fapi/v1`);
    expect(api.fapiPrivateV3).toBe(`${origin}/fapi/v3`);
    for (const key of ["sapi", "dapiPublic", "eapiPublic", "papi", "public", "private", "v1"])
      expect(api[key], key).toMatch(new RegExp(`^${origin}/`));
    const urls = strings(ex.urls).filter((s) => /^[a-z]+:\/\//i.test(s));
    expect(urls.length).toBeGreaterThan(30);
    expect(urls.filter((u) => !u.startsWith(`${origin}/`) && u !== origin)).toEqual([]);

    // The fetch wrapper: a URL that is not the mock's never reaches ccxt's transport. The
    // stand-in host is loopback, so even a broken guard would not leave the machine.
    api.fapiPublic = "http://127.0.0.2:9/fapi/v1";
    const err = await rejection(ex.fetchTime());
    expect(err.message).toMatch(/refused: this test talks to/);
    expect(refusedRequests).toEqual(["http://127.0.0.2:9/fapi/v1/time"]);
    // The socket guard: another loopback address, or the mock's address on another port,
    // plain or TLS, is refused before connecting.
    expect(() => net.connect({ host: "127.0.0.2", port: mockPort })).toThrow(/refused/);
    expect(() => net.connect(mockPort + 1, "127.0.0.1")).toThrow(/refused/);
    expect(() => tls.connect({ host: "127.0.0.2", port: 443 })).toThrow(/refused/);
    // ccxt's own transport (undici.request on its own dispatcher), without the fetch wrapper.
    const unwrapped = new ccxt.binanceusdm({ enableRateLimit: false });
    const transportErr = await rejection(unwrapped.fetch("https://127.0.0.2:8443/fapi/v1/time"));
    expect(transportErr.message).toMatch(/refused: this test talks to/);
    expect(refusedConnects).toEqual([
      `127.0.0.2:${mockPort}`,
      `127.0.0.1:${mockPort + 1}`,
      "127.0.0.2:443",
      "127.0.0.2:8443",
    ]);
    refusedRequests.length = 0;
    refusedConnects.length = 0;
  });

  it("loads markets, reads time, book, balance and positions, places, queries and cancels orders", async () => {
    const accounts = await start();
    const ex = ccxtFor(accounts[0]);
    const markets = await ex.loadMarkets();
    expect(Object.keys(markets).sort()).toEqual(["BTC/USDT:USDT", "ETH/USDT:USDT"]);
    expect(markets[BTC]).toMatchObject({
      id: "BTCUSDT",
      type: "swap",
      linear: true,
      settle: "USDT",
      active: true,
      precision: { price: 0.1, amount: 0.001 },
    });

    expect(Math.abs(((await ex.fetchTime()) as number) - Date.now())).toBeLessThan(1_000);
    const book = await ex.fetchOrderBook(BTC, 5);
    expect(book.bids).toHaveLength(5);
    expect(book.asks).toHaveLength(5);
    expect([book.bids[0]?.[0], book.asks[0]?.[0]]).toEqual([59999.9, 60000.1]);

    const before = await ex.fetchBalance();
    expect(before.USDT).toEqual({ free: 100_000, used: 0, total: 100_000 });
    expect(await ex.fetchPositions()).toEqual([]);

    // A resting LIMIT below the book, and a MARKET that fills at the best ask.
    const limit = await ex.createOrder(BTC, "limit", "buy", 0.002, 59_000);
    expect(limit).toMatchObject({ status: "open", type: "limit", side: "buy", price: 59_000, amount: 0.002 });
    const market = await ex.createOrder(BTC, "market", "buy", 0.002);
    expect(market).toMatchObject({ status: "closed", type: "market", filled: 0.002, average: 60_000.1 });

    const [position] = await ex.fetchPositions([BTC]);
    expect(position).toMatchObject({ symbol: BTC, side: "long", contracts: 0.002, entryPrice: 60_000.1 });
    expect(position?.maintenanceMarginPercentage).toBe(0.004);
    // Initial margin at the default 20x: the position (0.002 x 60000.1 / 20 = 6.0) and the
    // resting order (0.002 x 59000 / 20 = 5.9).
    const after = await ex.fetchBalance();
    expect(after.USDT?.used).toBeCloseTo(11.9, 2);
    expect(after.USDT?.total).toBeLessThan(100_000);

    expect((await ex.fetchOpenOrders(BTC)).map((o) => o.id)).toEqual([limit.id]);
    expect((await ex.fetchOpenOrders()).map((o) => o.id)).toEqual([limit.id]);
    expect(await ex.fetchOrder(limit.id as string, BTC)).toMatchObject({ id: limit.id, status: "open" });
    const canceled = await ex.cancelOrder(limit.id as string, BTC);
    expect(canceled).toMatchObject({ id: limit.id, status: "canceled" });
    expect(await ex.fetchOpenOrders(BTC)).toEqual([]);
    expect(await ex.fetchOrder(market.id as string, BTC)).toMatchObject({ status: "closed", filled: 0.002 });

    // Only the futures endpoints the mock serves were asked for, all on the mock.
    const paths = requested.map((r) => {
      const [method, url] = r.split(" ");
      return `${method} ${new URL(url as string).pathname}`;
    });
    expect(new Set(paths)).toEqual(
      new Set([
        "GET /fapi/v1/exchangeInfo",
        "GET /fapi/v1/time",
        "GET /fapi/v1/depth",
        "GET /fapi/v3/account",
        "GET /fapi/v1/leverageBracket",
        "GET /fapi/v3/positionRisk",
        "POST /fapi/v1/order",
        "GET /fapi/v1/openOrders",
        "GET /fapi/v1/order",
        "DELETE /fapi/v1/order",
      ]),
    );
  });

  it("maps the mock's refusals to ccxt's error classes", async () => {
    const accounts = await start();
    const ex = ccxtFor(accounts[0]);
    await ex.loadMarkets();
    // 40 BTC at 59000 at 20x needs 118,000 USDT of a 100,000 wallet: -2019.
    const margin = await rejection(ex.createOrder(BTC, "limit", "buy", 40, 59_000));
    expect(margin).toBeInstanceOf(ccxt.InsufficientFunds);
    expect(margin.message).toContain('"code":-2019');
    // Cancelling an order that does not exist: -2011; querying one: -2013.
    expect(await rejection(ex.cancelOrder("999999", BTC))).toBeInstanceOf(ccxt.OrderNotFound);
    expect(await rejection(ex.fetchOrder("999999", BTC))).toBeInstanceOf(ccxt.OrderNotFound);
    // A symbol the mock does not list, through ccxt's implicit API (its unified methods refuse
    // unknown symbols before sending): -1121.
    expect(await rejection(ex.fapiPublicGetDepth({ symbol: "NOPEUSDT" }))).toBeInstanceOf(ccxt.BadSymbol);
    // A key the mock does not know: -2015.
    const stranger = ccxtFor({ accountId: 0, apiKey: "stpnope", apiSecret: "00".repeat(32) });
    expect(await rejection(stranger.fetchBalance())).toBeInstanceOf(ccxt.AuthenticationError);
  });

  it("maps the weight limit's 429 to DDoSProtection / RateLimitExceeded", async () => {
    // A book of 1000 levels weighs 20: the second one in a minute window is over the budget (a
    // third covers a window boundary falling between the first two).
    await start({ limits: { ...EXCHANGE_DEFAULTS.limits, weightPerMinute: 25 } });
    const ex = ccxtFor(undefined);
    await ex.loadMarkets();
    let limited: Error | undefined;
    for (let i = 0; i < 3 && limited === undefined; i++) {
      try {
        await ex.fetchOrderBook(BTC, 1000);
      } catch (err) {
        limited = err as Error;
      }
    }
    if (limited === undefined) throw new Error("three books of weight 20 within a budget of 25");
    expect(
      limited instanceof ccxt.DDoSProtection || limited instanceof ccxt.RateLimitExceeded,
      String(limited),
    ).toBe(true);
    expect(limited.message).toContain("429");
  });
});

describe("ccxt binanceusdm against a mock started like `stampede serve --capacity unlimited`", () => {
  /** The venue `serve --capacity unlimited` runs (defaults, no capacity model), on port 0. */
  const served = () =>
    serveConfig({ capacity: "unlimited", seed: EXCHANGE_DEFAULTS.seed, trustProxy: false });

  it("fetchTicker, fetchTickers and fetchOHLCV read the venue's own trades", async () => {
    const { config } = served();
    expect(config.capacity.enabled).toBe(false);
    const accounts = await start({}, config);
    const ex = ccxtFor(accounts[0]);
    await ex.loadMarkets();
    // Two fills: a buy at the best ask and a sell at the best bid of the house ladder.
    await ex.createOrder(BTC, "market", "buy", 0.002);
    await ex.createOrder(BTC, "market", "sell", 0.001);
    const ticker = await ex.fetchTicker(BTC);
    expect(ticker).toMatchObject({
      symbol: BTC,
      last: 59_999.9,
      open: 60_000.1,
      high: 60_000.1,
      low: 59_999.9,
    });
    expect(ticker.baseVolume).toBeCloseTo(0.003, 9);
    const tickers = await ex.fetchTickers();
    expect(Object.keys(tickers).sort()).toEqual([BTC, "ETH/USDT:USDT"]);
    const candles = await ex.fetchOHLCV(BTC, "1m");
    expect(candles.length).toBeGreaterThanOrEqual(1);
    // The trades' minute (two, should a minute boundary fall between them), then flat ones up to now.
    const rows = candles as number[][];
    const col = (k: number) => rows.map((c) => c[k] as number);
    expect(col(0).every((t) => t % 60_000 === 0)).toBe(true);
    expect([col(1)[0], Math.max(...col(2)), Math.min(...col(3)), col(4).at(-1)]).toEqual([
      60_000.1, 60_000.1, 59_999.9, 59_999.9,
    ]);
    expect(col(5).reduce((a, b) => a + b, 0)).toBeCloseTo(0.003, 9);
    const paths = new Set(requested.map((r) => new URL(r.split(" ")[1] as string).pathname));
    expect(
      [...paths].filter((p) => p.startsWith("/fapi/v1/ticker") || p === "/fapi/v1/klines").sort(),
    ).toEqual(["/fapi/v1/klines", "/fapi/v1/ticker/24hr"]);
  });

  it("600 concurrent position reads from one client end in 429/418 (ccxt's DDoSProtection), never in timeouts", {
    timeout: 60_000,
  }, async () => {
    const accounts = await start({}, served().config);
    const ex = ccxtFor(accounts[0]);
    // Markets and leverage brackets loaded once, as a client does before its burst.
    await ex.fetchPositions([BTC]);
    const outcomes = await Promise.allSettled(Array.from({ length: 600 }, () => ex.fetchPositions([BTC])));
    const count = { ok: 0, rateLimited: 0, timeout: 0, unavailable: 0, other: [] as string[] };
    for (const o of outcomes) {
      if (o.status === "fulfilled") count.ok++;
      else if (o.reason instanceof ccxt.RateLimitExceeded || o.reason instanceof ccxt.DDoSProtection)
        count.rateLimited++;
      else if (o.reason instanceof ccxt.RequestTimeout) count.timeout++;
      else if (o.reason instanceof ccxt.ExchangeNotAvailable) count.unavailable++;
      else count.other.push(String(o.reason).slice(0, 200));
    }
    console.info(`600 concurrent fetchPositions: ${JSON.stringify(count)}`);
    expect({ timeout: count.timeout, unavailable: count.unavailable, other: count.other }).toEqual({
      timeout: 0,
      unavailable: 0,
      other: [],
    });
    // 2,400 weight a minute, 5 a read: the first ~479 pass, the rest are refused.
    expect(count.rateLimited).toBeGreaterThan(0);
    expect(count.ok).toBeGreaterThan(400);
    expect(count.ok + count.rateLimited).toBe(600);
  });
});
