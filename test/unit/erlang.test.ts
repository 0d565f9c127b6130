import { describe, expect, it } from "vitest";
import {
  erlangB,
  erlangC,
  mmcMeanWaitMs,
  mmcWaitExceedProb,
  mmcWaitPercentileMs,
} from "../../mock-exchange/capacity/erlang.ts";

/** Erlang C straight from its definition, summed in log space (independent of the recursion). */
function erlangCDirect(c: number, a: number): number {
  // P(wait) = (a^c/c!)·c/(c-a) / (Σ_{k<c} a^k/k! + (a^c/c!)·c/(c-a)); terms scaled by the largest.
  const logTerms: number[] = [];
  let logFactorial = 0;
  for (let k = 0; k <= c; k++) {
    if (k > 0) logFactorial += Math.log(k);
    logTerms.push(k * Math.log(a) - logFactorial);
  }
  const logTop = (logTerms[c] as number) + Math.log(c / (c - a));
  const max = Math.max(logTop, ...logTerms);
  let sum = 0;
  for (let k = 0; k < c; k++) sum += Math.exp((logTerms[k] as number) - max);
  const top = Math.exp(logTop - max);
  return top / (sum + top);
}

describe("Erlang formulas (M/M/c)", () => {
  it("matches closed forms and published table values", () => {
    expect(erlangB(1, 1)).toBeCloseTo(0.5, 12); // a / (1 + a)
    expect(erlangB(2, 1)).toBeCloseTo(0.2, 12); // (1/2) / (1 + 1 + 1/2)
    expect(erlangC(2, 1)).toBeCloseTo(1 / 3, 12);
    expect(erlangC(1, 0.7)).toBeCloseTo(0.7, 12); // M/M/1: P(wait) = ρ
    // Erlang tables: B(10, 8) = 0.1217, C(10, 8) = 0.4092.
    expect(erlangB(10, 8)).toBeCloseTo(0.12166, 5);
    expect(erlangC(10, 8)).toBeCloseTo(0.40918, 5);
    expect(erlangB(3, 0)).toBe(0);
    expect(erlangC(3, 0)).toBe(0);
    expect(erlangC(4, 4)).toBe(1);
    expect(erlangC(4, 9)).toBe(1);
  });

  it("stays accurate for 10,000 servers", () => {
    for (const a of [9_000, 9_900, 9_990]) {
      const c = erlangC(10_000, a);
      expect(Math.abs(c - erlangCDirect(10_000, a)) / c).toBeLessThan(1e-9);
    }
    // Halfin–Whitt: β = (c - a)/√c = 1 gives C ≈ 1/(1 + βΦ(β)/φ(β)) = 0.2234.
    expect(erlangC(10_000, 9_900)).toBeCloseTo(0.2228, 3);
    expect(Number.isFinite(erlangB(10_000, 20_000))).toBe(true);
  });

  it("gives the M/M/1 waits", () => {
    // λ = 80/s, μ = 100/s: C = 0.8, Wq = 0.8/20 s = 40 ms.
    expect(mmcMeanWaitMs(1, 80, 100)).toBeCloseTo(40, 9);
    // t_p = ln(0.8/0.01)/20 s.
    expect(mmcWaitPercentileMs(1, 80, 100, 0.99)).toBeCloseTo((Math.log(80) / 20) * 1000, 9);
    expect(mmcWaitPercentileMs(1, 80, 100, 0.1)).toBe(0); // C = 0.8 < 1 - p
    expect(mmcWaitExceedProb(1, 80, 100, 50)).toBeCloseTo(0.8 * Math.exp(-1), 12);
    expect(mmcWaitExceedProb(1, 80, 100, -1)).toBe(1);
  });

  it("is consistent: the wait percentile inverts the exceedance probability", () => {
    const [c, lambda, mu] = [40, 3_600, 100];
    for (const p of [0.5, 0.9, 0.99, 0.999]) {
      const t = mmcWaitPercentileMs(c, lambda, mu, p);
      if (t > 0) expect(mmcWaitExceedProb(c, lambda, mu, t)).toBeCloseTo(1 - p, 12);
    }
    // Mean = ∫ P(W > t) dt = C / (cμ - λ).
    expect(mmcMeanWaitMs(c, lambda, mu)).toBeCloseTo((erlangC(c, 36) / 400) * 1000, 9);
  });

  it("reports no steady state at or above capacity", () => {
    expect(mmcMeanWaitMs(2, 200, 100)).toBe(Number.POSITIVE_INFINITY);
    expect(mmcWaitPercentileMs(2, 300, 100, 0.5)).toBe(Number.POSITIVE_INFINITY);
    expect(mmcWaitExceedProb(2, 300, 100, 1_000)).toBe(1);
  });

  it("rejects bad arguments", () => {
    expect(() => erlangB(0, 1)).toThrow(RangeError);
    expect(() => erlangB(2.5, 1)).toThrow(RangeError);
    expect(() => erlangB(2, -1)).toThrow(RangeError);
    expect(() => mmcWaitPercentileMs(2, 1, 1, 1)).toThrow(RangeError);
  });
});
