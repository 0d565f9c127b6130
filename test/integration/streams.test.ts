import { createHmac } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { startVenueServer, type VenueServer } from "../../mock-exchange/api/server.ts";
import { marginRatio } from "../../mock-exchange/api/streams/userEvents.ts";
import type { ExchangeConfig } from "../../mock-exchange/defaults.ts";
import { isEngineError, type MatchingEngine } from "../../mock-exchange/engine/matchingEngine.ts";
import type { PlaceOrderInput } from "../../mock-exchange/engine/types.ts";
import { controlAccounts, controlFetch, fastExchangeConfig } from "./fixture.ts";

/**
 * The WebSocket streams on real sockets (ws client to 127.0.0.1): forceOrder's one snapshot per
 * second and the timeline's count of what it hid, depth diffs that rebuild the REST book, the
 * user data stream (ORDER_TRADE_UPDATE, ACCOUNT_UPDATE, MARGIN_CALL, listenKeyExpired), the
 * listenKey lifecycle, control messages, and a reset. The venue's clock is wall time plus an
 * offset the tests move (windows, expiry), so nothing sleeps for a window to pass.
 */

// biome-ignore lint/suspicious/noExplicitAny: stream payloads are checked field by field.
type Msg = Record<string, any>;

interface Account {
  apiKey: string;
  apiSecret: string;
}

interface Clock {
  offset: number;
  now: () => number;
}

let exchange: VenueServer | undefined;
const sockets: WebSocket[] = [];

afterEach(async () => {
  for (const ws of sockets.splice(0)) ws.terminate();
  await exchange?.close();
  exchange = undefined;
});

function testClock(): Clock {
  const clock: Clock = { offset: 0, now: () => Date.now() + clock.offset };
  return clock;
}

async function start(clock: Clock, overrides: Partial<ExchangeConfig> = {}) {
  const ex = await startVenueServer({ port: 0, config: fastExchangeConfig(overrides), now: clock.now });
  exchange = ex;
  const accounts = await controlAccounts<Account>(ex);
  return { ex, accounts, ws: ex.url.replace(/^http/, "ws") };
}

/** A REST call: signed (`as`) with the venue's clock, keyed only (`key`), or public. */
async function api(
  clock: Clock,
  method: string,
  path: string,
  o: { as?: Account; key?: string; params?: string } = {},
): Promise<{ status: number; body: Msg }> {
  const headers: Record<string, string> = {};
  let params = o.params ?? "";
  if (o.as !== undefined) {
    headers["X-MBX-APIKEY"] = o.as.apiKey;
    params = `${params === "" ? "" : `${params}&`}timestamp=${clock.now()}`;
    params += `&signature=${createHmac("sha256", o.as.apiSecret).update(params).digest("hex")}`;
  }
  if (o.key !== undefined) headers["X-MBX-APIKEY"] = o.key;
  const url = `${(exchange as VenueServer).url}${path}${method === "GET" && params !== "" ? `?${params}` : ""}`;
  if (method !== "GET") headers["Content-Type"] = "application/x-www-form-urlencoded";
  const res = await fetch(url, { method, headers, body: method === "GET" ? undefined : params });
  return { status: res.status, body: (await res.json()) as Msg };
}

async function listenKey(clock: Clock, account: Account): Promise<string> {
  const res = await api(clock, "POST", "/fapi/v1/listenKey", { key: account.apiKey });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.listenKey as string;
}

/** A connected client that keeps every message (parsed) and wakes waiters on each. */
class Client {
  readonly messages: Msg[] = [];
  closed: { code: number } | undefined;
  private wake: (() => void) | undefined;

  constructor(readonly ws: WebSocket) {
    ws.on("message", (data) => {
      this.messages.push(JSON.parse(String(data)) as Msg);
      this.wake?.();
    });
    ws.on("close", (code) => {
      this.closed = { code };
      this.wake?.();
    });
  }

  /** Resolves with the first value `probe` returns, checked now and on every message or close. */
  async until<T>(probe: () => T | undefined): Promise<T> {
    for (;;) {
      const found = probe();
      if (found !== undefined) return found;
      if (this.closed !== undefined) throw new Error(`closed (${this.closed.code}) while waiting`);
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
    }
  }

  send(message: unknown): void {
    this.ws.send(typeof message === "string" ? message : JSON.stringify(message));
  }
}

function connect(url: string): Promise<Client> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    sockets.push(ws);
    const client = new Client(ws);
    ws.on("error", reject);
    ws.once("open", () => resolve(client));
    ws.once("unexpected-response", (_req, res) => reject(new Error(`refused ${res.statusCode}`)));
  });
}

/** The HTTP answer to an upgrade the server refuses. */
function refusedUpgrade(url: string): Promise<{ status: number; body: Msg }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    sockets.push(ws);
    ws.on("error", () => {});
    ws.once("open", () => reject(new Error(`${url} was accepted`)));
    ws.once("unexpected-response", (req, res) => {
      let body = "";
      res.on("data", (chunk: Buffer) => {
        body += chunk.toString("utf8");
      });
      res.on("end", () => {
        req.destroy();
        resolve({ status: res.statusCode ?? 0, body: JSON.parse(body) as Msg });
      });
    });
  });
}

/** Waits until the server's tick has closed every timeline second before the current one. */
async function timelineClosedThrough(clock: Clock, originMs: number): Promise<Msg[]> {
  const second = Math.floor((clock.now() - originMs) / 1000);
  for (;;) {
    const text = await (await controlFetch(exchange as VenueServer, "/__stampede/timeline")).text();
    const points = text
      .split("\n")
      .filter((l) => l !== "")
      .map((l) => JSON.parse(l) as Msg);
    if (points.some((p) => p.tWallS === second)) return points;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * Moves the venue's clock just past a second boundary and waits until the server has closed the
 * seconds before it: what happens next falls in one timeline second and one forceOrder window,
 * with most of a wall second to spare (tried again if the wait took too long).
 */
async function freshSecond(clock: Clock, originMs: number): Promise<number> {
  for (;;) {
    clock.offset += 1000 - ((clock.now() - originMs) % 1000) + 1;
    const second = Math.floor((clock.now() - originMs) / 1000);
    await timelineClosedThrough(clock, originMs);
    const t = clock.now() - originMs;
    if (Math.floor(t / 1000) === second && t % 1000 < 500) return second;
  }
}

// ---- liquidations through the engine (tick 0.10, lot 0.001: one tick x lot = 100 cash units) ----

const BTC = "BTCUSDT";
const WALL = 900;
const SELLER = 901;
/** The price the market falls to: 59,700.0, 0.5% under the house ladder at ~60,000. */
const CRASH = 597_000;

function submit(engine: MatchingEngine, input: Partial<PlaceOrderInput> & { accountId: number }) {
  const res = engine.submitOrder({
    symbol: BTC,
    side: "BUY",
    type: "LIMIT",
    timeInForce: "GTC",
    lots: 1,
    priceTicks: 0,
    clientOrderId: "",
    ...input,
  });
  if (isEngineError(res)) throw new Error(res.error);
  return res.order;
}

/** Two deep accounts outside the key table: a bid wall at the crash price and a seller. */
function setupCrash(engine: MatchingEngine): void {
  engine.createAccount(WALL, 1e12);
  engine.createAccount(SELLER, 1e12);
  submit(engine, { accountId: WALL, lots: 500, priceTicks: CRASH });
}

/**
 * `n` accounts with barely the initial margin buy 1..n lots at 125x (the i-th buys i lots), then
 * a sale through the bids down to the wall makes the last price, so the mark, the crash price:
 * each is liquidated (margin balance ~0.15 USDT a lot against 0.24 maintenance), in account order.
 */
function liquidateBatch(engine: MatchingEngine, firstId: number, n: number): void {
  for (let i = 0; i < n; i++) {
    const lots = i + 1;
    engine.createAccount(firstId + i, 480_000 * lots + 100);
    engine.setLeverage(firstId + i, BTC, 125);
    submit(engine, { accountId: firstId + i, type: "MARKET", lots });
  }
  submit(engine, { accountId: SELLER, side: "SELL", timeInForce: "IOC", lots: 60, priceTicks: CRASH });
  for (let i = 0; i < n; i++) expect(engine.positions(firstId + i, BTC)[0]?.amountLots).toBe(0);
}

describe("forceOrder", () => {
  it("pushes one snapshot per second with its latest liquidation; the timeline counts the hidden ones", async () => {
    const clock = testClock();
    const { ex, ws } = await start(clock);
    const single = await connect(`${ws}/ws/btcusdt@forceOrder`);
    const combined = await connect(`${ws}/stream?streams=!forceOrder@arr/ethusdt@forceOrder`);
    const venue = ex.venue;
    setupCrash(venue.engine);

    const second1 = await freshSecond(clock, venue.originMs);
    liquidateBatch(venue.engine, 1000, 4);
    clock.offset += 1000;
    const first = await single.until(() => single.messages[0]);
    expect(first).toMatchObject({
      e: "forceOrder",
      o: { s: "BTCUSDT", S: "SELL", o: "LIMIT", f: "IOC", X: "FILLED", ap: "59700.00000000" },
    });
    // The latest of the four: the account that held 4 lots.
    expect(first.o).toMatchObject({ q: "0.004", l: "0.004", z: "0.004" });
    expect(Number(first.o.p)).toBeLessThan(59_700);
    expect(first.E).toBeGreaterThanOrEqual(venue.originMs + (second1 + 1) * 1000);

    const second2 = await freshSecond(clock, venue.originMs);
    liquidateBatch(venue.engine, 2000, 3);
    clock.offset += 1000;
    await single.until(() => single.messages[1]);
    const points = await timelineClosedThrough(clock, venue.originMs);

    // Exactly one snapshot per second on each connection, nothing for ETH.
    expect(single.messages.map((m) => m.o.q)).toEqual(["0.004", "0.003"]);
    await combined.until(() => combined.messages[1]);
    expect(combined.messages.map((m) => [m.stream, m.data.o.q])).toEqual([
      ["!forceOrder@arr", "0.004"],
      ["!forceOrder@arr", "0.003"],
    ]);
    // 7 liquidation orders, 2 of them shown: per second and in total.
    const at = (second: number) => points.find((p) => p.tWallS === second + 1) as Msg;
    expect(at(second1)).toMatchObject({ liquidations: 4, liquidationsShown: 1 });
    expect(at(second2)).toMatchObject({ liquidations: 3, liquidationsShown: 1 });
    const sum = (key: string) => points.reduce((s, p) => s + (p[key] as number), 0);
    expect([sum("liquidations"), sum("liquidationsShown")]).toEqual([7, 2]);
  });
});

describe("depth", () => {
  it("pushes diffs after an order whose U/u/pu chain rebuilds the REST book", async () => {
    const clock = testClock();
    const { ws, accounts } = await start(clock);
    const me = accounts[0] as Account;
    const diff = await connect(`${ws}/ws/btcusdt@depth@100ms`);
    const top = await connect(`${ws}/stream?streams=btcusdt@depth5`);
    const snapshot = await api(clock, "GET", "/fapi/v1/depth", { params: "symbol=BTCUSDT&limit=1000" });

    const placed = await api(clock, "POST", "/fapi/v1/order", {
      as: me,
      params: "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.002&price=59000.0",
    });
    expect(placed.status).toBe(200);
    const added = await diff.until(() =>
      diff.messages.find((m) => m.b.some(([p, q]: string[]) => p === "59000.00" && q === "0.002")),
    );
    expect(added).toMatchObject({ e: "depthUpdate", s: "BTCUSDT" });
    expect(added.U).toBe(added.pu + 1);
    expect(added.u).toBeGreaterThanOrEqual(added.U);
    await api(clock, "DELETE", "/fapi/v1/order", {
      as: me,
      params: `symbol=BTCUSDT&orderId=${placed.body.orderId}`,
    });
    await diff.until(() =>
      diff.messages.find((m) => m.b.some(([p, q]: string[]) => p === "59000.00" && q === "0.000")),
    );
    const final = await api(clock, "GET", "/fapi/v1/depth", { params: "symbol=BTCUSDT&limit=1000" });
    await diff.until(() => diff.messages.find((m) => m.u >= final.body.lastUpdateId));

    // Binance's local order book: the snapshot, then every event with u > lastUpdateId, each
    // continuing the previous one (pu = previous u).
    const book = { b: new Map<string, string>(), a: new Map<string, string>() };
    for (const [p, q] of snapshot.body.bids as string[][]) book.b.set(p as string, q as string);
    for (const [p, q] of snapshot.body.asks as string[][]) book.a.set(p as string, q as string);
    const events = diff.messages.filter((m) => m.u > snapshot.body.lastUpdateId);
    expect(events[0]?.U).toBeLessThanOrEqual(snapshot.body.lastUpdateId + 1);
    events.forEach((m, i) => {
      if (i > 0) expect(m.pu).toBe(events[i - 1]?.u);
      for (const side of ["b", "a"] as const)
        for (const [p, q] of m[side] as string[][]) {
          if (Number(q) === 0) book[side].delete(p as string);
          else book[side].set(p as string, q as string);
        }
    });
    expect([...book.b]).toEqual((final.body.bids as string[][]).map(([p, q]) => [p, q]));
    expect([...book.a].sort()).toEqual((final.body.asks as string[][]).map(([p, q]) => [p, q]).sort());

    // The partial stream: the top 5 levels, combined.
    const partial = await top.until(() => top.messages[0]);
    expect(partial.stream).toBe("btcusdt@depth5");
    expect(partial.data.b).toHaveLength(5);
    expect(partial.data.b[0]).toEqual(["59999.90", "0.010"]);
  });
});

describe("user data stream", () => {
  it("sends each account its ORDER_TRADE_UPDATEs and ACCOUNT_UPDATEs, maker and taker", async () => {
    const clock = testClock();
    const { ws, accounts } = await start(clock);
    const maker = accounts[0] as Account;
    const taker = accounts[1] as Account;
    const makerKey = await listenKey(clock, maker);
    const takerKey = await listenKey(clock, taker);
    const makerStream = await connect(`${ws}/ws/${makerKey}`);
    const takerStream = await connect(`${ws}/stream?streams=${takerKey}`);

    // Inside the house spread (59,999.9 / 60,000.1): rests, then the taker's MARKET buy takes 1 of 2.
    const resting = await api(clock, "POST", "/fapi/v1/order", {
      as: maker,
      params: "symbol=BTCUSDT&side=SELL&type=LIMIT&timeInForce=GTC&quantity=0.002&price=60000.0",
    });
    const market = await api(clock, "POST", "/fapi/v1/order", {
      as: taker,
      params: "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.001",
    });
    expect([resting.status, market.status]).toEqual([200, 200]);

    const orderEvents = (msgs: Msg[], orderId: unknown) =>
      msgs.filter((m) => m.e === "ORDER_TRADE_UPDATE" && m.o.i === orderId).map((m) => m.o);
    const makerTrade = await makerStream.until(() =>
      orderEvents(makerStream.messages, resting.body.orderId).find((o) => o.x === "TRADE"),
    );
    const takerMsgs = () => takerStream.messages.map((m) => m.data as Msg);
    const takerTrade = await takerStream.until(() =>
      orderEvents(takerMsgs(), market.body.orderId).find((o) => o.x === "TRADE"),
    );
    expect(orderEvents(makerStream.messages, resting.body.orderId)[0]).toMatchObject({
      x: "NEW",
      X: "NEW",
      s: "BTCUSDT",
      S: "SELL",
      o: "LIMIT",
      q: "0.002",
      p: "60000.00",
      z: "0.000",
    });
    expect(makerTrade).toMatchObject({
      X: "PARTIALLY_FILLED",
      l: "0.001",
      z: "0.001",
      L: "60000.00",
      ap: "60000.00000000",
      m: true,
      n: "0.01200000", // 0.02% maker fee on 60 USDT
      a: "60.00000000", // the 0.001 still resting
    });
    expect(takerTrade).toMatchObject({ X: "FILLED", o: "MARKET", l: "0.001", m: false, n: "0.03000000" });
    expect(takerTrade.t).toBe(makerTrade.t);
    expect(takerStream.messages.every((m) => m.stream === takerKey)).toBe(true);

    const takerAccount = await takerStream.until(() => takerMsgs().find((m) => m.e === "ACCOUNT_UPDATE"));
    expect(takerAccount.a).toMatchObject({
      m: "ORDER",
      B: [{ a: "USDT", wb: "99999.97000000", bc: "0" }],
      P: [{ s: "BTCUSDT", pa: "0.001", ep: "60000.00000000", mt: "cross", ps: "BOTH" }],
    });
    const makerAccount = await makerStream.until(() =>
      makerStream.messages.find((m) => m.e === "ACCOUNT_UPDATE"),
    );
    expect(makerAccount.a.P[0]).toMatchObject({ pa: "-0.001" });
    // Nobody sees the other's orders.
    expect(orderEvents(makerStream.messages, market.body.orderId)).toEqual([]);
    expect(orderEvents(takerMsgs(), resting.body.orderId)).toEqual([]);
  });

  it("pushes MARGIN_CALL once the margin ratio reaches 80%, before liquidation", async () => {
    const clock = testClock();
    const { ex, ws, accounts } = await start(clock, {
      balances: { initialBalanceUsdt: 100, houseBalanceUsdt: 1_000_000_000 },
    });
    const me = accounts[0] as Account;
    const stream = await connect(`${ws}/ws/${await listenKey(clock, me)}`);
    const bought = await api(clock, "POST", "/fapi/v1/order", {
      as: me,
      params: "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.010",
    });
    expect(bought.status).toBe(200);
    await stream.until(() => stream.messages.find((m) => m.e === "ACCOUNT_UPDATE"));
    expect(stream.messages.some((m) => m.e === "MARGIN_CALL")).toBe(false);

    // The mark at which maintenance / margin balance = 0.9 (cash units): MB(P) = W + 100·(A·P − C),
    // MM(P) = 0.4·A·P; then the market trades there.
    const engine = ex.venue.engine;
    const amount = engine.positions(1, BTC)[0]?.amountLots as number;
    const cost = engine.positionCost(1, BTC);
    const wallet = engine.account(1).wallet;
    const price = Math.ceil((100 * cost - wallet) / (100 * amount - (0.4 * amount) / 0.9));
    engine.createAccount(WALL, 1e12);
    engine.createAccount(SELLER, 1e12);
    submit(engine, { accountId: WALL, lots: 5, priceTicks: price });
    submit(engine, { accountId: SELLER, side: "SELL", timeInForce: "IOC", lots: 51, priceTicks: price });
    expect(engine.markPriceTicks(BTC)).toBe(price);
    const ratio = marginRatio(engine.account(1));
    expect(ratio).toBeGreaterThanOrEqual(0.8);
    expect(ratio).toBeLessThan(1);

    const call = await stream.until(() => stream.messages.find((m) => m.e === "MARGIN_CALL"));
    expect(call.cw).toBe((wallet / 1e6).toFixed(8));
    expect(call.p).toEqual([
      expect.objectContaining({
        s: "BTCUSDT",
        ps: "BOTH",
        pa: "0.010",
        mt: "CROSSED",
        mp: (price / 10).toFixed(8),
      }),
    ]);
  });

  it("refuses unknown keys, extends a key with PUT, says listenKeyExpired when it lapses, ends on DELETE", async () => {
    const clock = testClock();
    // 60 natural minutes are 60 wall seconds at x60.
    const { ws, accounts } = await start(clock, { timeScale: 60 });
    const me = accounts[0] as Account;
    const unknown = await refusedUpgrade(`${ws}/ws/${"x".repeat(64)}`);
    expect([unknown.status, unknown.body.code]).toEqual([400, -1125]);
    const badStream = await refusedUpgrade(`${ws}/ws/btcusdt@trade`);
    expect([badStream.status, badStream.body.code]).toEqual([400, -1130]);
    expect((await refusedUpgrade(`${ws}/nope`)).status).toBe(404);
    expect((await refusedUpgrade(`${ws}/ws/%E0%A4%A`)).status).toBe(400);
    const noKey = await api(clock, "POST", "/fapi/v1/listenKey");
    expect([noKey.status, noKey.body.code]).toEqual([401, -2014]);

    const key = await listenKey(clock, me);
    expect(await listenKey(clock, me)).toBe(key);
    const first = await connect(`${ws}/ws/${key}`);
    clock.offset += 50_000;
    const kept = await api(clock, "PUT", "/fapi/v1/listenKey", { key: me.apiKey });
    expect(kept).toEqual({ status: 200, body: { listenKey: key } });
    clock.offset += 50_000; // 100 s after POST, 50 s after PUT: still valid
    const second = await connect(`${ws}/ws/${key}`);
    clock.offset += 11_000; // 61 s after PUT: lapsed
    for (const client of [first, second]) {
      const expired = await client.until(() => client.messages.find((m) => m.e === "listenKeyExpired"));
      expect(expired.listenKey).toBe(key);
    }
    expect((await refusedUpgrade(`${ws}/ws/${key}`)).body.code).toBe(-1125);
    const late = await api(clock, "PUT", "/fapi/v1/listenKey", { key: me.apiKey });
    expect([late.status, late.body.code]).toEqual([400, -1125]);

    const fresh = await listenKey(clock, me);
    expect(fresh).not.toBe(key);
    const third = await connect(`${ws}/ws/${fresh}`);
    expect(await api(clock, "DELETE", "/fapi/v1/listenKey", { key: me.apiKey })).toEqual({
      status: 200,
      body: {},
    });
    const closed = await third.until(() => third.closed);
    expect(closed.code).toBe(1000);
    // "listenKeyExpired is not related to the websocket disconnection": the lapsed ones stay open.
    expect(first.ws.readyState).toBe(WebSocket.OPEN);
  });
});

describe("connections", () => {
  it("answers control messages and drops a client past 10 messages a second", async () => {
    const clock = testClock();
    const { ws, accounts } = await start(clock);
    const c = await connect(`${ws}/ws`);
    const answer = (id: number) => c.until(() => c.messages.find((m) => m.id === id));
    c.send({ method: "SUBSCRIBE", params: ["btcusdt@depth@100ms", "ethusdt@forceOrder"], id: 1 });
    expect(await answer(1)).toEqual({ result: null, id: 1 });
    c.send({ method: "LIST_SUBSCRIPTIONS", id: 2 });
    expect((await answer(2)).result).toEqual(["btcusdt@depth@100ms", "ethusdt@forceOrder"]);
    c.send({ method: "SUBSCRIBE", params: ["btcusdt@trade"], id: 3 });
    expect(await answer(3)).toMatchObject({ code: 2, id: 3 });
    c.send({ method: "UNSUBSCRIBE", params: ["ethusdt@forceOrder"], id: 4 });
    await answer(4);
    c.send({ method: "SET_PROPERTY", params: ["combined", true], id: 5 });
    await answer(5);
    c.send({ method: "GET_PROPERTY", params: ["combined"], id: 6 });
    expect(await answer(6)).toEqual({ result: true, id: 6 });
    c.send("{not json");
    expect(await c.until(() => c.messages.find((m) => m.code === 3))).toMatchObject({ id: null });

    // Combined from now on: the depth update arrives wrapped.
    await api(clock, "POST", "/fapi/v1/order", {
      as: accounts[0] as Account,
      params: "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.001&price=59000.0",
    });
    const wrapped = await c.until(() => c.messages.find((m) => m.stream === "btcusdt@depth@100ms"));
    expect(wrapped.data.e).toBe("depthUpdate");

    // 25 at once span at most two wall seconds: one of them holds more than 10.
    for (let i = 0; i < 25; i++) c.send({ method: "LIST_SUBSCRIPTIONS", id: 100 + i });
    await c.until(() => c.closed);
    expect(c.closed?.code).toBe(1008);
  });

  it("follows the venue through a reset: market streams go on, the old venue's user streams end", async () => {
    const clock = testClock();
    const { ws, accounts } = await start(clock);
    const me = accounts[0] as Account;
    const depth = await connect(`${ws}/ws/btcusdt@depth@100ms`);
    const user = await connect(`${ws}/ws/${await listenKey(clock, me)}`);
    const reset = await controlFetch(exchange as VenueServer, "/__stampede/reset", { method: "POST" });
    expect(reset.status).toBe(200);
    await user.until(() => user.closed);
    // Same instance, same keys: the account trades on the new venue and the depth stream shows it.
    await api(clock, "POST", "/fapi/v1/order", {
      as: me,
      params: "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.003&price=58000.0",
    });
    const update = await depth.until(() =>
      depth.messages.find((m) => m.b.some(([p, q]: string[]) => p === "58000.00" && q === "0.003")),
    );
    expect(update.U).toBe(update.pu + 1);
  });
});
