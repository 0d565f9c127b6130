import { describe, expect, it } from "vitest";
import { keepAliveMs } from "../../mock-exchange/api/streams/keepAlive.ts";
import { EXCHANGE_DEFAULTS } from "../../mock-exchange/defaults.ts";

/** The streams' ping interval and pong timeout in wall ms, from Binance's natural 3 and 10 minutes. */
describe("keepAliveMs (Binance: a ping every 3 minutes, no pong for 10 minutes closes)", () => {
  const at = (timeScale: number) => keepAliveMs({ ...EXCHANGE_DEFAULTS, timeScale });

  it("is the venue's own at time scale 1", () => {
    expect(at(1)).toEqual({ pingIntervalMs: 180_000, pongTimeoutMs: 600_000 });
  });

  it("compresses both by the time scale like a listenKey's validity: 3 s and 10 s at scale 60", () => {
    expect(at(60)).toEqual({ pingIntervalMs: 3_000, pongTimeoutMs: 10_000 });
  });

  it("stops compressing where the pong timeout would fall under pongTimeoutMinWallMs (5 s)", () => {
    expect(at(180)).toEqual({ pingIntervalMs: 1_500, pongTimeoutMs: 5_000 });
    expect(at(10_000)).toEqual({ pingIntervalMs: 1_500, pongTimeoutMs: 5_000 });
  });
});
