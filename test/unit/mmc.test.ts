import { describe, expect, it } from "vitest";
import { mmcMeanWaitMs, mmcWaitPercentileMs } from "../../mock-exchange/capacity/erlang.ts";
import { simulateMmc } from "../../mock-exchange/capacity/mmc.ts";

/**
 * The WorkerPool, fed Poisson arrivals with exponential service, against Erlang C. Service rate
 * 100/s (10 ms) throughout. Sizes are chosen so 5% is more than 4 standard errors of each figure;
 * the standard errors were measured once by batch means (40-48 batches, a throw-away script):
 *
 *   ρ     c  arrivals  rel. s.e. mean  rel. s.e. p99  rel. s.e. p50    C(c, a)
 *   0.5   2    2 M        0.54%          0.62%          (theory 0)     0.333
 *   0.8   2    4 M        0.72%          1.13%          0.80%          0.711
 *   0.95  8   60 M       ~0.63%         ~1.14%         ~0.55%          0.844
 *
 * (At ρ = 0.95 the waits are strongly autocorrelated: 48 M arrivals gave 0.63-0.77% and
 * 1.25-1.29% in two seeds; 60 M scales that by √(48/60).) Percentile errors were derived from
 * the batch spread of P(W > t_p) divided by the density at t_p. About 155 ns per arrival with
 * the WebAssembly histogram: ~10 s for the ρ = 0.95 case, under 1 s for the other two.
 */

const MU = 100;

function check(servers: number, rho: number, arrivals: number, seed: number) {
  const lambda = rho * servers * MU;
  const r = simulateMmc({
    servers,
    arrivalRatePerS: lambda,
    serviceRatePerS: MU,
    durationS: arrivals / lambda,
    seed,
  });
  expect(Math.abs(r.arrivals / arrivals - 1)).toBeLessThan(0.01);
  const within5 = (simulated: number, theory: number) =>
    expect(Math.abs(simulated / theory - 1), `${simulated} vs ${theory}`).toBeLessThan(0.05);
  within5(r.meanWaitMs, mmcMeanWaitMs(servers, lambda, MU));
  within5(r.p99WaitMs, mmcWaitPercentileMs(servers, lambda, MU, 0.99));
  const p50 = mmcWaitPercentileMs(servers, lambda, MU, 0.5);
  if (p50 > 0) within5(r.p50WaitMs, p50);
  else expect(r.p50WaitMs).toBe(0);
}

describe("WorkerPool as M/M/c against Erlang C", () => {
  it("ρ = 0.5, 2 servers, 2 M arrivals (median wait 0)", () => {
    check(2, 0.5, 2_000_000, 501);
  });

  it("ρ = 0.8, 2 servers, 4 M arrivals", () => {
    check(2, 0.8, 4_000_000, 801);
  });

  it("ρ = 0.95, 8 servers, 60 M arrivals", { timeout: 60_000 }, () => {
    check(8, 0.95, 60_000_000, 951);
  });
});
