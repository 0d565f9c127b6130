import { describe, expect, it } from "vitest";
import { bucketStart, MarketData, nextBucket } from "../../mock-exchange/marketData.ts";

/** Candle intervals on the calendar, the minute ring's bound and the natural clock (mock-exchange/marketData.ts). */

const MINUTE = 60_000;

describe("kline intervals", () => {
  it("aligns weeks to Mondays, months to the first, the rest to the epoch", () => {
    // Wednesday 2026-01-07 13:45: its week opened on Monday the 5th, its month on the 1st.
    const t = Date.UTC(2026, 0, 7, 13, 45, 10);
    expect(bucketStart("1w", t)).toBe(Date.UTC(2026, 0, 5));
    expect(new Date(bucketStart("1w", t)).getUTCDay()).toBe(1);
    expect(nextBucket("1w", Date.UTC(2026, 0, 5))).toBe(Date.UTC(2026, 0, 12));
    expect(bucketStart("1M", t)).toBe(Date.UTC(2026, 0, 1));
    expect(nextBucket("1M", Date.UTC(2026, 1, 1))).toBe(Date.UTC(2026, 2, 1));
    expect(bucketStart("4h", t)).toBe(Date.UTC(2026, 0, 7, 12));
    expect(bucketStart("15m", t)).toBe(Date.UTC(2026, 0, 7, 13, 45));
    expect(bucketStart("3d", t) % (3 * 86_400_000)).toBe(0);
    expect(bucketStart("1M", bucketStart("1M", t) - 1)).toBe(Date.UTC(2025, 11, 1));
  });
});

describe("MarketData", () => {
  it("keeps at most the configured minutes per symbol: older candles are gone", () => {
    const origin = Date.UTC(2026, 0, 1);
    const md = new MarketData(1, 3, origin, 1);
    for (let m = 0; m < 5; m++) md.record(0, 100 + m, 1, true, m + 1, origin + m * MINUTE + 5);
    const candles = md.klines(0, { interval: "1m", limit: 500 }, origin + 4 * MINUTE + 10);
    expect(candles.map((c) => [md.wall(c.startMs) - origin, c.open])).toEqual([
      [2 * MINUTE, 102],
      [3 * MINUTE, 103],
      [4 * MINUTE, 104],
    ]);
    // Two trades in one minute: one row, open first, close last, volume summed.
    md.record(0, 90, 2, false, 6, origin + 4 * MINUTE + 20);
    const [last] = md.klines(0, { interval: "1m", limit: 1 }, origin + 4 * MINUTE + 30);
    expect(last).toMatchObject({
      open: 104,
      high: 104,
      low: 90,
      close: 90,
      volume: 3,
      count: 2,
      takerBuyVolume: 1,
    });
    expect(md.dayStats(0, origin + 4 * MINUTE + 30)).toMatchObject({
      count: 4,
      firstId: 3,
      lastId: 6,
      lastLots: 2,
    });
  });

  it("maps the venue clock to natural time by the time scale", () => {
    const origin = 1_000_000;
    const md = new MarketData(1, 10, origin, 60);
    // One wall second is one natural minute.
    expect(md.natural(origin + 1_000)).toBe(origin + MINUTE);
    expect(md.wall(origin + MINUTE)).toBe(origin + 1_000);
    md.record(0, 100, 1, true, 1, origin + 500);
    md.record(0, 101, 1, true, 2, origin + 1_500);
    const candles = md.klines(0, { interval: "1m", limit: 10 }, origin + 1_600);
    expect(candles).toHaveLength(2);
    expect(
      md.wall((candles[1] as { startMs: number }).startMs) -
        md.wall((candles[0] as { startMs: number }).startMs),
    ).toBe(1_000);
  });
});
