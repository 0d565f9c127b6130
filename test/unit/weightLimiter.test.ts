import { describe, expect, it } from "vitest";
import { WeightLimiter } from "../../mock-exchange/limits/weightLimiter.ts";

describe("WeightLimiter (fixed windows, per client)", () => {
  it("allows up to the budget in a window and refuses past it, with Retry-After to the window end", () => {
    const limiter = new WeightLimiter(100, 1, 0);
    for (let i = 0; i < 20; i++) expect(limiter.consume("a", 5, 1_000 + i).allowed).toBe(true);
    const refused = limiter.consume("a", 5, 30_000);
    expect(refused.allowed).toBe(false);
    expect(refused.usedWeight).toBe(105);
    expect(refused.retryAfterS).toBe(30);
  });

  it("resets at the window boundary, not a sliding minute after the first request", () => {
    const limiter = new WeightLimiter(10, 1, 0);
    expect(limiter.consume("a", 10, 59_000).allowed).toBe(true);
    expect(limiter.consume("a", 1, 59_999).allowed).toBe(false);
    const next = limiter.consume("a", 1, 60_000);
    expect(next.allowed).toBe(true);
    expect(next.usedWeight).toBe(1);
  });

  it("keeps clients apart", () => {
    const limiter = new WeightLimiter(10, 1, 0);
    expect(limiter.consume("a", 11, 0).allowed).toBe(false);
    expect(limiter.consume("b", 10, 0).allowed).toBe(true);
    expect(limiter.used("a", 1)).toBe(11);
    expect(limiter.used("b", 60_001)).toBe(0);
  });

  it("never refuses weight-0 requests (new orders count on the order limits instead)", () => {
    const limiter = new WeightLimiter(10, 1, 0);
    limiter.consume("a", 50, 0);
    expect(limiter.consume("a", 0, 1).allowed).toBe(true);
    expect(limiter.consume("a", 1, 2).allowed).toBe(false);
  });

  it("compresses window and budget by the time scale, keeping the rate, aligned to the origin", () => {
    // Time scale 60: a 1 s window with 1/60 of the per-minute budget.
    const limiter = new WeightLimiter(2_400, 60, 500);
    for (let i = 0; i < 8; i++) expect(limiter.consume("a", 5, 500 + i).allowed).toBe(true);
    expect(limiter.consume("a", 1, 1_499).allowed).toBe(false);
    expect(limiter.consume("a", 1, 1_500).allowed).toBe(true);
    expect(limiter.limit).toBe(2_400);
  });
});
