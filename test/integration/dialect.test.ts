import { createHmac } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { startVenueServer, type VenueServer } from "../../mock-exchange/api/server.ts";
import { DEFAULT_SYMBOLS, EXCHANGE_DEFAULTS, type ExchangeConfig } from "../../mock-exchange/defaults.ts";
import { controlAccounts, fastExchangeConfig } from "./fixture.ts";

/**
 * The Binance USDⓈ-M dialect on a real socket (127.0.0.1:0): signed requests, the public
 * market-data endpoints, order query / modify / cancel-all, account reads, leverage and the
 * engine's rejections; and isolation: another account's key never sees or touches an order.
 */

function config(overrides: Partial<ExchangeConfig> = {}): ExchangeConfig {
  return fastExchangeConfig({ accounts: 3, ...overrides });
}

interface Account {
  accountId: number;
  apiKey: string;
  apiSecret: string;
}

let exchange: VenueServer | undefined;
let accounts: Account[] = [];

async function start(overrides: Partial<ExchangeConfig> = {}) {
  exchange = await startVenueServer({ port: 0, config: config(overrides) });
  accounts = await controlAccounts<Account>(exchange);
}

afterEach(async () => {
  await exchange?.close();
  exchange = undefined;
});

type Json = Record<string, unknown> & Array<Record<string, unknown>>;

interface CallOptions {
  /** Account whose key (and secret) is used; undefined = public call. */
  as?: Account;
  /** Parameters; sent in the query for GET, in the body otherwise. */
  params?: string;
  /** Timestamp to sign with (default now); null = none. */
  timestamp?: number | null;
  /** Override the signature (default: the correct one); null = none. */
  signature?: string | null;
  ip?: string;
}

async function call(method: string, path: string, o: CallOptions = {}) {
  const headers: Record<string, string> = { "X-Forwarded-For": o.ip ?? "127.9.0.1" };
  let params = o.params ?? "";
  if (o.as !== undefined) {
    headers["X-MBX-APIKEY"] = o.as.apiKey;
    const ts = o.timestamp === undefined ? Date.now() : o.timestamp;
    if (ts !== null) params = params === "" ? `timestamp=${ts}` : `${params}&timestamp=${ts}`;
    const sig =
      o.signature === undefined
        ? createHmac("sha256", o.as.apiSecret).update(params).digest("hex")
        : o.signature;
    if (sig !== null) params = `${params}&signature=${sig}`;
  }
  const inQuery = method === "GET";
  const url = `${(exchange as VenueServer).url}${path}${inQuery && params !== "" ? `?${params}` : ""}`;
  if (!inQuery) headers["Content-Type"] = "application/x-www-form-urlencoded";
  const res = await fetch(url, { method, headers, body: inQuery ? undefined : params });
  return { status: res.status, headers: res.headers, json: (await res.json()) as Json };
}

const me = () => accounts[0] as Account;
const other = () => accounts[1] as Account;

async function openOrderIds(a: Account, symbol = "BTCUSDT"): Promise<number[]> {
  const res = await call("GET", "/fapi/v1/openOrders", { as: a, params: `symbol=${symbol}` });
  expect(res.status).toBe(200);
  return res.json.map((o) => o.orderId as number);
}

async function restingBuy(a: Account, price = "59000.0", extra = "") {
  const res = await call("POST", "/fapi/v1/order", {
    as: a,
    params: `symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.002&price=${price}${extra}`,
  });
  expect(res.status).toBe(200);
  return res.json;
}

describe("signed requests", () => {
  it("refuses missing keys, bad signatures and stale or future timestamps at the edge, changing nothing", async () => {
    await start();
    const body = "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.001&price=59000.0";
    const cases: Array<[string, CallOptions, number, number]> = [
      ["signed", { as: me(), params: body }, 200, 0],
      ["no signature", { as: me(), params: body, signature: null }, 400, -1022],
      ["wrong signature", { as: me(), params: body, signature: "ab".repeat(32) }, 400, -1022],
      [
        "signed by another's secret",
        { as: { ...me(), apiSecret: other().apiSecret }, params: body },
        400,
        -1022,
      ],
      ["no timestamp", { as: me(), params: body, timestamp: null }, 400, -1102],
      ["6 s old", { as: me(), params: body, timestamp: Date.now() - 6_000 }, 400, -1021],
      ["2 s ahead", { as: me(), params: body, timestamp: Date.now() + 2_000 }, 400, -1021],
      ["recvWindow 60000 too large", { as: me(), params: `${body}&recvWindow=60001` }, 400, -1130],
      [
        "6 s old in a 10 s window",
        { as: me(), params: `${body}&recvWindow=10000`, timestamp: Date.now() - 6_000 },
        200,
        0,
      ],
    ];
    for (const [name, opts, status, code] of cases) {
      const res = await call("POST", "/fapi/v1/order", opts);
      expect({ name, status: res.status, code: res.json.code ?? 0 }).toEqual({ name, status, code });
    }
    // Only the two valid orders exist.
    expect(await openOrderIds(me())).toHaveLength(2);
    // No key at all (-2014) and an unknown key (-2015), both 401.
    const noKey = await fetch(`${(exchange as VenueServer).url}/fapi/v2/balance?timestamp=${Date.now()}`);
    expect([noKey.status, ((await noKey.json()) as { code: number }).code]).toEqual([401, -2014]);
    const unknown = await call("GET", "/fapi/v2/balance", { as: { ...me(), apiKey: "stpnope" } });
    expect([unknown.status, unknown.json.code]).toEqual([401, -2015]);
    // Signed GETs: the signature covers the query string.
    expect((await call("GET", "/fapi/v2/balance", { as: me() })).status).toBe(200);
    expect((await call("GET", "/fapi/v2/balance", { as: me(), signature: "00".repeat(32) })).json.code).toBe(
      -1022,
    );
  });

  it("with auth.requireSignature false, the key alone identifies the caller", async () => {
    await start({ auth: { requireSignature: false } });
    const res = await call("GET", "/fapi/v2/balance", { as: me(), timestamp: null, signature: null });
    expect(res.status).toBe(200);
  });

  it("serves random keys and secrets per instance, whatever the seed; the same ones for one secretsSeed", async () => {
    await start();
    const first = accounts;
    await (exchange as VenueServer).close();
    await start();
    // Same config.seed: nothing in common, so nobody derives a venue's secrets from run.json's seed.
    const firstKeys = new Set(first.flatMap((a) => [a.apiKey, a.apiSecret]));
    expect(accounts.filter((a) => firstKeys.has(a.apiKey) || firstKeys.has(a.apiSecret))).toEqual([]);
    expect(new Set(accounts.map((a) => a.apiSecret)).size).toBe(accounts.length);
    for (const a of accounts) {
      expect(a.apiKey).toMatch(/^stp[0-9a-f]{32}$/);
      expect(a.apiSecret).toMatch(/^[0-9a-f]{64}$/);
    }
    await (exchange as VenueServer).close();
    await start({ secretsSeed: 42 });
    const seeded = accounts;
    await (exchange as VenueServer).close();
    await start({ secretsSeed: 42 });
    expect(accounts).toEqual(seeded);
  });
});

describe("public market data", () => {
  it("exchangeInfo lists symbols with their filters and the limits in force", async () => {
    await start({
      limits: { ...EXCHANGE_DEFAULTS.limits, weightPerMinute: 1_234, ordersPer10s: 30, ordersPerMinute: 120 },
    });
    const res = await call("GET", "/fapi/v1/exchangeInfo");
    expect(res.status).toBe(200);
    expect(Math.abs((res.json.serverTime as number) - Date.now())).toBeLessThan(1_000);
    expect(res.json.rateLimits).toEqual([
      { rateLimitType: "REQUEST_WEIGHT", interval: "MINUTE", intervalNum: 1, limit: 1_234 },
      { rateLimitType: "ORDERS", interval: "SECOND", intervalNum: 10, limit: 30 },
      { rateLimitType: "ORDERS", interval: "MINUTE", intervalNum: 1, limit: 120 },
    ]);
    const symbols = res.json.symbols as unknown as Array<Record<string, unknown>>;
    expect(symbols.map((s) => s.symbol)).toEqual(["BTCUSDT", "ETHUSDT"]);
    const btc = symbols[0] as { filters: Array<Record<string, unknown>>; [k: string]: unknown };
    expect(btc).toMatchObject({
      status: "TRADING",
      contractType: "PERPETUAL",
      baseAsset: "BTC",
      quoteAsset: "USDT",
    });
    const filter = (t: string) => btc.filters.find((f) => f.filterType === t);
    expect(filter("PRICE_FILTER")).toMatchObject({ tickSize: "0.10" });
    expect(filter("LOT_SIZE")).toMatchObject({ stepSize: "0.001", minQty: "0.001" });
    expect(filter("MIN_NOTIONAL")).toMatchObject({ notional: "0" });
    expect(btc.orderTypes).toEqual(["LIMIT", "MARKET", "STOP_MARKET", "TAKE_PROFIT_MARKET"]);
  });

  it("ticker/price and premiumIndex, one symbol or all, with their weights", async () => {
    await start();
    const one = await call("GET", "/fapi/v1/ticker/price", { params: "symbol=BTCUSDT", ip: "127.9.3.1" });
    expect(one.json).toMatchObject({ symbol: "BTCUSDT", price: "60000.00" });
    expect(one.headers.get("x-mbx-used-weight-1m")).toBe("1");
    const all = await call("GET", "/fapi/v1/ticker/price", { ip: "127.9.3.1" });
    expect(all.json.map((t) => t.symbol)).toEqual(["BTCUSDT", "ETHUSDT"]);
    expect(all.headers.get("x-mbx-used-weight-1m")).toBe("3");
    const premium = await call("GET", "/fapi/v1/premiumIndex", { params: "symbol=ETHUSDT" });
    expect(premium.json).toMatchObject({
      symbol: "ETHUSDT",
      markPrice: "3000.00000000",
      indexPrice: "3000.00000000",
    });
    expect(premium.json.nextFundingTime as number).toBeGreaterThan(Date.now());
    expect((await call("GET", "/fapi/v1/premiumIndex")).json).toHaveLength(2);
    expect((await call("GET", "/fapi/v1/ticker/price", { params: "symbol=NOPE" })).json.code).toBe(-1121);
  });
});

describe("orders", () => {
  it("GET order by orderId or origClientOrderId; -2013 when missing or another account's", async () => {
    await start();
    const placed = await restingBuy(me(), "59000.0", "&newClientOrderId=mine-1");
    const byId = await call("GET", "/fapi/v1/order", {
      as: me(),
      params: `symbol=BTCUSDT&orderId=${placed.orderId}`,
    });
    expect(byId.status).toBe(200);
    expect(byId.json).toMatchObject({
      orderId: placed.orderId,
      clientOrderId: "mine-1",
      status: "NEW",
      price: "59000.00",
      origQty: "0.002",
      type: "LIMIT",
    });
    expect(typeof byId.json.time).toBe("number");
    const byClient = await call("GET", "/fapi/v1/order", {
      as: me(),
      params: "symbol=BTCUSDT&origClientOrderId=mine-1",
    });
    expect(byClient.json.orderId).toBe(placed.orderId);
    const missing = await call("GET", "/fapi/v1/order", {
      as: me(),
      params: "symbol=BTCUSDT&orderId=999999",
    });
    expect([missing.status, missing.json.code]).toEqual([400, -2013]);
    // Isolation: the same id or client id through another key does not exist.
    for (const ref of [`orderId=${placed.orderId}`, "origClientOrderId=mine-1"]) {
      const res = await call("GET", "/fapi/v1/order", { as: other(), params: `symbol=BTCUSDT&${ref}` });
      expect([res.status, res.json.code]).toEqual([400, -2013]);
    }
    expect((await call("GET", "/fapi/v1/order", { as: me(), params: "symbol=BTCUSDT" })).json.code).toBe(
      -1102,
    );
  });

  it("PUT modifies price and quantity of an own open LIMIT order; never another's", async () => {
    await start();
    const placed = await restingBuy(me());
    const hijack = await call("PUT", "/fapi/v1/order", {
      as: other(),
      params: `symbol=BTCUSDT&orderId=${placed.orderId}&side=BUY&quantity=0.005&price=59500.0`,
    });
    expect([hijack.status, hijack.json.code]).toEqual([400, -2013]);
    const modified = await call("PUT", "/fapi/v1/order", {
      as: me(),
      params: `symbol=BTCUSDT&orderId=${placed.orderId}&side=BUY&quantity=0.005&price=59500.0`,
    });
    expect(modified.status).toBe(200);
    expect(modified.json).toMatchObject({
      orderId: placed.orderId,
      price: "59500.00",
      origQty: "0.005",
      status: "NEW",
    });
    const wrongSide = await call("PUT", "/fapi/v1/order", {
      as: me(),
      params: `symbol=BTCUSDT&orderId=${placed.orderId}&side=SELL&quantity=0.005&price=59500.0`,
    });
    expect(wrongSide.json.code).toBe(-1130);
    // A finished order cannot be modified.
    await call("DELETE", "/fapi/v1/order", { as: me(), params: `symbol=BTCUSDT&orderId=${placed.orderId}` });
    const gone = await call("PUT", "/fapi/v1/order", {
      as: me(),
      params: `symbol=BTCUSDT&orderId=${placed.orderId}&side=BUY&quantity=0.005&price=59400.0`,
    });
    expect(gone.json.code).toBe(-2013);
  });

  it("DELETE order and allOpenOrders cancel only the caller's own orders", async () => {
    await start();
    const a = await restingBuy(me(), "59000.0");
    await restingBuy(me(), "58900.0");
    const theirs = await restingBuy(other(), "58800.0");
    const cancelMine = await call("DELETE", "/fapi/v1/order", {
      as: other(),
      params: `symbol=BTCUSDT&orderId=${a.orderId}`,
    });
    expect([cancelMine.status, cancelMine.json.code]).toEqual([400, -2011]);
    const all = await call("DELETE", "/fapi/v1/allOpenOrders", { as: other(), params: "symbol=BTCUSDT" });
    expect(all.json).toEqual({ code: 200, msg: "The operation of cancel all open order is done." });
    expect(await openOrderIds(me())).toHaveLength(2);
    expect(await openOrderIds(other())).toEqual([]);
    expect(
      (
        await call("GET", "/fapi/v1/order", {
          as: other(),
          params: `symbol=BTCUSDT&orderId=${theirs.orderId}`,
        })
      ).json.status,
    ).toBe("CANCELED");
    await call("DELETE", "/fapi/v1/allOpenOrders", { as: me(), params: "symbol=BTCUSDT" });
    expect(await openOrderIds(me())).toEqual([]);
    // openOrders without a symbol weighs 40.
    const unfiltered = await call("GET", "/fapi/v1/openOrders", { as: me(), ip: "127.9.4.1" });
    expect(unfiltered.headers.get("x-mbx-used-weight-1m")).toBe("40");
  });

  it("maps the engine's rejections: -2019 margin, -2022 reduce-only, -2021 immediate trigger, -4164 min notional", async () => {
    await start({
      symbols: DEFAULT_SYMBOLS.map((s) => (s.symbol === "BTCUSDT" ? { ...s, minNotional: "100" } : s)),
      balances: { initialBalanceUsdt: 10_000, houseBalanceUsdt: 1_000_000_000 },
    });
    const post = (params: string) =>
      call("POST", "/fapi/v1/order", { as: me(), params: `symbol=BTCUSDT&${params}` });
    // 5 BTC at 59000 at 20x needs 14,750 USDT of a 10,000 wallet.
    expect((await post("side=BUY&type=LIMIT&timeInForce=GTC&quantity=5.000&price=59000.0")).json.code).toBe(
      -2019,
    );
    expect((await post("side=SELL&type=MARKET&quantity=0.002&reduceOnly=true")).json.code).toBe(-2022);
    // Mark is 60000: a sell stop at 61000 would trigger at once.
    expect((await post("side=SELL&type=STOP_MARKET&stopPrice=61000.0&closePosition=true")).json.code).toBe(
      -2021,
    );
    // 0.001 x 59000 = 59 USDT < 100.
    expect((await post("side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.001&price=59000.0")).json.code).toBe(
      -4164,
    );
    expect(await openOrderIds(me())).toEqual([]);
    const info = await call("GET", "/fapi/v1/exchangeInfo");
    const btc = (info.json.symbols as unknown as Array<{ filters: Array<Record<string, unknown>> }>)[0];
    expect(btc?.filters.find((f) => f.filterType === "MIN_NOTIONAL")).toEqual({
      filterType: "MIN_NOTIONAL",
      notional: "100",
    });
  });

  it("takes reduceOnly, closePosition and stop orders", async () => {
    await start();
    const post = (params: string) =>
      call("POST", "/fapi/v1/order", { as: me(), params: `symbol=BTCUSDT&${params}` });
    const fill = await post("side=BUY&type=MARKET&quantity=0.005");
    expect(fill.json.status).toBe("FILLED");
    const stop = await post("side=SELL&type=STOP_MARKET&stopPrice=55000.0&closePosition=true");
    expect(stop.status).toBe(200);
    expect(stop.json).toMatchObject({
      type: "STOP_MARKET",
      status: "NEW",
      closePosition: true,
      reduceOnly: true,
      stopPrice: "55000.00",
    });
    const tp = await post(
      "side=SELL&type=TAKE_PROFIT_MARKET&stopPrice=65000.0&quantity=0.002&reduceOnly=true",
    );
    expect(tp.json).toMatchObject({ type: "TAKE_PROFIT_MARKET", reduceOnly: true, origQty: "0.002" });
    expect(await openOrderIds(me())).toEqual([stop.json.orderId, tp.json.orderId]);
    const reduce = await post("side=SELL&type=MARKET&quantity=0.002&reduceOnly=true");
    expect(reduce.json).toMatchObject({ status: "FILLED", reduceOnly: true, executedQty: "0.002" });
    // Bad combinations are refused at the edge.
    expect((await post("side=SELL&type=MARKET&closePosition=true")).json.code).toBe(-1128);
    expect((await post("side=SELL&type=STOP_MARKET&quantity=0.001")).json.code).toBe(-1102);
    expect((await post("side=SELL&type=MARKET&quantity=0.001&stopPrice=50000.0")).json.code).toBe(-1106);
    expect((await post("side=SELL&type=MARKET&quantity=0.001&reduceOnly=maybe")).json.code).toBe(-1130);
    expect(
      (await post("side=SELL&type=STOP_MARKET&stopPrice=50000.0&closePosition=true&quantity=0.001")).json
        .code,
    ).toBe(-1106);
  });
});

describe("accounts", () => {
  it("balance, account v2/v3, positionRisk v3 and leverage, per account", async () => {
    await start();
    const balance = await call("GET", "/fapi/v2/balance", { as: me() });
    expect(balance.json).toHaveLength(1);
    expect(balance.json[0]).toMatchObject({
      asset: "USDT",
      balance: "100000.00000000",
      availableBalance: "100000.00000000",
    });
    const lev = await call("POST", "/fapi/v1/leverage", { as: me(), params: "symbol=BTCUSDT&leverage=10" });
    expect(lev.json).toMatchObject({ leverage: 10, symbol: "BTCUSDT" });
    expect(
      (await call("POST", "/fapi/v1/leverage", { as: me(), params: "symbol=BTCUSDT&leverage=126" })).json
        .code,
    ).toBe(-4028);
    // 0.010 BTC bought at 60000.1 at 10x: initial margin ~60 USDT, fees taken from the wallet.
    const fill = await call("POST", "/fapi/v1/order", {
      as: me(),
      params: "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.010",
    });
    expect(fill.json.status).toBe("FILLED");
    const v2 = await call("GET", "/fapi/v2/account", { as: me() });
    expect(v2.status).toBe(200);
    expect(Number(v2.json.totalWalletBalance)).toBeLessThan(100_000);
    expect(Number(v2.json.totalWalletBalance)).toBeGreaterThan(99_999);
    expect(Number(v2.json.totalInitialMargin)).toBeCloseTo(60, 0);
    expect(v2.json.canTrade).toBe(true);
    const positions = v2.json.positions as unknown as Array<Record<string, unknown>>;
    expect(positions.find((p) => p.symbol === "BTCUSDT")).toMatchObject({
      positionAmt: "0.010",
      leverage: "10",
    });
    const v3 = await call("GET", "/fapi/v3/account", { as: me() });
    expect((v3.json.positions as unknown as unknown[]).length).toBe(1);
    expect(v3.json.assets).toEqual([expect.objectContaining({ asset: "USDT" })]);
    const risk = await call("GET", "/fapi/v3/positionRisk", { as: me() });
    expect(risk.json).toHaveLength(1);
    expect(risk.json[0]).toMatchObject({ symbol: "BTCUSDT", positionAmt: "0.010", marginAsset: "USDT" });
    expect(risk.headers.get("x-mbx-used-weight-1m")).toBeDefined();
    // The other account is untouched: full balance, no positions, default leverage.
    const theirs = await call("GET", "/fapi/v2/account", { as: other() });
    expect(theirs.json.totalWalletBalance).toBe("100000.00000000");
    expect((await call("GET", "/fapi/v3/positionRisk", { as: other() })).json).toEqual([]);
    const theirV2 = await call("GET", "/fapi/v2/positionRisk", { as: other(), params: "symbol=BTCUSDT" });
    expect(theirV2.json[0]).toMatchObject({ positionAmt: "0.000", leverage: "20" });
  });
});
