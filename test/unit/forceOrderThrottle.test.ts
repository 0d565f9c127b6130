import { describe, expect, it } from "vitest";
import { seededRandom } from "../../loadtests/vocabulary/random.ts";
import { ForceOrderThrottle } from "../../mock-exchange/forceOrderThrottle.ts";

/**
 * The forceOrder throttle against a fake clock: one snapshot per symbol per window, carrying the
 * window's latest liquidation (Binance USDⓈ-M "Liquidation Order Streams"), windows aligned to the
 * venue's origin, and `offer` saying exactly which liquidations the feed shows.
 */

const ORIGIN = 1_700_000_000_250;

describe("ForceOrderThrottle", () => {
  it("publishes one snapshot per window with the latest liquidation, once the window has closed", () => {
    const throttle = new ForceOrderThrottle<string>(1000, ORIGIN);
    expect(throttle.offer("BTCUSDT", "a", ORIGIN + 10)).toBe(true);
    expect(throttle.offer("BTCUSDT", "b", ORIGIN + 500)).toBe(false);
    expect(throttle.offer("BTCUSDT", "c", ORIGIN + 999)).toBe(false);
    expect(throttle.due(ORIGIN + 999)).toEqual([]);
    expect(throttle.due(ORIGIN + 1000)).toEqual([
      { symbol: "BTCUSDT", event: "c", windowEndMs: ORIGIN + 1000 },
    ]);
    // Drained once: nothing more for that window, and nothing for a window without liquidations.
    expect(throttle.due(ORIGIN + 1500)).toEqual([]);
    expect(throttle.due(ORIGIN + 5000)).toEqual([]);
    // The next window opens a new snapshot.
    expect(throttle.offer("BTCUSDT", "d", ORIGIN + 5001)).toBe(true);
    expect(throttle.due(ORIGIN + 6000)).toEqual([
      { symbol: "BTCUSDT", event: "d", windowEndMs: ORIGIN + 6000 },
    ]);
  });

  it("aligns windows to the origin, not to the epoch second", () => {
    const throttle = new ForceOrderThrottle<number>(1000, ORIGIN);
    // The origin is not on an epoch second: 0.999 s and 1.001 s after it are two windows.
    expect(throttle.offer("ETHUSDT", 1, ORIGIN + 999)).toBe(true);
    expect(throttle.offer("ETHUSDT", 2, ORIGIN + 1001)).toBe(true);
    expect(throttle.due(ORIGIN + 2000).map((s) => [s.event, s.windowEndMs])).toEqual([
      [1, ORIGIN + 1000],
      [2, ORIGIN + 2000],
    ]);
  });

  it("keeps symbols apart", () => {
    const throttle = new ForceOrderThrottle<string>(1000, ORIGIN);
    expect(throttle.offer("BTCUSDT", "btc-1", ORIGIN + 100)).toBe(true);
    expect(throttle.offer("ETHUSDT", "eth-1", ORIGIN + 200)).toBe(true);
    expect(throttle.offer("BTCUSDT", "btc-2", ORIGIN + 300)).toBe(false);
    const due = throttle.due(ORIGIN + 1000);
    expect(due.map((s) => s.event).sort()).toEqual(["btc-2", "eth-1"]);
  });

  it("does not lose a closed window that was not drained before the next one opened", () => {
    const throttle = new ForceOrderThrottle<string>(1000, ORIGIN);
    throttle.offer("BTCUSDT", "w0", ORIGIN + 100);
    expect(throttle.offer("BTCUSDT", "w1-a", ORIGIN + 1100)).toBe(true);
    throttle.offer("BTCUSDT", "w1-b", ORIGIN + 1200);
    expect(throttle.due(ORIGIN + 1500).map((s) => s.event)).toEqual(["w0"]);
    expect(throttle.due(ORIGIN + 2000).map((s) => s.event)).toEqual(["w1-b"]);
  });

  it("shows exactly what it publishes: every snapshot is the last liquidation of its symbol and window", () => {
    const windowMs = 1000;
    const throttle = new ForceOrderThrottle<{ id: number; symbol: string; t: number }>(windowMs, ORIGIN);
    const random = seededRandom(7);
    const symbols = ["BTCUSDT", "ETHUSDT", "SOLUSDT"];
    const lastOf = new Map<string, number>();
    const published: number[] = [];
    const windowOf = (ms: number) => Math.floor((ms - ORIGIN) / windowMs);
    let shown = 0;
    let t = ORIGIN;
    let drainedAt = ORIGIN;
    let id = 0;
    for (let i = 0; i < 5_000; i++) {
      // Bursts and gaps: several liquidations within a millisecond, then seconds of nothing.
      t += random() < 0.05 ? Math.floor(random() * 4000) : Math.floor(random() * 30);
      // The stream server drains every few ms; here drains come at random, often a window late,
      // but at least once every two windows (the throttle keeps one undrained window per symbol).
      if (random() < 0.1 || windowOf(t) - windowOf(drainedAt) >= 2) {
        for (const s of throttle.due(t)) published.push(s.event.id);
        drainedAt = t;
      }
      const symbol = symbols[Math.floor(random() * symbols.length)] as string;
      const event = { id: id++, symbol, t };
      if (throttle.offer(symbol, event, t)) shown++;
      lastOf.set(`${symbol}:${windowOf(t)}`, event.id);
    }
    for (const s of throttle.due(t + 10 * windowMs)) published.push(s.event.id);
    expect(shown).toBe(lastOf.size);
    expect(published.length).toBe(shown);
    expect(new Set(published)).toEqual(new Set(lastOf.values()));
    expect(shown).toBeLessThan(id);
  });

  it("refuses a window that is not positive", () => {
    expect(() => new ForceOrderThrottle(0, ORIGIN)).toThrow();
  });
});
