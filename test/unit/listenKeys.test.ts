import { describe, expect, it } from "vitest";
import { seededRandom } from "../../loadtests/vocabulary/random.ts";
import { parseStreamName } from "../../mock-exchange/api/streams/names.ts";
import { marginRatio } from "../../mock-exchange/api/streams/userEvents.ts";
import { ListenKeys } from "../../mock-exchange/listenKeys.ts";

/**
 * listenKey lifecycle against a fake clock (Binance USDⓈ-M "User Data Streams": valid 60 minutes
 * after POST or PUT, one key per account, POST returns the active key), stream names, margin ratio.
 */

const HOUR = 3_600_000;

describe("ListenKeys", () => {
  it("issues one key per account, extended by POST and PUT, lapsing without them", () => {
    const keys = new ListenKeys(HOUR, seededRandom(1));
    const k1 = keys.start(1, 0);
    expect(k1).toMatch(/^[A-Za-z0-9]{64}$/);
    expect(keys.start(2, 0)).not.toBe(k1);
    expect(keys.accountOf(k1, 0)).toBe(1);
    expect(keys.keyOf(1, 0)).toBe(k1);
    // POST again at 50 min: same key, valid until 110 min.
    expect(keys.start(1, 50 * 60_000)).toBe(k1);
    expect(keys.status(k1, HOUR + 1)).toBe("active");
    // PUT at 100 min: valid until 160 min.
    expect(keys.keepalive(1, 100 * 60_000)).toBe(k1);
    expect(keys.status(k1, 160 * 60_000 - 1)).toBe("active");
    expect(keys.status(k1, 160 * 60_000)).toBe("expired");
    expect(keys.accountOf(k1, 160 * 60_000)).toBeUndefined();
    expect(keys.keyOf(1, 160 * 60_000)).toBeUndefined();
    // A lapsed key cannot be kept alive (-1125); POST makes a new one and forgets the old.
    expect(keys.keepalive(1, 160 * 60_000)).toBeUndefined();
    const k2 = keys.start(1, 160 * 60_000);
    expect(k2).not.toBe(k1);
    expect(keys.status(k1, 160 * 60_000)).toBe("unknown");
    expect(keys.status(k2, 160 * 60_000)).toBe("active");
  });

  it("closes a key with DELETE", () => {
    const keys = new ListenKeys(HOUR, seededRandom(2));
    const k = keys.start(3, 0);
    expect(keys.close(3)).toBe(true);
    expect(keys.status(k, 1)).toBe("unknown");
    expect(keys.keepalive(3, 1)).toBeUndefined();
    expect(keys.close(3)).toBe(false);
    expect(keys.status("nope", 1)).toBe("unknown");
  });

  it("draws the same keys from the same seed", () => {
    const a = new ListenKeys(HOUR, seededRandom(9));
    const b = new ListenKeys(HOUR, seededRandom(9));
    expect(a.start(1, 0)).toBe(b.start(1, 0));
  });
});

describe("stream names", () => {
  const has = (s: string) => s === "BTCUSDT" || s === "ETHUSDT";
  it("parses the market streams Binance spells, lowercase symbols only", () => {
    expect(parseStreamName("btcusdt@forceOrder", has, 250)).toEqual({
      kind: "forceOrder",
      symbol: "BTCUSDT",
    });
    expect(parseStreamName("!forceOrder@arr", has, 250)).toEqual({ kind: "forceOrder", symbol: undefined });
    expect(parseStreamName("ethusdt@depth", has, 250)).toEqual({
      kind: "depth",
      symbol: "ETHUSDT",
      levels: undefined,
      intervalMs: 250,
    });
    expect(parseStreamName("btcusdt@depth@100ms", has, 250)).toMatchObject({ intervalMs: 100 });
    expect(parseStreamName("btcusdt@depth10@500ms", has, 250)).toMatchObject({ levels: 10, intervalMs: 500 });
    for (const bad of [
      "BTCUSDT@depth",
      "xrpusdt@depth",
      "btcusdt@depth7",
      "btcusdt@depth@1s",
      "btcusdt@trade",
    ])
      expect(parseStreamName(bad, has, 250), bad).toBeUndefined();
    expect(parseStreamName("A".repeat(64), has, 250)).toEqual({ kind: "listenKey" });
  });

  it("computes the margin ratio as maintenance margin over margin balance", () => {
    expect(marginRatio({ maintenanceMargin: 0, marginBalance: 100 })).toBe(0);
    expect(marginRatio({ maintenanceMargin: 80, marginBalance: 100 })).toBe(0.8);
    expect(marginRatio({ maintenanceMargin: 1, marginBalance: 0 })).toBe(Number.POSITIVE_INFINITY);
  });
});
