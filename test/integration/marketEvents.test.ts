import { afterEach, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { startVenueServer, type VenueServer } from "../../mock-exchange/api/server.ts";
import { controlAccounts, controlFetch, fastExchangeConfig } from "./fixture.ts";

/**
 * Market events through the control plane and the streams: `/__stampede/reset` takes
 * `marketEvents` (validated at the edge), a -12% BTC shock liquidates the venue's leveraged longs,
 * a `btcusdt@forceOrder` subscriber receives snapshots and the timeline counts more liquidations
 * than the feed showed. The venue's clock is wall time plus an offset the test moves.
 */

// biome-ignore lint/suspicious/noExplicitAny: stream payloads and timeline points are checked field by field.
type Msg = Record<string, any>;

let exchange: VenueServer | undefined;
const sockets: WebSocket[] = [];

afterEach(async () => {
  for (const ws of sockets.splice(0)) ws.terminate();
  await exchange?.close();
  exchange = undefined;
});

async function reset(ex: VenueServer, body: unknown): Promise<{ status: number; body: Msg }> {
  const res = await controlFetch(ex, "/__stampede/reset", { method: "POST", body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as Msg };
}

function subscribe(url: string): Promise<{ messages: Msg[]; next: (n: number) => Promise<Msg> }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    sockets.push(ws);
    const messages: Msg[] = [];
    let wake: (() => void) | undefined;
    ws.on("message", (data) => {
      messages.push(JSON.parse(String(data)) as Msg);
      wake?.();
    });
    ws.on("error", reject);
    const next = async (n: number): Promise<Msg> => {
      while (messages.length <= n)
        await new Promise<void>((r) => {
          wake = r;
        });
      return messages[n] as Msg;
    };
    ws.once("open", () => resolve({ messages, next }));
  });
}

describe("market events", () => {
  it("are refused at the control plane when invalid", async () => {
    const ex = await startVenueServer({ port: 0, config: fastExchangeConfig() });
    exchange = ex;
    const bad = await reset(ex, {
      marketEvents: [{ atS: 0, symbol: "XRPUSDT", movePct: -12, overS: 60 }],
    });
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe(-1130);
    expect(bad.body.msg).toBe('marketEvents[0]: unknown symbol "XRPUSDT"; known: BTCUSDT, ETHUSDT');
    expect((await reset(ex, { marketEvents: {} })).status).toBe(400);
  });

  it("a -12% shock liquidates leveraged longs; the forceOrder feed shows some, the timeline counts all", async () => {
    const clock = { offset: 0, now: () => Date.now() + clock.offset };
    const config = fastExchangeConfig({ timeScale: 60, makerLevels: 200, makerLotsPerLevel: 5_000 });
    const ex = await startVenueServer({ port: 0, config, now: clock.now });
    exchange = ex;
    const events = [{ atS: 60, symbol: "BTCUSDT", movePct: -12, overS: 60 }];
    const answer = await reset(ex, { marketEvents: events });
    expect(answer.status).toBe(200);
    expect(answer.body.marketEvents).toEqual(events);
    const venue = ex.venue;
    // The leveraged accounts are not handed out.
    expect(await controlAccounts(ex)).toHaveLength(config.accounts);
    const feed = await subscribe(`${ex.url.replace(/^http/, "ws")}/ws/btcusdt@forceOrder`);

    // Natural second 60 is wall second 1 at scale 60; the move lasts one wall second. Steps of
    // 50 ms, each what the server's tick does when it runs.
    for (let i = 0; i < 50; i++) {
      clock.offset += 50;
      venue.advanceMarket(clock.now());
    }
    const first = await feed.next(0);
    expect(first).toMatchObject({ e: "forceOrder", o: { s: "BTCUSDT", S: "SELL", o: "LIMIT", f: "IOC" } });
    expect(Number(first.o.ap)).toBeLessThan(60_000 * 0.985);

    // Close every second the shock touched, then read the timeline.
    clock.offset += 2_000;
    const through = Math.floor((clock.now() - venue.originMs) / 1000);
    let points: Msg[] = [];
    while (!points.some((p) => p.tWallS === through)) {
      await new Promise((r) => setTimeout(r, 20));
      const text = await (await controlFetch(ex, "/__stampede/timeline")).text();
      points = text
        .split("\n")
        .filter((l) => l !== "")
        .map((l) => JSON.parse(l) as Msg);
    }
    const sum = (key: string) => points.reduce((s, p) => s + (p[key] as number), 0);
    expect(sum("liquidations")).toBeGreaterThan(sum("liquidationsShown"));
    expect(sum("liquidationsShown")).toBeGreaterThan(0);
    expect(feed.messages.length).toBeLessThanOrEqual(sum("liquidationsShown"));
    expect(venue.engine.markPriceTicks("BTCUSDT")).toBeLessThan(600_000 * 0.885);
  });
});
