import { afterEach, describe, expect, it } from "vitest";
import { signPayload } from "../../mock-exchange/api/auth.ts";
import { startVenueServer, type VenueServer } from "../../mock-exchange/api/server.ts";
import type { ExchangeConfig } from "../../mock-exchange/defaults.ts";
import { controlAccounts, fastExchangeConfig } from "./fixture.ts";

/**
 * The market data common clients ask for first, on a real socket (127.0.0.1:0) under a fake
 * clock: GET /fapi/v1/klines and /fapi/v1/ticker/24hr built from the venue's own trades,
 * /fapi/v2/ticker/price, /fapi/v3/balance and /fapi/v1/openOrder, with their weights and
 * refusals.
 */

interface Account {
  accountId: number;
  apiKey: string;
  apiSecret: string;
}

type Json = Record<string, unknown> & Array<unknown>;

let exchange: VenueServer | undefined;
let accounts: Account[] = [];
/** The venue's clock, moved by the tests. */
let nowMs = 0;

/** 2026-01-01 00:00:30 UTC: half a minute into an epoch minute, a day, a month. */
const T0 = Date.UTC(2026, 0, 1, 0, 0, 30);
const MINUTE = 60_000;
const minuteOf = (ms: number) => Math.floor(ms / MINUTE) * MINUTE;

async function start(overrides: Partial<ExchangeConfig> = {}) {
  nowMs = T0;
  exchange = await startVenueServer({
    port: 0,
    // No modelled service: under a fake clock requests run at exactly the times the test sets.
    config: fastExchangeConfig({
      accounts: 2,
      capacity: { ...fastExchangeConfig().capacity, enabled: false },
      ...overrides,
    }),
    now: () => nowMs,
  });
  accounts = await controlAccounts<Account>(exchange);
}

afterEach(async () => {
  await exchange?.close();
  exchange = undefined;
});

let ipSeq = 0;
/** Each call from its own client IP unless given: tests of weight pass one. */
async function call(method: string, path: string, as?: Account, params = "", ip = `127.9.2.${++ipSeq}`) {
  const headers: Record<string, string> = { "X-Forwarded-For": ip };
  let payload = params;
  if (as !== undefined) {
    headers["X-MBX-APIKEY"] = as.apiKey;
    payload = `${params === "" ? "" : `${params}&`}timestamp=${nowMs}`;
    payload = `${payload}&signature=${signPayload(as.apiSecret, payload)}`;
  }
  const inQuery = method === "GET";
  if (!inQuery) headers["Content-Type"] = "application/x-www-form-urlencoded";
  const url = `${(exchange as VenueServer).url}${path}${inQuery && payload !== "" ? `?${payload}` : ""}`;
  const res = await fetch(url, { method, headers, body: inQuery ? undefined : payload });
  return {
    status: res.status,
    json: (await res.json()) as Json,
    weight: res.headers.get("x-mbx-used-weight-1m"),
  };
}

const me = () => accounts[0] as Account;
const market = (side: "BUY" | "SELL", quantity: string) =>
  call("POST", "/fapi/v1/order", me(), `symbol=BTCUSDT&side=${side}&type=MARKET&quantity=${quantity}`);

/** Two trades a minute apart, then two quiet minutes: the book's best ask is 60000.1, best bid 59999.9. */
async function tradeTwice() {
  expect((await market("BUY", "0.002")).json).toMatchObject({ status: "FILLED", avgPrice: "60000.10000000" });
  nowMs += MINUTE;
  expect((await market("SELL", "0.003")).json).toMatchObject({ status: "FILLED" });
  nowMs += 2 * MINUTE;
}

describe("GET /fapi/v1/klines", () => {
  it("builds one-minute candles from the trades, contiguous up to the open one", async () => {
    await start();
    await tradeTwice();
    const res = await call("GET", "/fapi/v1/klines", undefined, "symbol=BTCUSDT&interval=1m");
    expect(res.status).toBe(200);
    const m0 = minuteOf(T0);
    expect(res.json).toEqual([
      [
        m0,
        "60000.10",
        "60000.10",
        "60000.10",
        "60000.10",
        "0.002",
        m0 + MINUTE - 1,
        "120.00020000",
        1,
        "0.002",
        "120.00020000",
        "0",
      ],
      [
        m0 + MINUTE,
        "59999.90",
        "59999.90",
        "59999.90",
        "59999.90",
        "0.003",
        m0 + 2 * MINUTE - 1,
        "179.99970000",
        1,
        "0.000",
        "0.00000000",
        "0",
      ],
      // No trade: flat at the last close, volume 0.
      [
        m0 + 2 * MINUTE,
        "59999.90",
        "59999.90",
        "59999.90",
        "59999.90",
        "0.000",
        m0 + 3 * MINUTE - 1,
        "0.00000000",
        0,
        "0.000",
        "0.00000000",
        "0",
      ],
      [
        m0 + 3 * MINUTE,
        "59999.90",
        "59999.90",
        "59999.90",
        "59999.90",
        "0.000",
        m0 + 4 * MINUTE - 1,
        "0.00000000",
        0,
        "0.000",
        "0.00000000",
        "0",
      ],
    ]);
    // Coarser intervals aggregate the minutes: one 5-minute candle holds both trades.
    const five = await call("GET", "/fapi/v1/klines", undefined, "symbol=BTCUSDT&interval=5m");
    expect(five.json).toEqual([
      [
        m0,
        "60000.10",
        "60000.10",
        "59999.90",
        "59999.90",
        "0.005",
        m0 + 5 * MINUTE - 1,
        "299.99990000",
        2,
        "0.002",
        "120.00020000",
        "0",
      ],
    ]);
    const day = await call("GET", "/fapi/v1/klines", undefined, "symbol=BTCUSDT&interval=1d");
    expect((day.json[0] as unknown[])[0]).toBe(Date.UTC(2026, 0, 1));
    const month = await call("GET", "/fapi/v1/klines", undefined, "symbol=BTCUSDT&interval=1M");
    expect((month.json[0] as unknown[]).slice(0, 1).concat((month.json[0] as unknown[])[6])).toEqual([
      Date.UTC(2026, 0, 1),
      Date.UTC(2026, 1, 1) - 1,
    ]);
    // A symbol nobody traded has no candles yet.
    const eth = await call("GET", "/fapi/v1/klines", undefined, "symbol=ETHUSDT&interval=1m");
    expect(eth.json).toEqual([]);
  });

  it("selects by startTime, endTime and limit as Binance does", async () => {
    await start();
    await tradeTwice();
    const m0 = minuteOf(T0);
    const opens = async (params: string) =>
      (await call("GET", "/fapi/v1/klines", undefined, `symbol=BTCUSDT&interval=1m&${params}`)).json.map(
        (k) => (k as number[])[0],
      );
    expect(await opens("limit=2")).toEqual([m0 + 2 * MINUTE, m0 + 3 * MINUTE]);
    expect(await opens(`startTime=${m0 + MINUTE}&limit=2`)).toEqual([m0 + MINUTE, m0 + 2 * MINUTE]);
    // A startTime inside a minute starts at the next candle.
    expect(await opens(`startTime=${m0 + 1}`)).toEqual([m0 + MINUTE, m0 + 2 * MINUTE, m0 + 3 * MINUTE]);
    expect(await opens(`endTime=${m0 + MINUTE}`)).toEqual([m0, m0 + MINUTE]);
    expect(await opens(`startTime=${m0}&endTime=${m0 + MINUTE}`)).toEqual([m0, m0 + MINUTE]);
  });
});

describe("GET /fapi/v1/klines: weight, refusals, natural clock", () => {
  it("weighs by limit and refuses a bad interval, limit, symbol or window", async () => {
    await start();
    const ip = "127.9.3.1";
    const weights: number[] = [];
    for (const limit of [99, 100, 500, 1000, 1001, 1500]) {
      const res = await call(
        "GET",
        "/fapi/v1/klines",
        undefined,
        `symbol=BTCUSDT&interval=1m&limit=${limit}`,
        ip,
      );
      expect(res.status).toBe(200);
      weights.push(Number(res.weight));
    }
    expect(weights.map((w, i) => w - (weights[i - 1] ?? 0))).toEqual([1, 2, 5, 5, 10, 10]);
    const bare = await call("GET", "/fapi/v1/klines", undefined, "symbol=BTCUSDT&interval=1m", "127.9.3.2");
    expect(bare.weight).toBe("5");
    const refused: Array<[string, number]> = [
      ["symbol=BTCUSDT&interval=2m", -1120],
      ["symbol=BTCUSDT&interval=1m&limit=1501", -1130],
      ["symbol=BTCUSDT&interval=1m&limit=0", -1130],
      ["symbol=BTCUSDT", -1102],
      ["interval=1m", -1102],
      ["symbol=NOPEUSDT&interval=1m", -1121],
      ["symbol=BTCUSDT&interval=1m&startTime=2000&endTime=1000", -1130],
    ];
    for (const [params, code] of refused) {
      const res = await call("GET", "/fapi/v1/klines", undefined, params);
      expect({ params, status: res.status, code: res.json.code }).toEqual({ params, status: 400, code });
    }
  });

  it("runs candles on the natural clock: at time scale 60 a one-minute candle is one wall second", async () => {
    await start({ timeScale: 60 });
    await market("BUY", "0.001");
    nowMs += 1_000;
    await market("BUY", "0.001");
    const res = await call("GET", "/fapi/v1/klines", undefined, "symbol=BTCUSDT&interval=1m");
    const rows = res.json as unknown as number[][];
    expect(rows).toHaveLength(2);
    const n = (r: number[] | undefined, i: number) => (r as number[])[i] as number;
    expect(rows.map((r) => [n(r, 6) - n(r, 0), n(r, 8)])).toEqual([
      [999, 1],
      [999, 1],
    ]);
    expect(n(rows[1], 0) - n(rows[0], 0)).toBe(1_000);
  });
});

describe("GET /fapi/v1/ticker/24hr", () => {
  it("reports the last 24 natural hours of trades per symbol, and a flat market without them", async () => {
    await start();
    await tradeTwice();
    const btc = await call("GET", "/fapi/v1/ticker/24hr", undefined, "symbol=BTCUSDT");
    expect(btc.status).toBe(200);
    expect(btc.json).toMatchObject({
      symbol: "BTCUSDT",
      priceChange: "-0.20",
      priceChangePercent: "-0.000",
      lastPrice: "59999.90",
      lastQty: "0.003",
      openPrice: "60000.10",
      highPrice: "60000.10",
      lowPrice: "59999.90",
      volume: "0.005",
      quoteVolume: "299.99990000",
      weightedAvgPrice: "59999.98000000",
      closeTime: nowMs,
      count: 2,
    });
    expect(btc.json.lastId as number).toBe((btc.json.firstId as number) + 1);
    const all = await call("GET", "/fapi/v1/ticker/24hr", undefined, "", "127.9.4.1");
    expect(all.weight).toBe("40");
    expect(all.json.map((t) => (t as { symbol: string }).symbol)).toEqual(["BTCUSDT", "ETHUSDT"]);
    expect(all.json[1]).toMatchObject({
      count: 0,
      firstId: -1,
      lastId: -1,
      volume: "0.000",
      priceChange: "0.00",
    });
    const one = await call("GET", "/fapi/v1/ticker/24hr", undefined, "symbol=BTCUSDT", "127.9.4.2");
    expect(one.weight).toBe("1");
    // A day later the window is empty again; the last price stays.
    nowMs += 24 * 3_600_000;
    const later = await call("GET", "/fapi/v1/ticker/24hr", undefined, "symbol=BTCUSDT");
    expect(later.json).toMatchObject({
      count: 0,
      volume: "0.000",
      lastPrice: "59999.90",
      openPrice: "59999.90",
    });
    expect((await call("GET", "/fapi/v1/ticker/24hr", undefined, "symbol=NOPE")).json.code).toBe(-1121);
  });
});

describe("v2 ticker price, v3 balance, one open order", () => {
  it("answers /fapi/v2/ticker/price as v1 and /fapi/v3/balance as v2", async () => {
    await start();
    await market("BUY", "0.002");
    const v1 = await call("GET", "/fapi/v1/ticker/price", undefined, "symbol=BTCUSDT");
    const v2 = await call("GET", "/fapi/v2/ticker/price", undefined, "symbol=BTCUSDT");
    expect(v2.json).toEqual(v1.json);
    expect(v2.json).toMatchObject({ symbol: "BTCUSDT", price: "60000.10" });
    const all = await call("GET", "/fapi/v2/ticker/price", undefined, "", "127.9.5.1");
    expect([all.json.length, all.weight]).toEqual([2, "2"]);
    const b2 = await call("GET", "/fapi/v2/balance", me());
    const b3 = await call("GET", "/fapi/v3/balance", me(), "", "127.9.5.2");
    expect(b3.json).toEqual(b2.json);
    expect(b3.weight).toBe("5");
    expect((await call("GET", "/fapi/v3/balance")).status).toBe(401);
  });

  it("GET /fapi/v1/openOrder finds a resting order of the caller's only", async () => {
    await start();
    const placed = await call(
      "POST",
      "/fapi/v1/order",
      me(),
      "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.001&price=59000.0&newClientOrderId=rest-1",
    );
    const id = placed.json.orderId as number;
    const byId = await call("GET", "/fapi/v1/openOrder", me(), `symbol=BTCUSDT&orderId=${id}`);
    expect(byId.json).toMatchObject({ orderId: id, status: "NEW", time: nowMs });
    const byClientId = await call(
      "GET",
      "/fapi/v1/openOrder",
      me(),
      "symbol=BTCUSDT&origClientOrderId=rest-1",
    );
    expect(byClientId.json).toMatchObject({ orderId: id });
    const stranger = await call("GET", "/fapi/v1/openOrder", accounts[1], `symbol=BTCUSDT&orderId=${id}`);
    expect([stranger.status, stranger.json.code]).toEqual([400, -2013]);
    expect((await call("GET", "/fapi/v1/openOrder", me(), "symbol=BTCUSDT")).json.code).toBe(-1102);
    await call("DELETE", "/fapi/v1/order", me(), `symbol=BTCUSDT&orderId=${id}`);
    const gone = await call("GET", "/fapi/v1/openOrder", me(), `symbol=BTCUSDT&orderId=${id}`);
    expect([gone.status, gone.json.code]).toEqual([400, -2013]);
    // A filled order is not open either.
    const filled = (await market("BUY", "0.001")).json.orderId as number;
    expect(
      (await call("GET", "/fapi/v1/openOrder", me(), `symbol=BTCUSDT&orderId=${filled}`)).json.code,
    ).toBe(-2013);
  });
});
