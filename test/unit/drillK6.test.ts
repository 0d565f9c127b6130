import { describe, expect, it } from "vitest";
import { k6GoMaxProcs, k6Outputs } from "../../scripts/drillK6.ts";

describe("how a drill runs k6", () => {
  it("gives k6 one P more than the cores (timers wait out idle GC workers otherwise), unless the caller set GOMAXPROCS", () => {
    expect(k6GoMaxProcs(2, undefined)).toBe("3");
    expect(k6GoMaxProcs(1.5, undefined)).toBe("3");
    expect(k6GoMaxProcs(0.5, undefined)).toBe("2");
    expect(k6GoMaxProcs(8, undefined)).toBe("9");
    expect(k6GoMaxProcs(2, "1")).toBe("1");
    expect(k6GoMaxProcs(2, "12")).toBe("12");
    // Not a count: ignored, as Go itself ignores it.
    expect(k6GoMaxProcs(2, "")).toBe("3");
    expect(k6GoMaxProcs(2, "two")).toBe("3");
    expect(k6GoMaxProcs(2, "0")).toBe("3");
  });

  it("writes the extension's aggregates, the raw csv only when asked, and the csv alone without the extension", () => {
    expect(k6Outputs(true, false)).toEqual(["stampede"]);
    expect(k6Outputs(true, true)).toEqual(["stampede", "csv"]);
    expect(k6Outputs(false, false)).toEqual(["csv"]);
  });
});
