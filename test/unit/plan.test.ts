import { describe, expect, it } from "vitest";
import { multipleAt, naturalDurationS, planDrill, validateProfile } from "../../loadtests/lib/plan.ts";
import { smoke } from "../../loadtests/profiles/smoke.ts";
import type { Profile } from "../../loadtests/profiles/types.ts";
import { rejectReason } from "../../loadtests/vocabulary/traffic.ts";

describe("profiles and the drill plan", () => {
  it("smoke is valid and spans one natural hour (one wall minute at its time scale)", () => {
    expect(validateProfile(smoke)).toEqual([]);
    expect(naturalDurationS(smoke)).toBe(3_600);
    expect(planDrill(smoke, { timeScale: 60, requestBudgetS: 1 }).durationS).toBe(60);
  });

  it("compresses phases by the time scale and turns multiples into arrival rates per minute", () => {
    const plan = planDrill(smoke, { timeScale: 60, requestBudgetS: 1 });
    expect(plan.phases.map((p) => [p.name, p.startS, p.endS])).toEqual([
      ["normal", 0, 10],
      ["ramp", 10, 15],
      ["burst", 15, 40],
      ["recover", 40, 45],
      ["after", 45, 60],
    ]);
    const order = plan.classes.order;
    expect(order.startRatePerMin).toBe(6 * 60);
    expect(order.stages[1]).toEqual({ target: 6 * 60 * 100, duration: "5000ms" });
    expect(order.peakRatePerS).toBe(600);
    // A trader's iteration sends 1.497 requests on average (an order, and a read-back after a fill).
    expect(order.preAllocatedVUs).toBe(Math.ceil(600 * 1 * 1.497142857142857 * 1.1));
  });

  it("inserts an instant step where a phase starts at another multiple than the last ended", () => {
    const steps: Profile = {
      ...smoke,
      phases: [
        { name: "a", durationS: 60, from: 1, to: 1 },
        { name: "b", durationS: 60, from: 50, to: 50 },
      ],
    };
    const plan = planDrill(steps, { timeScale: 1, requestBudgetS: 1 });
    expect(plan.classes.depth.stages).toEqual([
      { target: 240, duration: "60000ms" },
      { target: 12_000, duration: "0s" },
      { target: 12_000, duration: "60000ms" },
    ]);
    expect(multipleAt(plan.phases, 30)).toBe(1);
    expect(multipleAt(plan.phases, 90)).toBe(50);
  });

  it("rejects bad profiles with messages that name the field", () => {
    const bad = {
      ...smoke,
      clients: 0,
      normalRatePerS: { ...smoke.normalRatePerS, order: -1, bogus: 3 },
      phases: [{ name: "x", durationS: 0, from: -2, to: 1 }],
    } as unknown as Profile;
    const problems = validateProfile(bad).join("\n");
    expect(problems).toMatch(/normalRatePerS: unknown class "bogus"/);
    expect(problems).toMatch(/normalRatePerS.order must be a number >= 0/);
    expect(problems).toMatch(/clients must be an integer >= 1/);
    expect(problems).toMatch(/phases\[0\] \(x\): durationS must be > 0/);
    expect(problems).toMatch(/phases\[0\] \(x\): from and to must be multiples >= 0/);
  });
});

describe("reject reasons (shared by k6 and the exchange's timeline)", () => {
  it("classifies by status and, for 503, by the dialect's code", () => {
    expect(rejectReason(200, undefined, "order")).toBeUndefined();
    expect(rejectReason(429, -1003, "position")).toBe("rate_limited");
    expect(rejectReason(418, undefined, "position")).toBe("banned");
    expect(rejectReason(503, -1008, "order")).toBe("overloaded");
    expect(rejectReason(503, -1007, "order")).toBe("timeout");
    expect(rejectReason(408, undefined, "depth")).toBe("timeout");
    expect(rejectReason(400, -2011, "order")).toBe("order_rejected");
    expect(rejectReason(400, -1102, "depth")).toBe("error");
    expect(rejectReason(0, undefined, "depth")).toBe("error");
    // A redirect is never followed: the target's error, not a served request.
    expect(rejectReason(307, undefined, "order")).toBe("error");
    expect(rejectReason(301, undefined, "position")).toBe("error");
    expect(rejectReason(204, undefined, "order")).toBeUndefined();
  });
});
