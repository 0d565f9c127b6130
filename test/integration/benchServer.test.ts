import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { startVenueServer, type VenueServer } from "../../mock-exchange/api/server.ts";
import type { SymbolSpec } from "../../mock-exchange/engine/types.ts";
import {
  buildOrderPools,
  fetchAccounts,
  HTTP_BENCH_CONFIG,
  type PooledRequest,
  sendOnce,
} from "../../scripts/benchHttp.ts";
import { startRawServer } from "../../scripts/benchServer.ts";

/**
 * The HTTP benchmark's two servers on real sockets: the mock exchange with the capacity model
 * off (`capacity.enabled: false`) answers a signed order at once, and the bare server replays
 * the captured response byte for byte.
 */

let exchange: VenueServer | undefined;
let raw: Server | undefined;

afterEach(async () => {
  await exchange?.close();
  exchange = undefined;
  if (raw !== undefined) {
    const s = raw;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
    raw = undefined;
  }
});

async function probeOrders(ex: VenueServer, nowMs: number): Promise<PooledRequest[]> {
  const accounts = await fetchAccounts(ex.url, ex.controlToken);
  return buildOrderPools({
    connections: 1,
    perConnection: 2,
    accounts: accounts.slice(-1),
    spec: HTTP_BENCH_CONFIG.symbols[0] as SymbolSpec,
    crossTicks: 100,
    nowMs,
  })[0] as PooledRequest[];
}

describe("capacity.enabled: false", () => {
  it("executes a signed order at once, where the capacity model would hold it until the clock moves", async () => {
    // A frozen clock: with the capacity model on, an admitted order is answered when its
    // modelled service time (10 ms and more here) has passed on this clock, i.e. never.
    const frozenMs = Date.now();
    exchange = await startVenueServer({ port: 0, config: HTTP_BENCH_CONFIG, now: () => frozenMs });
    const [buy, sell] = await probeOrders(exchange, frozenMs);
    const bought = await sendOnce(exchange.url, buy as PooledRequest);
    expect(bought.status).toBe(200);
    expect(JSON.parse(bought.body)).toMatchObject({ status: "FILLED", side: "BUY", executedQty: "0.001" });
    expect((await sendOnce(exchange.url, sell as PooledRequest)).status).toBe(200);
    expect(HTTP_BENCH_CONFIG.capacity.serviceTimeMinMs.order).toBeGreaterThan(0);
  });
});

describe("startRawServer", () => {
  it("replays a captured order response: same status, exchange headers and body", async () => {
    exchange = await startVenueServer({ port: 0, config: HTTP_BENCH_CONFIG });
    const [buy] = await probeOrders(exchange, Date.now());
    const captured = await sendOnce(exchange.url, buy as PooledRequest);
    expect(captured.headers.map(([n]) => n.toLowerCase())).toContain("x-mbx-used-weight-1m");
    raw = await startRawServer(captured);
    const url = `http://127.0.0.1:${(raw.address() as AddressInfo).port}`;
    // Any request gets the same answer, twice on one connection.
    for (let i = 0; i < 2; i++) expect(await sendOnce(url, buy as PooledRequest)).toEqual(captured);
  });

  it("with busyUs, spends at least that long per request and answers the same bytes", async () => {
    exchange = await startVenueServer({ port: 0, config: HTTP_BENCH_CONFIG });
    const [buy] = await probeOrders(exchange, Date.now());
    const captured = await sendOnce(exchange.url, buy as PooledRequest);
    const busyUs = 20_000;
    raw = await startRawServer(captured, busyUs);
    const url = `http://127.0.0.1:${(raw.address() as AddressInfo).port}`;
    const t0 = performance.now();
    expect(await sendOnce(url, buy as PooledRequest)).toEqual(captured);
    // A lower bound only: the spin is CPU the server cannot skip (tests never bound a speed from above).
    expect(performance.now() - t0).toBeGreaterThanOrEqual(busyUs / 1000);
  });
});
