import { describe, expect, it } from "vitest";
import { EXCHANGE_DEFAULTS } from "../../mock-exchange/defaults.ts";
import { type BanConfig, BanList } from "../../mock-exchange/limits/banList.ts";
import { IpLimiter } from "../../mock-exchange/limits/ipLimiter.ts";
import { OrderCountLimiter } from "../../mock-exchange/limits/orderCountLimiter.ts";
import { WeightLimiter } from "../../mock-exchange/limits/weightLimiter.ts";
import { WindowGenerations } from "../../mock-exchange/limits/window.ts";

/**
 * The limiters drop the state of a client whose windows have ended (and, for bans, whose
 * offences are past their forget horizon), so that many distinct addresses (trusted
 * X-Forwarded-For) do not stay in memory. The clock is a number passed in: no sleeping.
 */

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

describe("WindowGenerations (two generations swapped at each window boundary)", () => {
  it("keeps a key used in this or the previous window and drops one idle for a whole window", () => {
    const g = new WindowGenerations<string, { n: number }>(100);
    g.advance(0);
    g.set("a", { n: 1 });
    g.set("b", { n: 2 });
    expect(g.advance(100)).toBe(true);
    expect(g.size).toBe(2);
    const a = g.get("a");
    expect(a?.n).toBe(1);
    expect(g.advance(200)).toBe(true);
    // "a" was used in the window starting at 100 and is kept, with the same object; "b" is gone.
    expect(g.size).toBe(1);
    expect(g.get("a")).toBe(a);
    expect(g.get("b")).toBeUndefined();
  });

  it("does not rotate for the same or an earlier window", () => {
    const g = new WindowGenerations<string, number>(100);
    g.advance(100);
    g.set("a", 1);
    expect(g.advance(100)).toBe(false);
    expect(g.advance(50)).toBe(false);
    g.advance(200);
    g.advance(300);
    expect(g.size).toBe(0);
  });

  it("drops both generations after a quiet stretch of two windows or more", () => {
    const g = new WindowGenerations<string, number>(100);
    g.advance(100);
    g.set("a", 1);
    g.advance(300);
    expect(g.size).toBe(0);
    expect(g.get("a")).toBeUndefined();
  });
});

describe("WeightLimiter state", () => {
  it("holds 10,000 distinct clients during their window and none two windows later", () => {
    const limiter = new WeightLimiter(2_400, 60, 0);
    for (let i = 0; i < 10_000; i++) limiter.consume(`10.0.${i >> 8}.${i & 255}`, 5, 10 + (i % 900));
    expect(limiter.clientsHeld).toBe(10_000);
    expect(limiter.used("10.0.0.1", 999)).toBe(5);
    // Window 1 (1,000-2,000 ms at scale 60): the old ones are kept one more window, not used.
    limiter.consume("10.9.9.9", 5, 1_500);
    expect(limiter.clientsHeld).toBe(10_001);
    expect(limiter.used("10.0.0.1", 1_500)).toBe(0);
    limiter.consume("10.9.9.9", 5, 2_500);
    expect(limiter.clientsHeld).toBe(1);
  });

  it("never drops a client inside its window: its budget holds to the boundary", () => {
    const limiter = new WeightLimiter(10, 1, 0);
    expect(limiter.consume("a", 10, 1_000).allowed).toBe(true);
    // Others' traffic in the same window rotates nothing.
    for (let i = 0; i < 100; i++) limiter.consume(`b${i}`, 1, 2_000 + i);
    expect(limiter.consume("a", 1, 59_999).allowed).toBe(false);
    expect(limiter.consume("a", 1, 60_000).allowed).toBe(true);
  });
});

describe("OrderCountLimiter state", () => {
  it("keeps an account's minute count across its 10 s windows and drops it a minute window after its last order", () => {
    const limiter = new OrderCountLimiter(300, 4, 1, 0);
    for (const t of [1_000, 11_000, 21_000, 31_000]) expect(limiter.consume(7, 1, t).allowed).toBe(true);
    // The minute budget (4) holds though the 10 s windows changed.
    expect(limiter.consume(7, 1, 41_000).allowed).toBe(false);
    for (let id = 100; id < 200; id++) limiter.consume(id, 1, 50_000);
    expect(limiter.accountsHeld).toBe(101);
    limiter.consume(1, 1, 61_000);
    expect(limiter.accountsHeld).toBe(102);
    limiter.consume(1, 1, 121_000);
    expect(limiter.accountsHeld).toBe(1);
  });
});

describe("BanList state", () => {
  const config: BanConfig = {
    banAfterRefusalsPerMinute: 3,
    banBaseMs: 2 * MINUTE,
    banMaxMs: 3 * DAY,
    banForgetMs: DAY,
  };
  const banAt = (bans: BanList, ip: string, from: number) => {
    let t = from;
    let until = 0;
    while (until === 0) until = bans.refused(ip, t++);
    return until;
  };

  it("drops refusal counts when their window ends", () => {
    const bans = new BanList(config, 1, 0);
    for (let i = 0; i < 1_000; i++) expect(bans.refused(`ip${i}`, 1_000)).toBe(0);
    expect(bans.ipsHeld).toBe(1_000);
    bans.bannedUntil("other", MINUTE + 1);
    expect(bans.ipsHeld).toBe(1_000);
    bans.bannedUntil("other", 2 * MINUTE + 1);
    expect(bans.ipsHeld).toBe(0);
  });

  it("keeps an offender through its ban and its forget horizon (it escalates), then drops it", () => {
    const bans = new BanList(config, 1, 0);
    const first = banAt(bans, "a", 0);
    // Many windows later, still inside the horizon: held, and the next ban is twice as long.
    const quiet = first + DAY - 10 * MINUTE;
    bans.bannedUntil("x", quiet);
    expect(bans.ipsHeld).toBe(1);
    const secondStart = quiet + 1;
    const second = banAt(bans, "a", secondStart);
    expect(second - (secondStart + 3)).toBe(4 * MINUTE);
    expect(bans.offences("a")).toBe(2);
    // The horizon passes with no new ban: the next window's sweep drops the record.
    bans.bannedUntil("x", second + DAY + MINUTE);
    expect(bans.ipsHeld).toBe(0);
    expect(bans.offences("a")).toBe(0);
    const third = banAt(bans, "a", second + DAY + 2 * MINUTE);
    expect(bans.offences("a")).toBe(1);
    expect(third).toBeGreaterThan(0);
  });
});

describe("IpLimiter state with trusted X-Forwarded-For", () => {
  it("drops every distinct address's weight and refusals once their windows have ended", () => {
    const limits = { ...EXCHANGE_DEFAULTS.limits };
    const ip = new IpLimiter(limits, 60, 0);
    // 5,000 one-request addresses and one heavy client refused past its budget in window 0.
    for (let i = 0; i < 5_000; i++) ip.admit(`127.1.${i >> 8}.${i & 255}`, 1, 100 + (i % 800));
    for (let i = 0; i < 12; i++) ip.admit("127.0.0.9", 5, 950 + i);
    expect(ip.weight.clientsHeld).toBe(5_001);
    expect(ip.bans.ipsHeld).toBe(1);
    // Two windows later (scale 60: 1 s windows), one request: only its own state is left.
    expect(ip.admit("127.0.0.2", 1, 2_100).outcome).toBe("allowed");
    expect(ip.weight.clientsHeld).toBe(1);
    expect(ip.bans.ipsHeld).toBe(0);
  });
});
