import { describe, expect, it } from "vitest";
import { OrderCountLimiter } from "../../mock-exchange/limits/orderCountLimiter.ts";

/** Binance USDⓈ-M's ORDERS limits (docs/facts.md "Limits"): 300 per 10 s, 1,200 per minute. */
const PER_10S = 300;
const PER_MINUTE = 1_200;

describe("OrderCountLimiter (fixed 10 s and minute windows, per account)", () => {
  it("allows 300 orders in a 10 s window and refuses the 301st with the 10 s limit, counting nothing", () => {
    const limiter = new OrderCountLimiter(PER_10S, PER_MINUTE, 1, 0);
    for (let i = 1; i <= 300; i++) {
      const d = limiter.consume(1, 1, 1_000 + i);
      expect(d.allowed).toBe(true);
      expect(d.count10s).toBe(i);
      expect(d.count1m).toBe(i);
    }
    const refused = limiter.consume(1, 1, 2_500);
    expect(refused.allowed).toBe(false);
    expect(refused.limit).toBe(300);
    expect(refused.interval).toBe("10 SECOND");
    // The 10 s window ends at 10,000: 7.5 s left, rounded up.
    expect(refused.retryAfterS).toBe(8);
    // A refused order was not placed: the counts stay.
    expect(refused.count10s).toBe(300);
    expect(refused.count1m).toBe(300);
  });

  it("resets at the 10 s boundary, not 10 s after the first order", () => {
    const limiter = new OrderCountLimiter(3, PER_MINUTE, 1, 0);
    for (let i = 0; i < 3; i++) expect(limiter.consume(1, 1, 9_000).allowed).toBe(true);
    const last = limiter.consume(1, 1, 9_999);
    expect(last.allowed).toBe(false);
    expect(last.retryAfterS).toBe(1); // 1 ms left: at least a second
    const next = limiter.consume(1, 1, 10_000);
    expect(next.allowed).toBe(true);
    expect(next.count10s).toBe(1);
    expect(next.count1m).toBe(4);
  });

  it("refuses with the minute limit once 1,200 are placed, until the minute boundary", () => {
    const limiter = new OrderCountLimiter(PER_10S, PER_MINUTE, 1, 0);
    // 300 in each of the first four 10 s windows: 1,200 in the minute.
    for (let w = 0; w < 4; w++)
      for (let i = 0; i < 300; i++) expect(limiter.consume(7, 1, w * 10_000 + i).allowed).toBe(true);
    const refused = limiter.consume(7, 1, 45_000);
    expect(refused.allowed).toBe(false);
    expect(refused.limit).toBe(1_200);
    expect(refused.interval).toBe("1 MINUTE");
    expect(refused.retryAfterS).toBe(15);
    expect(refused.count10s).toBe(0);
    expect(refused.count1m).toBe(1_200);
    expect(limiter.consume(7, 1, 59_999).allowed).toBe(false);
    const next = limiter.consume(7, 1, 60_000);
    expect(next.allowed).toBe(true);
    expect(next.count1m).toBe(1);
  });

  it("names the minute limit and waits for it when both windows are full", () => {
    const limiter = new OrderCountLimiter(2, 2, 1, 0);
    limiter.consume(1, 2, 3_000);
    const refused = limiter.consume(1, 1, 4_000);
    expect(refused.interval).toBe("1 MINUTE");
    expect(refused.retryAfterS).toBe(56);
  });

  it("counts per account", () => {
    const limiter = new OrderCountLimiter(1, 10, 1, 0);
    expect(limiter.consume(1, 1, 0).allowed).toBe(true);
    expect(limiter.consume(1, 1, 1).allowed).toBe(false);
    const other = limiter.consume(2, 1, 2);
    expect(other.allowed).toBe(true);
    expect(other.count10s).toBe(1);
  });

  it("counts a request differently per window when asked (a batch: 5 on the 10 s counter, 1 on the minute's)", () => {
    const limiter = new OrderCountLimiter(PER_10S, 3, 1, 0);
    const batch = limiter.consume(1, 5, 0, 1);
    expect(batch.allowed).toBe(true);
    expect(batch.count10s).toBe(5);
    expect(batch.count1m).toBe(1);
    limiter.consume(1, 5, 1, 1);
    limiter.consume(1, 5, 2, 1);
    // The minute has 3 of 3: a fourth batch is refused although the 10 s window has room.
    const fourth = limiter.consume(1, 5, 3, 1);
    expect(fourth.allowed).toBe(false);
    expect(fourth.interval).toBe("1 MINUTE");
    expect(fourth.count10s).toBe(15);
  });

  it("refuses a request of several orders whole when only some would fit", () => {
    const limiter = new OrderCountLimiter(5, PER_MINUTE, 1, 0);
    limiter.consume(1, 3, 0);
    expect(limiter.consume(1, 3, 1).allowed).toBe(false);
    expect(limiter.consume(1, 2, 2).count10s).toBe(5);
  });

  it("compresses both windows and budgets by the time scale, aligned to the origin (same rate, same share)", () => {
    // Scale 60 from origin 500: 10 s windows of 166.7 ms with 5 orders, minutes of 1 s with 20.
    const limiter = new OrderCountLimiter(PER_10S, PER_MINUTE, 60, 500);
    for (let i = 0; i < 5; i++) expect(limiter.consume(1, 1, 500 + i).allowed).toBe(true);
    const full = limiter.consume(1, 1, 600);
    expect(full.allowed).toBe(false);
    expect(full.interval).toBe("10 SECOND");
    expect(full.retryAfterS).toBe(1);
    // The next 10 s window starts at 500 + 166.67 ms.
    expect(limiter.consume(1, 1, 666).allowed).toBe(false);
    expect(limiter.consume(1, 1, 667).allowed).toBe(true);
    // Fill the minute: 5 per window over the remaining windows of the second up to 20.
    let placed = 6;
    for (let t = 834; t < 1_500 && placed < 20; t += 1) if (limiter.consume(1, 1, t).allowed) placed++;
    expect(placed).toBe(20);
    const minute = limiter.consume(1, 1, 1_400);
    expect(minute.allowed).toBe(false);
    expect(minute.interval).toBe("1 MINUTE");
    expect(minute.limit).toBe(1_200);
    expect(limiter.consume(1, 1, 1_500).count1m).toBe(1);
  });

  it("allows a whole order only while the count stays within a fractional budget (scale 180: 1.67 per 10 s window)", () => {
    const limiter = new OrderCountLimiter(PER_10S, PER_MINUTE, 180, 0);
    expect(limiter.consume(1, 1, 0).allowed).toBe(true);
    expect(limiter.consume(1, 1, 1).allowed).toBe(false);
    expect(limiter.consume(1, 1, 56).allowed).toBe(true); // next window at 55.6 ms
  });

  it("returns one reused decision object (no allocation per request)", () => {
    const limiter = new OrderCountLimiter(PER_10S, PER_MINUTE, 1, 0);
    const a = limiter.consume(1, 1, 0);
    const b = limiter.consume(2, 1, 0);
    expect(b).toBe(a);
  });

  it("forgets every account on reset", () => {
    const limiter = new OrderCountLimiter(1, 1, 1, 0);
    limiter.consume(1, 1, 0);
    limiter.reset();
    expect(limiter.consume(1, 1, 1).allowed).toBe(true);
  });
});
