import { createHmac } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startVenueServer, type VenueServer } from "../../mock-exchange/api/server.ts";
import { EXCHANGE_DEFAULTS, type ExchangeConfig } from "../../mock-exchange/defaults.ts";
import { controlAccounts, controlFetch, fastExchangeConfig } from "./fixture.ts";

/** Real sockets on 127.0.0.1:0; a tiny capacity model so requests are served in ~1 ms. */
function config(overrides: Partial<ExchangeConfig> = {}): ExchangeConfig {
  return fastExchangeConfig(overrides);
}

let exchange: VenueServer;
let keys: string[];
let secrets: Map<string, string>;

/**
 * Keyed requests are signed like a Binance client does: timestamp appended to the body (or to
 * the query when there is no body), signature = HMAC-SHA256(query + body) with the key's secret.
 */
async function call(
  method: string,
  path: string,
  opts: { key?: string | undefined; body?: string; ip?: string } = {},
) {
  const headers: Record<string, string> = { "X-Forwarded-For": opts.ip ?? "127.9.0.1" };
  let body = opts.body;
  if (opts.key !== undefined) {
    headers["X-MBX-APIKEY"] = opts.key;
    const secret = secrets.get(opts.key);
    if (secret !== undefined) {
      const q = path.indexOf("?");
      let query = q < 0 ? "" : path.slice(q + 1);
      const base = q < 0 ? path : path.slice(0, q);
      if (body !== undefined) body = `${body}&timestamp=${Date.now()}`;
      else query = query === "" ? `timestamp=${Date.now()}` : `${query}&timestamp=${Date.now()}`;
      const signature = createHmac("sha256", secret)
        .update(query + (body ?? ""))
        .digest("hex");
      if (body !== undefined) body = `${body}&signature=${signature}`;
      else query = `${query}&signature=${signature}`;
      path = `${base}?${query}`;
    }
  }
  if (body !== undefined) headers["Content-Type"] = "application/x-www-form-urlencoded";
  const res = await fetch(`${exchange.url}${path}`, { method, headers, body });
  return {
    status: res.status,
    headers: res.headers,
    json: (await res.json()) as Record<string, unknown> & unknown[],
  };
}

async function start(overrides: Partial<ExchangeConfig> = {}) {
  exchange = await startVenueServer({ config: config(overrides) });
  const accounts = await controlAccounts(exchange);
  keys = accounts.map((a) => a.apiKey);
  secrets = new Map(accounts.map((a) => [a.apiKey, a.apiSecret]));
}

afterEach(async () => {
  await exchange?.close();
});

describe("mock exchange over HTTP", () => {
  beforeEach(async () => {
    await start();
  });

  it("answers ping, time and depth in the dialect's shapes", async () => {
    expect((await call("GET", "/fapi/v1/ping")).json).toEqual({});
    const time = await call("GET", "/fapi/v1/time");
    expect(Math.abs((time.json.serverTime as number) - Date.now())).toBeLessThan(1_000);
    const depth = await call("GET", "/fapi/v1/depth?symbol=BTCUSDT&limit=5");
    expect(depth.status).toBe(200);
    expect(depth.json.bids).toEqual([
      ["59999.90", "0.010"],
      ["59999.80", "0.010"],
      ["59999.70", "0.010"],
      ["59999.60", "0.010"],
      ["59999.50", "0.010"],
    ]);
    expect((depth.json.asks as string[][])[0]).toEqual(["60000.10", "0.010"]);
    // ping 1 + time 1 + depth(limit 5) 2, all from the same client IP.
    expect(depth.headers.get("x-mbx-used-weight-1m")).toBe("4");
  });

  it("places, fills, cancels and reads back the position", async () => {
    const key = keys[0];
    const resting = await call("POST", "/fapi/v1/order", {
      key,
      body: "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.005&price=59000.0",
    });
    expect(resting.status).toBe(200);
    expect(resting.json).toMatchObject({
      status: "NEW",
      origQty: "0.005",
      executedQty: "0.000",
      price: "59000.00",
    });

    const market = await call("POST", "/fapi/v1/order", {
      key,
      body: "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.015",
    });
    expect(market.status).toBe(200);
    // Sweeps the 0.010 at 60000.1 and 0.005 of the 0.010 at 60000.2.
    expect(market.json).toMatchObject({ status: "FILLED", executedQty: "0.015", avgPrice: "60000.13333333" });

    const cancel = await call("DELETE", `/fapi/v1/order?symbol=BTCUSDT&orderId=${resting.json.orderId}`, {
      key,
    });
    expect(cancel.status).toBe(200);
    expect(cancel.json.status).toBe("CANCELED");
    const again = await call("DELETE", `/fapi/v1/order?symbol=BTCUSDT&orderId=${resting.json.orderId}`, {
      key,
    });
    expect(again.status).toBe(400);
    expect(again.json.code).toBe(-2011);

    const positions = await call("GET", "/fapi/v2/positionRisk?symbol=BTCUSDT", { key });
    expect(positions.status).toBe(200);
    expect(positions.json).toHaveLength(1);
    expect(positions.json[0]).toMatchObject({
      symbol: "BTCUSDT",
      positionAmt: "0.015",
      entryPrice: "60000.13333333",
      marginType: "cross",
      updateTime: market.json.updateTime,
    });
    // Another account sees none of it and cannot cancel it.
    const other = await call("GET", "/fapi/v2/positionRisk?symbol=BTCUSDT", { key: keys[1] });
    expect((other.json[0] as { positionAmt: string }).positionAmt).toBe("0.000");
  });

  it("refuses bad input with 400 and the catalog's code, and changes nothing", async () => {
    const key = keys[0];
    const before = await call("GET", "/fapi/v1/depth?symbol=BTCUSDT&limit=1000");
    const cases: Array<[string, number]> = [
      ["side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.001&price=100", -1102], // missing symbol
      ["symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=abc&price=100", -1102],
      ["symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.001&price=-100", -4001],
      ["symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0&price=100", -4003],
      ["symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.001&price=100.05", -4014],
      ["symbol=NOPE&side=BUY&type=MARKET&quantity=0.001", -1121],
      ["symbol=BTCUSDT&side=UP&type=MARKET&quantity=0.001", -1117],
      ["symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.001&quantity=0.002", -1101],
    ];
    for (const [body, code] of cases) {
      const res = await call("POST", "/fapi/v1/order", { key, body });
      expect({
        body,
        status: res.status,
        code: res.json.code,
        hasMsg: typeof res.json.msg === "string",
      }).toEqual({
        body,
        status: 400,
        code,
        hasMsg: true,
      });
    }
    const noKey = await call("POST", "/fapi/v1/order", {
      key: "nope",
      body: "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.001",
    });
    expect([noKey.status, noKey.json.code]).toEqual([401, -2015]);
    const after = await call("GET", "/fapi/v1/depth?symbol=BTCUSDT&limit=1000");
    expect(after.json.bids).toEqual(before.json.bids);
    expect(after.json.asks).toEqual(before.json.asks);
    expect(after.json.lastUpdateId).toBe(before.json.lastUpdateId);
    const positions = await call("GET", "/fapi/v2/positionRisk", { key });
    expect((positions.json as Array<{ positionAmt: string }>).every((p) => p.positionAmt === "0.000")).toBe(
      true,
    );
    expect((await call("GET", "/fapi/v1/nothing")).status).toBe(404);
  });
});

describe("limits and capacity", () => {
  it("answers 429 -1003 with Retry-After once a client's weight budget is spent, per client IP", async () => {
    await start({ limits: { ...EXCHANGE_DEFAULTS.limits, weightPerMinute: 20 } });
    const key = keys[0];
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++)
      statuses.push((await call("GET", "/fapi/v2/positionRisk", { key, ip: "127.9.0.7" })).status);
    expect(statuses).toEqual([200, 200, 200, 200, 429]);
    const limited = await call("GET", "/fapi/v2/positionRisk", { key, ip: "127.9.0.7" });
    expect(limited.json.code).toBe(-1003);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(limited.headers.get("x-mbx-used-weight-1m")).toBe("30");
    // Another client IP has its own budget; new orders (weight 0) still pass for the limited one.
    expect((await call("GET", "/fapi/v2/positionRisk", { key, ip: "127.9.0.8" })).status).toBe(200);
    const order = await call("POST", "/fapi/v1/order", {
      key,
      ip: "127.9.0.7",
      body: "symbol=BTCUSDT&side=SELL&type=MARKET&quantity=0.001",
    });
    expect(order.status).toBe(200);
  });

  it("sheds with 503 -1008 when the queue is full and times out with 503 -1007", async () => {
    const slow = { order: 100, position: 100, depth: 100, other: 100 };
    const burst = async () => {
      const responses = await Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          call("GET", "/fapi/v1/depth?symbol=BTCUSDT&limit=5", { ip: `127.9.1.${i}` }),
        ),
      );
      return responses.map((r) => (r.status === 200 ? 200 : `${r.status}/${r.json.code}`)).sort();
    };
    // One worker, room for two waiting: 1 served at once, 2 served after waiting, 3 shed.
    await start({
      capacity: {
        ...EXCHANGE_DEFAULTS.capacity,
        strategy: "fixed",
        tiers: {
          gateway: { baselineInstances: 1, concurrencyPerInstance: 1 },
          read: { baselineInstances: 1, concurrencyPerInstance: 1 },
        },
        serviceTimeMs: slow,
        serviceTimeMinMs: slow,
        queueTimeoutMs: 10_000,
        maxQueue: 2,
      },
    });
    expect(await burst()).toEqual([200, 200, 200, "503/-1008", "503/-1008", "503/-1008"]);
    await exchange.close();
    // A queue timeout of 150 ms: the third would wait 200 ms, so it and the rest time out.
    await start({
      capacity: {
        ...EXCHANGE_DEFAULTS.capacity,
        strategy: "fixed",
        tiers: {
          gateway: { baselineInstances: 1, concurrencyPerInstance: 1 },
          read: { baselineInstances: 1, concurrencyPerInstance: 1 },
        },
        serviceTimeMs: slow,
        serviceTimeMinMs: slow,
        queueTimeoutMs: 150,
        maxQueue: 100,
      },
    });
    expect(await burst()).toEqual([200, 200, "503/-1007", "503/-1007", "503/-1007", "503/-1007"]);
  });

  it("serves position reads from a lagging replica: stale until the change is applied", async () => {
    await start({ replica: { ...EXCHANGE_DEFAULTS.replica, baseLagMs: 400, applyPerS: 1_000 } });
    const key = keys[2];
    const fill = await call("POST", "/fapi/v1/order", {
      key,
      body: "symbol=ETHUSDT&side=SELL&type=MARKET&quantity=0.002",
    });
    expect(fill.json.status).toBe("FILLED");
    const stale = await call("GET", "/fapi/v2/positionRisk?symbol=ETHUSDT", { key });
    expect((stale.json[0] as { positionAmt: string }).positionAmt).toBe("0.000");
    expect((stale.json[0] as { updateTime: number }).updateTime).toBeLessThan(fill.json.updateTime as number);
    await new Promise((r) => setTimeout(r, 500));
    const fresh = await call("GET", "/fapi/v2/positionRisk?symbol=ETHUSDT", { key });
    expect((fresh.json[0] as { positionAmt: string }).positionAmt).toBe("-0.002");
  });
  it("resets to another strategy and scripted faults through the control plane, validated at the edge", async () => {
    await start();
    const post = async (body: string) => {
      const res = await controlFetch(exchange, "/__stampede/reset", { method: "POST", body });
      return { status: res.status, json: (await res.json()) as Record<string, unknown> };
    };
    expect((await post('{"strategy":"no-such"}')).status).toBe(400);
    expect((await post('{"strategy":"no-such"}')).json.code).toBe(-1130);
    expect((await post("not json")).json.code).toBe(-1130);
    const badFault = await post('{"faults":[{"kind":"meteor","atS":0}]}');
    expect(badFault.status).toBe(400);
    expect(String(badFault.json.msg)).toMatch(/unknown fault kind/);
    // Every request fails with the dependency for the next natural hour.
    const ok = await post(
      '{"strategy":"reactive+priority-shedding","faults":[{"kind":"dependency-errors","atS":0,"durationS":3600,"errorRate":1}]}',
    );
    expect(ok.status).toBe(200);
    expect(ok.json.strategy).toBe("reactive+priority-shedding");
    const cfg = (await (await controlFetch(exchange, "/__stampede/config")).json()) as {
      config: ExchangeConfig;
    };
    expect(cfg.config.capacity.strategy).toBe("reactive+priority-shedding");
    const depth = await call("GET", "/fapi/v1/depth?symbol=BTCUSDT&limit=5");
    expect(depth.status).toBe(500);
    expect(depth.json.code).toBe(-1001);
    // An empty body resets with the current settings.
    expect((await post("")).status).toBe(200);
  });
});
