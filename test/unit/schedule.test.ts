import { describe, expect, it } from "vitest";
import { planDrill } from "../../loadtests/lib/plan.ts";
import { ArrivalSchedule, durationMs } from "../../loadtests/lib/schedule.ts";
import { PROFILES } from "../../loadtests/profiles/index.ts";

/**
 * The scheduled start of the n-th iteration of a ramping-arrival-rate scenario: the time at
 * which the integral of the rate reaches n + 1 (k6's own rule, see loadtests/lib/schedule.ts).
 */
describe("arrival schedule", () => {
  it("reads k6 durations", () => {
    expect([durationMs("1500ms"), durationMs("0s"), durationMs("2m"), durationMs("1.5s")]).toEqual([
      1500, 0, 120_000, 1500,
    ]);
    expect(() => durationMs("10")).toThrow(/not a k6 duration/);
  });

  it("starts iteration n at (n + 1) / rate at a constant rate", () => {
    const s = new ArrivalSchedule(120, [{ target: 120, duration: "10s" }]); // 2/s
    expect(s.total).toBe(20);
    expect(s.offsetMs(0)).toBeCloseTo(500, 9);
    expect(s.offsetMs(19)).toBeCloseTo(10_000, 9);
    expect(s.offsetMs(20)).toBeNaN();
  });

  it("follows the integral through a linear ramp and across stages", () => {
    // 0 -> 120/min (2/s) over 10 s: integral 0.1 t^2, so event k at sqrt(10 k) s; 10 events.
    // Then a jump to 6/s for 5 s: event 10 + k at 10 s + k/6 s.
    const s = new ArrivalSchedule(0, [
      { target: 120, duration: "10s" },
      { target: 360, duration: "0s" },
      { target: 360, duration: "5s" },
    ]);
    expect(s.total).toBeCloseTo(40, 9);
    for (let k = 1; k <= 10; k++) expect(s.offsetMs(k - 1)).toBeCloseTo(Math.sqrt(10 * k) * 1000, 6);
    for (let k = 1; k <= 30; k++) expect(s.offsetMs(9 + k)).toBeCloseTo(10_000 + (k * 1000) / 6, 6);
    // Out of order (another VU, or a segment's stride) looks the stage up again.
    expect(s.offsetMs(0)).toBeCloseTo(Math.sqrt(10) * 1000, 6);
  });

  it("matches the plan k6 runs: the last iteration is scheduled inside the drill", () => {
    const plan = planDrill(PROFILES.smoke as NonNullable<(typeof PROFILES)["smoke"]>, {
      timeScale: 60,
      iterationBudgetS: 0.8,
    });
    for (const cls of ["order", "position", "depth"] as const) {
      const p = plan.classes[cls];
      const s = new ArrivalSchedule(p.startRatePerMin, p.stages);
      const last = Math.floor(s.total) - 1;
      expect(s.offsetMs(last)).toBeLessThanOrEqual(plan.durationS * 1000 + 1e-6);
      // Monotone: a later iteration is never scheduled earlier.
      let prev = -1;
      for (let n = 0; n <= last; n += Math.max(1, Math.floor(last / 500))) {
        const t = s.offsetMs(n);
        expect(t).toBeGreaterThanOrEqual(prev);
        prev = t;
      }
    }
  });
});
