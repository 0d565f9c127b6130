import { describe, expect, it } from "vitest";
import { ApiError, ERR } from "../../loadtests/vocabulary/exchangeErrors.ts";
import { verifySigned } from "../../mock-exchange/api/auth.ts";
import { Params } from "../../mock-exchange/api/params.ts";
import type { SymbolSpec } from "../../mock-exchange/engine/types.ts";
import { Venue } from "../../mock-exchange/venue.ts";
import {
  type BenchAccount,
  buildOrderPools,
  calibrationBusyUsFrom,
  failedShare,
  HTTP_BENCH,
  HTTP_BENCH_CONFIG,
  type LoadRun,
  measureSignatureCheckUs,
  okRps,
  poolValidUntilMs,
  replayableHeaders,
  serverUsPerResponse,
} from "../../scripts/benchHttp.ts";
import { dueSends, MB, positionReadPath, rssGrowth, soakMinutes } from "../../scripts/benchSoak.ts";

/**
 * Pure helpers of the HTTP and soak benchmarks (scripts/benchHttp.ts, scripts/benchSoak.ts).
 * The oracles are the mock exchange's own: its signature check (auth.ts) and its engine (a
 * Venue), not a re-implementation. Nothing here measures speed.
 */

const NOW = 1_790_000_000_000;
const SPEC = HTTP_BENCH_CONFIG.symbols[0] as SymbolSpec;

function accounts(n: number): BenchAccount[] {
  return Array.from({ length: n }, (_, i) => ({ apiKey: `key${i}`, apiSecret: `secret${i}` }));
}

function bodyParams(body: string): Record<string, string> {
  return Object.fromEntries(new URLSearchParams(body));
}

describe("buildOrderPools", () => {
  const accs = accounts(7);
  const pools = buildOrderPools({
    connections: 3,
    perConnection: 8,
    accounts: accs,
    spec: SPEC,
    crossTicks: 100,
    nowMs: NOW,
  });

  it("gives each connection its own accounts, and every account to one connection", () => {
    expect(pools).toHaveLength(3);
    const owner = new Map<string, number>();
    pools.forEach((pool, k) => {
      expect(pool).toHaveLength(8);
      for (const r of pool) {
        const key = r.headers["X-MBX-APIKEY"] as string;
        expect(owner.get(key) ?? k).toBe(k);
        owner.set(key, k);
      }
    });
    // 7 accounts over 3 connections: 3, 2, 2; perConnection 8 = 4 pairs reaches them all.
    expect(owner.size).toBe(7);
  });

  it("alternates BUY then SELL per account, LIMIT IOC one lot across the house ladder", () => {
    for (const pool of pools) {
      for (let i = 0; i < pool.length; i += 2) {
        const buy = bodyParams((pool[i] as { body: string }).body);
        const sell = bodyParams((pool[i + 1] as { body: string }).body);
        expect(pool[i]?.headers["X-MBX-APIKEY"]).toBe(pool[i + 1]?.headers["X-MBX-APIKEY"]);
        expect([buy.side, sell.side]).toEqual(["BUY", "SELL"]);
        expect(buy).toMatchObject({
          symbol: SPEC.symbol,
          type: "LIMIT",
          timeInForce: "IOC",
          quantity: "0.001",
        });
        // BTCUSDT: reference 600,000 ticks of 0.10 = 60,000.00; +-100 ticks.
        expect(buy.price).toBe("60010.00");
        expect(sell.price).toBe("59990.00");
      }
    }
  });

  it("uses distinct timestamps and clientOrderIds within a connection's pool, and one IP per connection", () => {
    for (const [k, pool] of pools.entries()) {
      const ps = pool.map((r) => bodyParams(r.body));
      expect(new Set(ps.map((p) => p.timestamp)).size).toBe(pool.length);
      expect(new Set(ps.map((p) => p.newClientOrderId)).size).toBe(pool.length);
      expect(new Set(pool.map((r) => r.headers["X-Forwarded-For"]))).toEqual(
        new Set([pool[0]?.headers["X-Forwarded-For"]]),
      );
      if (k > 0)
        expect(pool[0]?.headers["X-Forwarded-For"]).not.toBe(pools[0]?.[0]?.headers["X-Forwarded-For"]);
    }
  });

  it("signs every request so that the exchange's own check passes until poolValidUntilMs, and not after", () => {
    const until = poolValidUntilMs(NOW, 8);
    for (const pool of pools)
      for (const r of pool) {
        const key = r.headers["X-MBX-APIKEY"] as string;
        const secret = (accs.find((a) => a.apiKey === key) as BenchAccount).apiSecret;
        const params = new Params("", r.body);
        expect(() => verifySigned(params, "", r.body, secret, NOW)).not.toThrow();
        expect(() => verifySigned(params, "", r.body, secret, until)).not.toThrow();
        expect(() => verifySigned(params, "", r.body, `${secret}x`, NOW)).toThrow(ApiError);
      }
    // The oldest timestamp (NOW - 7) falls out of the 60,000 ms window 1 ms after `until`.
    const oldest = pools[0]?.[7] as { body: string; headers: Record<string, string> };
    let caught: unknown;
    try {
      verifySigned(new Params("", oldest.body), "", oldest.body, "secret0", until + 1);
    } catch (err) {
      caught = err;
    }
    expect((caught as ApiError).spec).toBe(ERR.INVALID_TIMESTAMP);
  });

  it("fills every order on the mock's engine and brings every position back to zero (bounded state)", () => {
    let t = NOW;
    const venue = new Venue({ ...HTTP_BENCH_CONFIG, accounts: 6 }, () => t);
    const keyed = venue.accounts.map((a) => ({ apiKey: a.apiKey, apiSecret: a.apiSecret }));
    const built = buildOrderPools({
      connections: 2,
      perConnection: 12,
      accounts: keyed,
      spec: SPEC,
      crossTicks: HTTP_BENCH.crossTicks,
      nowMs: NOW,
    });
    // Connections interleaved one request at a time, as they reach the server.
    for (let i = 0; i < 12; i++)
      for (const pool of built) {
        const r = pool[i] as { body: string; headers: Record<string, string> };
        t++;
        const accountId = venue.accountForKey(r.headers["X-MBX-APIKEY"]) as number;
        const params = new Params("", r.body);
        verifySigned(params, "", r.body, venue.secretOf(accountId), t);
        const out = venue.execute(venue.parse("newOrder", params, accountId), accountId);
        expect(out.status).toBe(200);
        expect(JSON.parse(out.body)).toMatchObject({ status: "FILLED", executedQty: "0.001" });
      }
    // The primary's state (positionRisk would read the lagging replica).
    for (const a of venue.accounts) {
      for (const p of venue.engine.positions(a.accountId, SPEC.symbol)) expect(p.amountLots).toBe(0);
      expect(venue.engine.openOrders(a.accountId, SPEC.symbol)).toEqual([]);
    }
  });

  it("refuses shapes that would break the alternation or share an account", () => {
    const base = { accounts: accounts(4), spec: SPEC, crossTicks: 100, nowMs: NOW };
    expect(() => buildOrderPools({ ...base, connections: 2, perConnection: 3 })).toThrow(/even/);
    expect(() => buildOrderPools({ ...base, connections: 5, perConnection: 2 })).toThrow(/accounts/);
    expect(() => buildOrderPools({ ...base, connections: 0, perConnection: 2 })).toThrow(/connections/);
  });
});

describe("replayableHeaders", () => {
  it("keeps the exchange's headers in order and drops the ones node's server adds itself", () => {
    const raw = [
      "X-MBX-ORDER-COUNT-10S",
      "1",
      "Content-Type",
      "application/json",
      "Content-Length",
      "503",
      "X-MBX-USED-WEIGHT-1M",
      "0",
      "Date",
      "Sun, 30 Nov 2025 03:00:00 GMT",
      "Connection",
      "keep-alive",
      "keep-alive",
      "timeout=65",
    ];
    expect(replayableHeaders(raw)).toEqual([
      ["X-MBX-ORDER-COUNT-10S", "1"],
      ["Content-Type", "application/json"],
      ["Content-Length", "503"],
      ["X-MBX-USED-WEIGHT-1M", "0"],
    ]);
  });
});

describe("calibrationBusyUsFrom", () => {
  it("reads STAMPEDE_BENCH_BUSY_US: default 10 µs, fractions allowed, nonsense refused", () => {
    expect(calibrationBusyUsFrom({})).toBe(HTTP_BENCH.calibrationBusyUs);
    expect(calibrationBusyUsFrom({ STAMPEDE_BENCH_BUSY_US: " " })).toBe(10);
    expect(calibrationBusyUsFrom({ STAMPEDE_BENCH_BUSY_US: "7.5" })).toBe(7.5);
    for (const bad of ["0", "-3", "abc", "1001", "Infinity"])
      expect(() => calibrationBusyUsFrom({ STAMPEDE_BENCH_BUSY_US: bad })).toThrow(/STAMPEDE_BENCH_BUSY_US/);
  });
});

describe("measureSignatureCheckUs", () => {
  it("checks the bench's own pools against the exchange's derived keys (it throws on any refusal)", () => {
    expect(measureSignatureCheckUs(100)).toBeGreaterThan(0);
  });
});

describe("load run figures", () => {
  const run: LoadRun = {
    durationS: 10,
    responses: 1000,
    ok2xx: 990,
    non2xx: 10,
    errors: 5,
    p50Ms: 0,
    p99Ms: 3,
    generatorCores: 0.5,
    serverCores: 1,
  };
  it("counts 2xx per second and the failed share of all attempts", () => {
    expect(okRps(run)).toBe(99);
    expect(failedShare(run)).toBeCloseTo(15 / 1005, 12);
    expect(okRps({ ...run, durationS: 0 })).toBe(0);
    expect(failedShare({ ...run, responses: 0, non2xx: 0, errors: 0 })).toBe(0);
  });
  it("charges the server's CPU to its 2xx responses: 1 core at 99/s is 10,101 µs each", () => {
    expect(serverUsPerResponse(run)).toBeCloseTo(1e6 / 99, 9);
    expect(serverUsPerResponse({ ...run, serverCores: 0.25 })).toBeCloseTo(0.25e6 / 99, 9);
    expect(serverUsPerResponse({ ...run, ok2xx: 0 })).toBe(0);
  });
});

describe("soak helpers", () => {
  it("reads STAMPEDE_SOAK_MINUTES: default 10, fractions allowed, nonsense refused", () => {
    expect(soakMinutes({})).toBe(10);
    expect(soakMinutes({ STAMPEDE_SOAK_MINUTES: "" })).toBe(10);
    expect(soakMinutes({ STAMPEDE_SOAK_MINUTES: "1" })).toBe(1);
    expect(soakMinutes({ STAMPEDE_SOAK_MINUTES: "0.5" })).toBe(0.5);
    for (const bad of ["0", "-1", "ten", "Infinity"])
      expect(() => soakMinutes({ STAMPEDE_SOAK_MINUTES: bad })).toThrow(/STAMPEDE_SOAK_MINUTES/);
  });

  it("schedules sends on a fixed timetable whatever was sent late", () => {
    expect(dueSends(0, 1000, 0)).toBe(0);
    expect(dueSends(10, 1000, 0)).toBe(10);
    expect(dueSends(15.5, 1000, 10)).toBe(5);
    // A stalled tick catches up in one go (open model: the schedule does not slip).
    expect(dueSends(1000, 1000, 20)).toBe(980);
    expect(dueSends(1000, 1000, 1000)).toBe(0);
    expect(dueSends(999, 3, 2)).toBe(0);
  });

  it("computes growth as last minus first, and the worst point", () => {
    const s = rssGrowth([100 * MB, 130 * MB, 120 * MB, 110 * MB]);
    expect(s).toEqual({ firstMb: 100, lastMb: 110, maxMb: 130, growthMb: 10, maxGrowthMb: 30, samples: 4 });
    expect(rssGrowth([200 * MB, 150 * MB]).growthMb).toBe(-50);
    expect(() => rssGrowth([MB])).toThrow(/two/);
  });

  it("signs position reads so that the exchange's check passes", () => {
    const a = { apiKey: "k", apiSecret: "s3cret" };
    const path = positionReadPath(a, "BTCUSDT", NOW);
    expect(path.startsWith("/fapi/v2/positionRisk?symbol=BTCUSDT&timestamp=")).toBe(true);
    const query = path.slice(path.indexOf("?") + 1);
    expect(() => verifySigned(new Params(query), query, "", a.apiSecret, NOW + 10)).not.toThrow();
    expect(() => verifySigned(new Params(query), query, "", "other", NOW + 10)).toThrow(ApiError);
  });
});
