import { describe, expect, it } from "vitest";
import {
  COLLECTOR_MAX_CORE_SHARE,
  K6_CPU_US_PER_REQUEST,
  k6Collector,
  MOCK_EXCHANGE_CPU_US_PER_REQUEST,
  predictedCoreShare,
} from "../../scripts/k6Collector.ts";

const GIB = 2 ** 30;
/** Requests per second that put a load at exactly `share` of 2 cores with the mock on the machine. */
const rpsAtShare = (share: number) =>
  (share * 2 * 1e6) / (K6_CPU_US_PER_REQUEST + MOCK_EXCHANGE_CPU_US_PER_REQUEST);

describe("whether a drill's k6 collects garbage", () => {
  const machine = { venueOnMachine: true, cores: 2, availableMemoryBytes: 20 * GIB, generators: 1 };

  it("predicts the peak's share of the cores from k6's and the mock's CPU per request", () => {
    expect(predictedCoreShare({ ...machine, peakRequestsPerS: 2000 })).toBeCloseTo(
      (2000 * (K6_CPU_US_PER_REQUEST + MOCK_EXCHANGE_CPU_US_PER_REQUEST)) / 1e6 / 2,
    );
    // A venue elsewhere costs this machine nothing.
    expect(predictedCoreShare({ ...machine, venueOnMachine: false, peakRequestsPerS: 2000 })).toBeCloseTo(
      (2000 * K6_CPU_US_PER_REQUEST) / 1e6 / 2,
    );
  });

  it("leaves Go's collector on while the cores have room for its bursts", () => {
    const c = k6Collector({ ...machine, peakRequestsPerS: rpsAtShare(COLLECTOR_MAX_CORE_SHARE) }, {});
    expect(c.mode).toBe("paced");
    expect(c.env).toEqual({});
    expect(c.memoryLimitMiB).toBeNull();
  });

  it("turns it off under a memory limit, shared between the generators, when they have none", () => {
    const peakRequestsPerS = rpsAtShare(COLLECTOR_MAX_CORE_SHARE + 0.01);
    const one = k6Collector({ ...machine, peakRequestsPerS }, {});
    expect(one.mode).toBe("off");
    expect(one.memoryLimitMiB).toBe(10 * 1024);
    expect(one.env).toEqual({ GOGC: "off", GOMEMLIMIT: "10240MiB" });
    const four = k6Collector({ ...machine, generators: 4, peakRequestsPerS }, {});
    expect(four.env).toEqual({ GOGC: "off", GOMEMLIMIT: "2560MiB" });
  });

  it("obeys the caller's GOGC or GOMEMLIMIT, whatever the load", () => {
    const busy = { ...machine, peakRequestsPerS: rpsAtShare(0.9) };
    // Passed on as given, so run.json records what k6 ran with.
    expect(k6Collector(busy, { GOGC: "200" })).toMatchObject({ mode: "caller", env: { GOGC: "200" } });
    expect(k6Collector(busy, { GOGC: "", GOMEMLIMIT: "1GiB" })).toMatchObject({
      mode: "caller",
      env: { GOMEMLIMIT: "1GiB" },
    });
    // Empty is unset, as Go reads it.
    expect(k6Collector(busy, { GOGC: "", GOMEMLIMIT: "" }).mode).toBe("off");
  });
});
