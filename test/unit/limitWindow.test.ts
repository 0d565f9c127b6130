import { describe, expect, it } from "vitest";
import { EXCHANGE_DEFAULTS } from "../../mock-exchange/defaults.ts";
import { OrderCountLimiter } from "../../mock-exchange/limits/orderCountLimiter.ts";
import { limitWindowCompression } from "../../mock-exchange/limits/window.ts";

const limits = EXCHANGE_DEFAULTS.limits;

describe("limit windows compress by the time scale down to the budgets' floor", () => {
  it("is the time scale while every budget stays above its floor", () => {
    expect(limitWindowCompression(limits, 1)).toBe(1);
    expect(limitWindowCompression(limits, 30)).toBe(30);
    expect(limitWindowCompression(limits, 60)).toBe(60);
  });

  it("stops where a budget would fall below its floor", () => {
    // 2,400 weight / 40 = 60 and 300 orders / 5 = 60: no window is compressed further.
    expect(limitWindowCompression(limits, 180)).toBe(60);
    expect(limitWindowCompression(limits, 510)).toBe(60);
    expect(limitWindowCompression({ ...limits, minWindowOrders: 10 }, 180)).toBe(30);
  });

  it("leaves a limit smaller than its floor uncompressed, and never stretches time", () => {
    expect(limitWindowCompression({ ...limits, weightPerMinute: 25 }, 60)).toBe(1);
    expect(limitWindowCompression(limits, 0.5)).toBe(0.5);
  });

  it("keeps the venue's order rate at scale 180, which 1.67-order windows do not", () => {
    // The venue allows 20 orders/s per account (1,200 per minute; 300 per 10 s is 30/s).
    const offer = (limiter: OrderCountLimiter) => {
      let passed = 0;
      for (let i = 0; i < 200; i++) if (limiter.consume(1, 1, 0.5 + i * 50).allowed) passed++;
      return passed;
    };
    const compression = limitWindowCompression(limits, 180);
    expect(offer(new OrderCountLimiter(limits.ordersPer10s, limits.ordersPerMinute, compression, 0))).toBe(
      200,
    );
    // Compressed by the full 180, 55.6 ms windows hold one order: each window that two orders
    // 50 ms apart fall into refuses the second, 20 of the 200 (more for Poisson arrivals).
    const naive = new OrderCountLimiter(limits.ordersPer10s, limits.ordersPerMinute, 180, 0);
    expect(offer(naive)).toBe(180);
  });
});
