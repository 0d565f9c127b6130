import { describe, expect, it } from "vitest";
import { parseGateConfig } from "../../reports/gate.ts";
import { k6SummaryPath, k6ThresholdExpression, withK6Thresholds } from "../../reports/gateK6Thresholds.ts";

function code(f: () => unknown): string | undefined {
  try {
    f();
  } catch (err) {
    return (err as { code?: string }).code;
  }
  return undefined;
}

describe("gate: k6 threshold syntax", () => {
  it("maps metrics, aggregations and tag selectors to summary paths", () => {
    expect(k6SummaryPath("http_req_duration", "p(99)")).toBe("latencyMs.p99");
    expect(k6SummaryPath("http_req_duration", "p(99.9)")).toBe("latencyMs.p999");
    expect(k6SummaryPath("http_req_duration", "p(95)")).toBe("latencyMs.p95");
    expect(k6SummaryPath("http_req_duration", "avg")).toBe("latencyMs.mean");
    expect(k6SummaryPath("http_req_duration", "med")).toBe("latencyMs.p50");
    expect(k6SummaryPath("http_req_duration{class:order}", "max")).toBe("byClass.order.latencyMs.max");
    expect(k6SummaryPath("http_req_duration{phase:burst}", "p(90)")).toBe("byPhase[burst].latencyMs.p90");
    expect(k6SummaryPath("http_req_duration{phase:burst, expected_response:true}", "p(99)")).toBe(
      "byPhase[burst].served.latencyMs.p99",
    );
    expect(k6SummaryPath("http_req_duration{outcome:served}", "p(99)")).toBe("served.latencyMs.p99");
    expect(k6SummaryPath("http_req_failed", "rate")).toBe("rejected.rate");
    expect(k6SummaryPath("dropped_iterations", "count")).toBe("droppedIterations");
    expect(k6SummaryPath("http_reqs{phase:burst}", "count")).toBe("byPhase[burst].requests");
    expect(k6SummaryPath("stampede_rejects{outcome:capacity}", "rate")).toBe("rejected.capacity.rate");
    expect(k6SummaryPath("stampede_rejects{outcome:policy}", "count")).toBe("rejected.policy.total");
    expect(k6SummaryPath("stampede_rejects{reason:banned}", "count")).toBe("rejected.byReason.banned");
  });

  it("writes one gate expression per k6 threshold, === as ==, objects with threshold too", () => {
    expect(k6ThresholdExpression("http_req_duration", "p(99)<400")).toBe("latencyMs.p99 < 400");
    expect(k6ThresholdExpression("dropped_iterations", "count===0")).toBe("droppedIterations == 0");
    expect(k6ThresholdExpression("http_req_failed", { threshold: "rate <= 0.01", abortOnFail: true })).toBe(
      "rejected.rate <= 0.01",
    );
  });

  it("turns a k6-style config into the gate's own, which evaluates like any other", () => {
    const config = parseGateConfig({
      thresholds: {
        http_req_duration: ["p(99)<400", "p(95)<300", "avg<200"],
        http_req_failed: ["rate<0.01"],
        dropped_iterations: ["count==0"],
      },
    });
    expect(config.thresholds.map((t) => t.expr)).toEqual([
      "latencyMs.p99 < 400",
      "latencyMs.p95 < 300",
      "latencyMs.mean < 200",
      "rejected.rate < 0.01",
      "droppedIterations == 0",
    ]);
    // Arrays (the gate's own syntax) pass through untouched.
    const own = { thresholds: ["rejected.rate < 0.1"] };
    expect(withK6Thresholds(own)).toBe(own);
  });

  it("refuses what has no summary figure with E_BAD_GATE_CONFIG", () => {
    for (const [metric, t] of [
      ["http_req_duration", "min<10"],
      ["http_req_duration", "p(42)<10"],
      ["http_req_duration{method:GET}", "p(99)<10"],
      ["http_req_duration{class:order,phase:burst}", "p(99)<10"],
      ["http_req_duration{expected_response:false}", "p(99)<10"],
      ["http_req_waiting", "p(99)<10"],
      ["http_req_failed", "count<10"],
      ["dropped_iterations", "rate<1"],
      ["stampede_rejects{outcome:served}", "rate<1"],
      ["http_req_duration", "p(99)"],
      ["http_req_duration{class}", "p(99)<1"],
    ] as const)
      expect(code(() => parseGateConfig({ thresholds: { [metric]: [t] } }))).toBe("E_BAD_GATE_CONFIG");
    expect(code(() => parseGateConfig({ thresholds: { http_req_duration: ["p(99)<4ms"] } }))).toBe(
      "E_BAD_GATE_CONFIG",
    );
    expect(code(() => parseGateConfig({ thresholds: { http_req_duration: [42] } }))).toBe(
      "E_BAD_GATE_CONFIG",
    );
  });
});
