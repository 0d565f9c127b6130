import { describe, expect, it } from "vitest";
import { EXCHANGE_DEFAULTS } from "../../mock-exchange/defaults.ts";
import { type BanConfig, BanList } from "../../mock-exchange/limits/banList.ts";
import { IpLimiter } from "../../mock-exchange/limits/ipLimiter.ts";

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
/** Binance: bans "from 2 minutes to 3 days" (docs/facts.md "Limits"). */
const BINANCE: BanConfig = {
  banAfterRefusalsPerMinute: 3,
  banBaseMs: 2 * MINUTE,
  banMaxMs: 3 * DAY,
  banForgetMs: DAY,
};

describe("BanList (bans of clients that keep sending after 429)", () => {
  it("tolerates the configured refusals in a window and bans at the next one, from then for 2 minutes", () => {
    const bans = new BanList(BINANCE, 1, 0);
    expect(bans.refused("a", 1_000)).toBe(0);
    expect(bans.refused("a", 2_000)).toBe(0);
    expect(bans.refused("a", 3_000)).toBe(0);
    expect(bans.bannedUntil("a", 3_000)).toBe(0);
    const until = bans.refused("a", 4_000);
    expect(until).toBe(4_000 + 2 * MINUTE);
    expect(bans.bannedUntil("a", 4_000)).toBe(until);
    expect(bans.bannedUntil("a", until - 1)).toBe(until);
    expect(bans.bannedUntil("a", until)).toBe(0);
    expect(bans.offences("a")).toBe(1);
  });

  it("counts refusals per fixed window aligned to the origin: spread over two windows they do not ban", () => {
    const bans = new BanList(BINANCE, 1, 500);
    for (const t of [40_000, 50_000, 60_499]) expect(bans.refused("a", t)).toBe(0);
    // 60,500 starts the next window: the count restarts.
    for (const t of [60_500, 70_000, 80_000]) expect(bans.refused("a", t)).toBe(0);
    expect(bans.refused("a", 90_000)).toBeGreaterThan(0);
  });

  it("bans per IP: another client's refusals and bans are its own", () => {
    const bans = new BanList(BINANCE, 1, 0);
    for (let i = 0; i < 4; i++) bans.refused("a", i);
    expect(bans.bannedUntil("a", 10)).toBeGreaterThan(0);
    expect(bans.bannedUntil("b", 10)).toBe(0);
    expect(bans.refused("b", 11)).toBe(0);
  });

  it("doubles the ban for each repeat offence: 2, 4, 8 ... minutes, at most 3 days (from the 13th)", () => {
    const bans = new BanList(BINANCE, 1, 0);
    expect(bans.banLengthMs(1)).toBe(2 * MINUTE);
    expect(bans.banLengthMs(2)).toBe(4 * MINUTE);
    expect(bans.banLengthMs(3)).toBe(8 * MINUTE);
    // 2 min x 2^11 = 4,096 min (2.8 days) is still under the cap; 2^12 = 8,192 min is over it.
    expect(bans.banLengthMs(12)).toBe(4_096 * MINUTE);
    expect(bans.banLengthMs(13)).toBe(3 * DAY);
    expect(bans.banLengthMs(40)).toBe(3 * DAY);
  });

  it("escalates a client that offends again as soon as its ban ends, up to the 3-day cap", () => {
    const bans = new BanList(BINANCE, 1, 0);
    let t = 0;
    const lengths: number[] = [];
    for (let offence = 1; offence <= 14; offence++) {
      let until = 0;
      while (until === 0) until = bans.refused("a", t++);
      lengths.push(until - (t - 1));
      t = until;
    }
    expect(lengths.slice(0, 4)).toEqual([2, 4, 8, 16].map((m) => m * MINUTE));
    expect(lengths.at(-2)).toBe(3 * DAY);
    expect(lengths.at(-1)).toBe(3 * DAY);
    expect(bans.offences("a")).toBe(14);
  });

  it("forgets the offences a day after the last ban ended: the next ban is 2 minutes again", () => {
    const bans = new BanList(BINANCE, 1, 0);
    const ban = (from: number) => {
      let t = from;
      let until = 0;
      while (until === 0) until = bans.refused("a", t++);
      return { start: t - 1, until };
    };
    const first = ban(0);
    const second = ban(first.until);
    expect(second.until - second.start).toBe(4 * MINUTE);
    // Just under a day after the second ban ended: still remembered.
    const third = ban(second.until + DAY - 10 * MINUTE);
    expect(third.until - third.start).toBe(8 * MINUTE);
    const fourth = ban(third.until + DAY);
    expect(fourth.until - fourth.start).toBe(2 * MINUTE);
    expect(bans.offences("a")).toBe(1);
  });

  it("compresses the trigger, the ban and the memory by the time scale (scale 60: 2 natural minutes = 2 s)", () => {
    const config = { ...BINANCE, banAfterRefusalsPerMinute: 600 };
    const bans = new BanList(config, 60, 0);
    // 600 per natural minute = 10 per compressed (1 s) window.
    for (let i = 0; i < 10; i++) expect(bans.refused("a", 100 + i)).toBe(0);
    const until = bans.refused("a", 200);
    expect(until).toBe(200 + 2_000);
    expect(bans.banLengthMs(13)).toBe((3 * DAY) / 60);
    // The next window (1,000-2,000 ms) starts a new count, but the IP is banned until 2,200.
    expect(bans.bannedUntil("a", 2_199)).toBe(until);
  });

  it("forgets every IP on reset", () => {
    const bans = new BanList(BINANCE, 1, 0);
    for (let i = 0; i < 4; i++) bans.refused("a", i);
    bans.reset();
    expect(bans.bannedUntil("a", 10)).toBe(0);
    expect(bans.offences("a")).toBe(0);
  });
});

describe("IpLimiter (ban check -> weight -> ban accounting, one call for the server and the simulator)", () => {
  const limits = {
    ...EXCHANGE_DEFAULTS.limits,
    weightPerMinute: 10,
    banAfterRefusalsPerMinute: 2,
  };

  it("allows within the weight, refuses with 429 and the window's Retry-After, then bans with 418 and the ban's", () => {
    const ip = new IpLimiter(limits, 1, 0);
    for (let i = 0; i < 10; i++) {
      const d = ip.admit("a", 1, 1_000 + i);
      expect(d.outcome).toBe("allowed");
      expect(d.usedWeight).toBe(i + 1);
    }
    for (const t of [20_000, 30_500]) {
      const d = ip.admit("a", 1, t);
      expect(d.outcome).toBe("rate_limited");
      expect(d.retryAfterS).toBe(Math.ceil((MINUTE - t) / 1000));
    }
    const banned = ip.admit("a", 1, 40_000);
    expect(banned.outcome).toBe("banned");
    expect(banned.bannedUntilMs).toBe(40_000 + 2 * MINUTE);
    expect(banned.retryAfterS).toBe(120);
    expect(banned.usedWeight).toBe(13);
  });

  it("answers every request of a banned IP with 418, weight 0 included, without counting its weight", () => {
    const ip = new IpLimiter(limits, 1, 0);
    for (let i = 0; i < 13; i++) ip.admit("a", 1, i);
    const order = ip.admit("a", 0, 500);
    expect(order.outcome).toBe("banned");
    // Retry-After: whole seconds until the ban ends (12 + 120,000 - 500 ms = 119.512 s).
    expect(order.retryAfterS).toBe(120);
    const later = ip.admit("a", 5, 12 + 2 * MINUTE - 1_500);
    expect(later.outcome).toBe("banned");
    expect(later.retryAfterS).toBe(2);
    expect(ip.weight.used("a", 59_000)).toBe(13);
    // After the ban: a fresh window, the weight counts again.
    const back = ip.admit("a", 1, 12 + 2 * MINUTE);
    expect(back.outcome).toBe("allowed");
    expect(back.usedWeight).toBe(1);
  });

  it("keeps one IP's ban away from another IP", () => {
    const ip = new IpLimiter(limits, 1, 0);
    for (let i = 0; i < 13; i++) ip.admit("a", 1, i);
    expect(ip.admit("a", 1, 20).outcome).toBe("banned");
    const b = ip.admit("b", 1, 20);
    expect(b.outcome).toBe("allowed");
    expect(b.usedWeight).toBe(1);
  });

  it("compresses by the time scale: at 60 the 418's Retry-After is 2 s for a first ban", () => {
    const ip = new IpLimiter({ ...EXCHANGE_DEFAULTS.limits }, 60, 0);
    // 2,400 / 60 = 40 weight per 1 s window; 600 / 60 = 10 refusals tolerated.
    let t = 0;
    for (; t < 8; t++) expect(ip.admit("a", 5, t).outcome).toBe("allowed");
    for (; t < 18; t++) expect(ip.admit("a", 5, t).outcome).toBe("rate_limited");
    const banned = ip.admit("a", 5, t);
    expect(banned.outcome).toBe("banned");
    expect(banned.retryAfterS).toBe(2);
    expect(banned.bannedUntilMs).toBe(t + 2_000);
  });

  it("returns one reused decision object (no allocation per request)", () => {
    const ip = new IpLimiter(limits, 1, 0);
    expect(ip.admit("a", 1, 0)).toBe(ip.admit("b", 1, 0));
  });
});
