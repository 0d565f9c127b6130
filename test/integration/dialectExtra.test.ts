import { afterEach, describe, expect, it } from "vitest";
import { signPayload } from "../../mock-exchange/api/auth.ts";
import { startVenueServer, type VenueServer } from "../../mock-exchange/api/server.ts";
import { EXCHANGE_DEFAULTS, type ExchangeConfig } from "../../mock-exchange/defaults.ts";
import { controlAccounts, fastExchangeConfig } from "./fixture.ts";

/**
 * The dialect endpoints added after the first cut, on a real socket (127.0.0.1:0):
 * POST/DELETE /fapi/v1/batchOrders, GET /fapi/v1/userTrades, the cross-margin liquidationPrice of
 * positionRisk, and funding (premiumIndex's rate, settlement every 8 natural hours) under a fake
 * clock. Requests are signed like any keyed request (auth.ts signPayload).
 */

interface Account {
  accountId: number;
  apiKey: string;
  apiSecret: string;
}

type Json = Record<string, unknown> & Array<Record<string, unknown>>;

let exchange: VenueServer | undefined;
let accounts: Account[] = [];
/** The exchange's clock: Date.now unless a test replaces it (timestamps are signed with it). */
let clock: () => number = Date.now;

async function start(overrides: Partial<ExchangeConfig> = {}, now?: () => number) {
  clock = now ?? Date.now;
  exchange = await startVenueServer({
    port: 0,
    config: fastExchangeConfig({ accounts: 3, ...overrides }),
    ...(now === undefined ? {} : { now }),
  });
  accounts = await controlAccounts<Account>(exchange);
}

afterEach(async () => {
  await exchange?.close();
  exchange = undefined;
  clock = Date.now;
});

/** A signed request (as: account) or a public one; params in the query for GET, the body otherwise. */
async function call(method: string, path: string, as?: Account, params = "", ip = "127.9.1.1") {
  const headers: Record<string, string> = { "X-Forwarded-For": ip };
  let payload = params;
  if (as !== undefined) {
    headers["X-MBX-APIKEY"] = as.apiKey;
    payload = `${params === "" ? "" : `${params}&`}timestamp=${clock()}`;
    payload = `${payload}&signature=${signPayload(as.apiSecret, payload)}`;
  }
  const inQuery = method === "GET";
  if (!inQuery) headers["Content-Type"] = "application/x-www-form-urlencoded";
  const url = `${(exchange as VenueServer).url}${path}${inQuery && payload !== "" ? `?${payload}` : ""}`;
  const res = await fetch(url, { method, headers, body: inQuery ? undefined : payload });
  return { status: res.status, json: (await res.json()) as Json };
}

const me = () => accounts[0] as Account;
const other = () => accounts[1] as Account;
const third = () => accounts[2] as Account;
const batch = (orders: unknown[]) => `batchOrders=${encodeURIComponent(JSON.stringify(orders))}`;
const limitBuy = (price: string, extra: Record<string, string> = {}) => ({
  symbol: "BTCUSDT",
  side: "BUY",
  type: "LIMIT",
  timeInForce: "GTC",
  quantity: "0.001",
  price,
  ...extra,
});

async function openOrderIds(a: Account): Promise<number[]> {
  const res = await call("GET", "/fapi/v1/openOrders", a, "symbol=BTCUSDT");
  expect(res.status).toBe(200);
  return res.json.map((o) => o.orderId as number);
}

describe("POST /fapi/v1/batchOrders", () => {
  it("runs each order on its own and answers in list order, orders and refusals mixed", async () => {
    await start();
    const res = await call(
      "POST",
      "/fapi/v1/batchOrders",
      me(),
      batch([
        limitBuy("59000.0", { newClientOrderId: "rest-1" }),
        { ...limitBuy("59000.0"), side: "UP" }, // -1117
        {
          symbol: "BTCUSDT",
          side: "BUY",
          type: "LIMIT",
          timeInForce: "FOK",
          quantity: "5",
          price: "60000.5",
        }, // book too thin: -5021
        { symbol: "BTCUSDT", side: "BUY", type: "MARKET", quantity: 0.002 }, // a number, as ccxt sends it
        { ...limitBuy("59000.0"), symbol: "NOPEUSDT" }, // -1121
      ]),
    );
    expect(res.status).toBe(200);
    expect(res.json).toHaveLength(5);
    const [rest, badSide, fok, market, badSymbol] = res.json as unknown as Array<Record<string, unknown>>;
    expect(rest).toMatchObject({
      status: "NEW",
      clientOrderId: "rest-1",
      price: "59000.00",
      origQty: "0.001",
    });
    expect(badSide).toMatchObject({ code: -1117 });
    expect(fok).toMatchObject({ code: -5021 });
    expect(market).toMatchObject({ status: "FILLED", type: "MARKET", executedQty: "0.002" });
    expect(badSymbol).toMatchObject({ code: -1121 });
    expect(Object.keys(badSide as object).sort()).toEqual(["code", "msg"]);
    // Only the resting order is open; the market order left a position.
    expect(await openOrderIds(me())).toEqual([rest?.orderId]);
    const pos = await call("GET", "/fapi/v2/positionRisk", me(), "symbol=BTCUSDT");
    expect(pos.json[0]?.positionAmt).toBe("0.002");
  });

  it("refuses more than 5 orders, malformed JSON and a missing list as a whole (-1130, -1102)", async () => {
    await start();
    const six = Array.from({ length: 6 }, (_, i) => limitBuy(`${58000 + i}.0`));
    const cases: Array<[string, string, number]> = [
      ["six orders", batch(six), -1130],
      ["malformed JSON", `batchOrders=${encodeURIComponent('[{"symbol":"BTCUSDT",')}`, -1130],
      ["not a list", `batchOrders=${encodeURIComponent(JSON.stringify(limitBuy("58000.0")))}`, -1130],
      ["empty list", batch([]), -1130],
      ["a list of strings", batch(["symbol=BTCUSDT"]), -1130],
      ["no list", "", -1102],
    ];
    for (const [name, params, code] of cases) {
      const res = await call("POST", "/fapi/v1/batchOrders", me(), params);
      expect({ name, status: res.status, code: res.json.code }).toEqual({ name, status: 400, code });
    }
    expect(await openOrderIds(me())).toEqual([]);
    // Five is fine.
    const five = await call("POST", "/fapi/v1/batchOrders", me(), batch(six.slice(0, 5)));
    expect(five.json.map((o) => o.status)).toEqual(["NEW", "NEW", "NEW", "NEW", "NEW"]);
  });
});

describe("DELETE /fapi/v1/batchOrders", () => {
  it("cancels up to 10 by orderIdList or origClientOrderIdList; another account's order is -2011", async () => {
    await start();
    const placed = await call(
      "POST",
      "/fapi/v1/batchOrders",
      me(),
      batch([
        limitBuy("59000.0", { newClientOrderId: "a" }),
        limitBuy("59000.1", { newClientOrderId: "b" }),
        limitBuy("59000.2", { newClientOrderId: "c" }),
      ]),
    );
    const [a, b, c] = placed.json.map((o) => o.orderId as number);
    const theirs = await call(
      "POST",
      "/fapi/v1/order",
      other(),
      new URLSearchParams(limitBuy("59000.3")).toString(),
    );
    const theirId = theirs.json.orderId as number;

    const byId = await call(
      "DELETE",
      "/fapi/v1/batchOrders",
      me(),
      `symbol=BTCUSDT&orderIdList=${encodeURIComponent(JSON.stringify([a, theirId]))}`,
    );
    expect(byId.status).toBe(200);
    expect(byId.json[0]).toMatchObject({ orderId: a, status: "CANCELED" });
    expect(byId.json[1]).toMatchObject({ code: -2011 });
    const byClientId = await call(
      "DELETE",
      "/fapi/v1/batchOrders",
      me(),
      `symbol=BTCUSDT&origClientOrderIdList=${encodeURIComponent('["b","c","zz"]')}`,
    );
    expect(byClientId.json.map((o) => o.orderId ?? o.code)).toEqual([b, c, -2011]);
    expect(await openOrderIds(me())).toEqual([]);
    expect(await openOrderIds(other())).toEqual([theirId]);

    const refused: Array<[string, number]> = [
      [`symbol=BTCUSDT&orderIdList=[1]&origClientOrderIdList=["a"]`, -1128],
      ["symbol=BTCUSDT", -1102],
      [`symbol=BTCUSDT&orderIdList=${JSON.stringify(Array.from({ length: 11 }, (_, i) => i + 1))}`, -1130],
      [`symbol=BTCUSDT&orderIdList=["1"]`, -1130],
      ["symbol=BTCUSDT&orderIdList=[1,", -1130],
    ];
    for (const [params, code] of refused) {
      const encoded = params.replace(/[[\]",]/g, (ch) => encodeURIComponent(ch));
      const res = await call("DELETE", "/fapi/v1/batchOrders", me(), encoded);
      expect({ params, status: res.status, code: res.json.code }).toEqual({ params, status: 400, code });
    }
  });
});

describe("GET /fapi/v1/userTrades", () => {
  it("lists the account's own fills with Binance's fields, never another account's", async () => {
    await start();
    const buy = await call(
      "POST",
      "/fapi/v1/order",
      me(),
      "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.020",
    );
    expect(buy.json.status).toBe("FILLED");
    // Their fills: a sell into the house bids, and a trade with me (my resting ask, their buy).
    await call("POST", "/fapi/v1/order", other(), "symbol=BTCUSDT&side=SELL&type=MARKET&quantity=0.003");
    const ask = await call(
      "POST",
      "/fapi/v1/order",
      me(),
      "symbol=BTCUSDT&side=SELL&type=LIMIT&timeInForce=GTC&quantity=0.010&price=60000.0",
    );
    await call(
      "POST",
      "/fapi/v1/order",
      other(),
      "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=IOC&quantity=0.010&price=60000.0",
    );

    const mine = await call("GET", "/fapi/v1/userTrades", me(), "symbol=BTCUSDT");
    expect(mine.status).toBe(200);
    // The market buy took two house levels of 0.010; then my ask was the maker of their buy.
    expect(mine.json.map((t) => [t.orderId, t.side, t.price, t.qty, t.maker, t.buyer])).toEqual([
      [buy.json.orderId, "BUY", "60000.10", "0.010", false, true],
      [buy.json.orderId, "BUY", "60000.20", "0.010", false, true],
      [ask.json.orderId, "SELL", "60000.00", "0.010", true, false],
    ]);
    const closing = mine.json[2] as Record<string, unknown>;
    // Half the position (entry 60000.15) closed at 60000.00: 0.010 x −0.15; maker fee 0.02% of 600.
    expect(closing).toMatchObject({
      symbol: "BTCUSDT",
      realizedPnl: "-0.00150000",
      quoteQty: "600.00000000",
      commission: "0.12000000",
      commissionAsset: "USDT",
      positionSide: "BOTH",
    });
    expect((mine.json[0] as Record<string, unknown>).realizedPnl).toBe("0.00000000");
    expect(typeof closing.id).toBe("number");
    expect(Math.abs((closing.time as number) - Date.now())).toBeLessThan(5_000);

    const theirs = await call("GET", "/fapi/v1/userTrades", other(), "symbol=BTCUSDT");
    const myOrders = new Set(mine.json.map((t) => t.orderId));
    expect(theirs.json.length).toBeGreaterThan(0);
    expect(theirs.json.some((t) => myOrders.has(t.orderId))).toBe(false);
    // The fill between us is one trade id, seen from both sides.
    expect(theirs.json.at(-1)).toMatchObject({ id: closing.id, side: "BUY", maker: false, buyer: true });
    const none = await call("GET", "/fapi/v1/userTrades", third(), "symbol=BTCUSDT");
    expect(none.json).toEqual([]);

    // limit, fromId, orderId, a window.
    const firstId = (mine.json[0] as Record<string, unknown>).id as number;
    const ids = async (params: string) =>
      (await call("GET", "/fapi/v1/userTrades", me(), `symbol=BTCUSDT&${params}`)).json.map((t) => t.id);
    expect(await ids("limit=1")).toEqual([closing.id]);
    expect(await ids(`fromId=${firstId}&limit=2`)).toEqual(mine.json.slice(0, 2).map((t) => t.id));
    expect(await ids(`orderId=${ask.json.orderId}`)).toEqual([closing.id]);
    const now = Date.now();
    expect(await ids(`startTime=${now - 60_000}&endTime=${now + 1_000}`)).toHaveLength(3);
    expect(await ids(`endTime=${now - 60_000}`)).toEqual([]);

    const refused: Array<[string, number]> = [
      [`fromId=1&startTime=${now}`, -1128],
      [`startTime=${now - 8 * 86_400_000}&endTime=${now}`, -1127],
      ["limit=1001", -1130],
      ["", -1102],
    ];
    for (const [params, code] of refused) {
      const res = await call(
        "GET",
        "/fapi/v1/userTrades",
        me(),
        params === "" ? "" : `symbol=BTCUSDT&${params}`,
      );
      expect({ params, status: res.status, code: res.json.code }).toEqual({ params, status: 400, code });
    }
  });
});

describe("positionRisk liquidationPrice", () => {
  it("is where the venue liquidates a cross-margin long: a trade just above keeps it, just at takes it", async () => {
    // 50 USDT accounts; the long at 100x, the mover at 125x so its sweep is within margin.
    await start({ balances: { ...EXCHANGE_DEFAULTS.balances, initialBalanceUsdt: 50 } });
    expect((await call("POST", "/fapi/v1/leverage", me(), "symbol=BTCUSDT&leverage=100")).status).toBe(200);
    await call("POST", "/fapi/v1/leverage", other(), "symbol=BTCUSDT&leverage=125");
    const buy = await call(
      "POST",
      "/fapi/v1/order",
      me(),
      "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.030",
    );
    expect(buy.json.status).toBe("FILLED");

    const v2 = await call("GET", "/fapi/v2/positionRisk", me());
    const v3 = await call("GET", "/fapi/v3/positionRisk", me(), "symbol=BTCUSDT");
    const row = v2.json.find((r) => r.symbol === "BTCUSDT") as Record<string, unknown>;
    const lp = Number(row.liquidationPrice);
    expect(v3.json[0]?.liquidationPrice).toBe(row.liquidationPrice);
    expect(v2.json.find((r) => r.symbol === "ETHUSDT")?.liquidationPrice).toBe("0");
    // (0.030 x entry − wallet) / (0.030 x (1 − 0.4%)): about 58,600 with ~49 USDT left after fees.
    expect(lp).toBeGreaterThan(58_000);
    expect(lp).toBeLessThan(Number(row.entryPrice));

    const tick = 0.1;
    const just = (ticks: number) => (ticks * tick).toFixed(1);
    const above = Math.floor(lp / tick) + 1;
    // The other account sweeps the house bids and rests the rest at `above`; a third takes it.
    const sweep = await call(
      "POST",
      "/fapi/v1/order",
      other(),
      `symbol=BTCUSDT&side=SELL&type=LIMIT&timeInForce=GTC&quantity=0.051&price=${just(above)}`,
    );
    expect(sweep.json.status).toBe("PARTIALLY_FILLED");
    const tradeAt = async (ticks: number) => {
      if (ticks !== above)
        await call(
          "POST",
          "/fapi/v1/order",
          other(),
          `symbol=BTCUSDT&side=SELL&type=LIMIT&timeInForce=GTC&quantity=0.001&price=${just(ticks)}`,
        );
      const take = await call(
        "POST",
        "/fapi/v1/order",
        third(),
        `symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=IOC&quantity=0.001&price=${just(ticks)}`,
      );
      expect(take.json.status).toBe("FILLED");
    };
    const myAmount = async () =>
      (await call("GET", "/fapi/v2/positionRisk", me(), "symbol=BTCUSDT")).json[0]?.positionAmt;
    await tradeAt(above);
    expect(await myAmount()).toBe("0.030");
    await tradeAt(above - 1);
    expect(await myAmount()).toBe("0.000");
    const after = await call("GET", "/fapi/v2/positionRisk", me(), "symbol=BTCUSDT");
    expect(after.json[0]?.liquidationPrice).toBe("0");
  });
});

describe("funding", () => {
  it("quotes the rate in premiumIndex and settles it every 8 natural hours, longs paying shorts", async () => {
    // A fake clock and no modelled service: requests run at exactly the times the test sets.
    // Time scale 3600: 8 natural hours pass in 8 wall seconds, a premium sample every 1.39 ms.
    const t0 = 1_750_000_000_000;
    let t = t0;
    const unlimited = {
      ...EXCHANGE_DEFAULTS.limits,
      weightPerMinute: 1e9,
      ordersPer10s: 1e9,
      ordersPerMinute: 1e9,
    };
    await start(
      {
        timeScale: 3_600,
        limits: unlimited,
        capacity: { ...fastExchangeConfig().capacity, enabled: false },
        // The impact prices are then the best bid and ask of the small test book.
        funding: { ...EXCHANGE_DEFAULTS.funding, impactNotionalUsdt: 100 },
      },
      () => t,
    );
    const wallet = async (a: Account) => Number((await call("GET", "/fapi/v2/balance", a)).json[0]?.balance);
    const premium = async () =>
      (await call("GET", "/fapi/v1/premiumIndex", undefined, "symbol=BTCUSDT")).json;

    t = t0 + 1;
    // Me long 0.020, the other short 0.010 (both against the house): last trade 59999.9.
    await call("POST", "/fapi/v1/order", me(), "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.020");
    await call("POST", "/fapi/v1/order", other(), "symbol=BTCUSDT&side=SELL&type=MARKET&quantity=0.010");
    const start1 = { me: await wallet(me()), other: await wallet(other()) };
    t = t0 + 2;
    // No spot index: the index is the mark and the impact prices straddle it, so no premium and
    // the rate is the interest rate.
    const p1 = await premium();
    expect(p1).toMatchObject({
      markPrice: "59999.90000000",
      lastFundingRate: "0.00010000",
      interestRate: "0.00010000",
      nextFundingTime: t0 + 8_000,
    });

    t = t0 + 7_999;
    expect(await wallet(me())).toBe(start1.me);
    t = t0 + 8_000;
    // 0.01% of 0.020 x 59999.9 = 0.11999980 USDT, rounded up for the payer; the short gets
    // 0.0599999 rounded down to the micro-USDT.
    expect(await wallet(me())).toBeCloseTo(start1.me - 0.12, 9);
    expect(await wallet(other())).toBeCloseTo(start1.other + 0.059999, 9);
    expect((await premium()).nextFundingTime).toBe(t0 + 16_000);

    // A spot index 1.67% under the book: premium past the cap, the rate capped at 0.75%.
    (exchange as VenueServer).venue.engine.setIndexPrice("BTCUSDT", 590_000);
    t = t0 + 12_000;
    expect((await premium()).lastFundingRate).toBe("0.00750000");
    const start2 = { me: await wallet(me()), other: await wallet(other()) };
    t = t0 + 16_000;
    // 0.75% of 1199.998 = 8.999985; of 599.999 = 4.4999925 -> 4.499992.
    expect(await wallet(me())).toBeCloseTo(start2.me - 8.999985, 9);
    expect(await wallet(other())).toBeCloseTo(start2.other + 4.499992, 9);
  });
});
