import { describe, expect, it } from "vitest";
import {
  type CpuSample,
  emptyTally,
  isSustained,
  K6CsvCounter,
  loadWindow,
  maxSustained,
  nextRate,
  parseWrkRps,
  procStatHostTicks,
  procStatTicks,
  SEARCH_DEFAULTS,
  type StepOutcome,
  vusForRate,
} from "../../scripts/benchGenerator.ts";

/** Runs the search against a machine that sustains exactly `capacity` req/s. */
function search(capacity: number): { history: StepOutcome[]; answer: number | undefined } {
  const history: StepOutcome[] = [];
  for (let i = 0; i < 50; i++) {
    const rate = nextRate(history);
    if (rate === undefined) break;
    history.push({ targetRps: rate, sustained: rate <= capacity });
  }
  return { history, answer: maxSustained(history) };
}

describe("rate search", () => {
  it("doubles from the start rate, then bisects to the resolution", () => {
    const { history, answer } = search(5_300);
    expect(history.map((h) => h.targetRps).slice(0, 4)).toEqual([1_000, 2_000, 4_000, 8_000]);
    expect(answer).toBeDefined();
    expect(answer as number).toBeLessThanOrEqual(5_300);
    expect(answer as number).toBeGreaterThan(5_300 * (1 - 2 * SEARCH_DEFAULTS.resolution));
    expect(history.length).toBeLessThanOrEqual(9);
    expect(new Set(history.map((h) => h.targetRps)).size).toBe(history.length);
  });

  it("halves when even the start rate fails and gives up below the minimum", () => {
    const { history, answer } = search(300);
    expect(history.map((h) => h.targetRps).slice(0, 3)).toEqual([1_000, 500, 250]);
    expect(answer as number).toBeLessThanOrEqual(300);
    expect(search(10).answer).toBeUndefined();
  });

  it("stops doubling at the maximum rate", () => {
    const { history, answer } = search(Number.POSITIVE_INFINITY);
    expect(Math.max(...history.map((h) => h.targetRps))).toBe(SEARCH_DEFAULTS.maxRps);
    expect(answer).toBe(SEARCH_DEFAULTS.maxRps);
  });

  it("tolerates a noisy, non-monotonic outcome", () => {
    const history: StepOutcome[] = [
      { targetRps: 1_000, sustained: true },
      { targetRps: 2_000, sustained: false },
      { targetRps: 1_500, sustained: true },
      { targetRps: 4_000, sustained: true },
    ];
    expect(maxSustained(history)).toBe(1_500);
    const next = nextRate(history) as number;
    expect(next).toBeGreaterThan(1_500);
    expect(next).toBeLessThan(2_000);
  });
});

describe("step accounting", () => {
  const header =
    "metric_name,timestamp,metric_value,error_code,expected_response,method,name,scenario,status,extra_tags,metadata";

  it("counts requests, 200s, dropped iterations and durations from k6 csv rows", () => {
    const c = new K6CsvCounter();
    for (const line of [
      header,
      "http_reqs,1795460056000000,1.000000,,true,GET,ping,ping,200,,",
      "http_req_duration,1795460056000000,1.500000,,true,GET,ping,ping,200,,",
      "http_reqs,1795460056000000,1.000000,1211,false,GET,ping,ping,0,,",
      "http_req_duration,1795460056000000,2.500000,1211,false,GET,ping,ping,0,,",
      "iterations,1795460056000000,1.000000,,,,,ping,,,",
      "dropped_iterations,1795460056000000,3.000000,,,,,ping,,,",
      "dropped_iterations,1795460057000000,2.000000,,,,,ping,,,",
      "vus,1795460057000000,10.000000,,,,,,,,",
      "",
    ])
      c.line(line);
    expect(c.tally).toEqual({
      httpReqs: 2,
      ok: 1,
      dropped: 5,
      iterations: 1,
      durationMsSum: 4,
      durationCount: 2,
    });
  });

  it("refuses a file that is not a k6 csv", () => {
    expect(() => new K6CsvCounter().line("a,b,c")).toThrow(/not a k6 csv header/);
  });

  it("calls a step sustained only with no drops and >= 97% of the target served", () => {
    const t = { ...emptyTally(), ok: 5_820 };
    expect(isSustained(1_000, 6, t)).toBe(true);
    expect(isSustained(1_000, 6, { ...t, ok: 5_810 })).toBe(false);
    expect(isSustained(1_000, 6, { ...t, dropped: 1 })).toBe(false);
  });

  it("sizes VUs from rate x latency x headroom, with a floor", () => {
    expect(vusForRate(6_000)).toBe(900);
    expect(vusForRate(10)).toBe(32);
    expect(vusForRate(1_000, 10, 2)).toBe(32);
    expect(vusForRate(10_000, 10, 2)).toBe(200);
  });
});

describe("parsing tools' output", () => {
  it("reads wrk's Requests/sec", () => {
    const out =
      "Running 5s test @ http://127.0.0.1:1/fapi/v1/ping\n  1 threads and 64 connections\nRequests/sec:  22251.90\nTransfer/sec:      4.29MB\n";
    expect(parseWrkRps(out)).toBeCloseTo(22_251.9, 3);
    expect(parseWrkRps("unable to connect")).toBeUndefined();
  });

  it("reads utime + stime from /proc/<pid>/stat, comm with spaces and parentheses", () => {
    const stat = "4242 (k6 (x) y) S 1 4242 4242 0 -1 4194304 100 0 0 0 350 41 0 0 20 0 9 0 123 0 0";
    expect(procStatTicks(stat)).toBe(391);
    expect(procStatTicks("garbage")).toBeUndefined();
  });

  it("reads machine-wide busy and steal ticks from /proc/stat", () => {
    const stat = "cpu  100 5 50 1000 7 3 2 40 0 0\ncpu0 50 2 25 500 3 1 1 20 0 0\n";
    expect(procStatHostTicks(stat)).toEqual({ busy: 200, steal: 40 });
    expect(procStatHostTicks("intr 1 2 3")).toBeUndefined();
  });

  it("takes CPU over the load window only, without the partial first and last intervals", () => {
    const samples: CpuSample[] = [];
    // k6 starting (1 core, nothing served), then 10 polls of load (k6 0.5 cores, exchange 0.25), then idle.
    let k6 = 0;
    let ex = 0;
    let served = 0;
    for (let i = 0; i <= 20; i++) {
      const loading = i >= 5 && i < 15;
      samples.push({ tMs: i * 200, k6CpuS: k6, exchangeCpuS: ex, served, hostBusyS: k6 + ex });
      k6 += loading ? 0.1 : 0.2;
      ex += loading ? 0.05 : 0;
      served += loading ? 1_000 : 0;
    }
    const w = loadWindow(samples);
    expect(w).toBeDefined();
    expect(w?.k6Cores).toBeCloseTo(0.5, 6);
    expect(w?.exchangeCores).toBeCloseTo(0.25, 6);
    expect(w?.servedPerS).toBeCloseTo(5_000, 6);
    expect(w?.hostCores).toBeCloseTo(0.75, 6);
    expect(loadWindow(samples.slice(0, 7))).toBeUndefined();
  });

  it("leaves out a warm-up at the start of the load (a drill VU's first iteration builds its session)", () => {
    const samples: CpuSample[] = [];
    // Load from poll 2 to 30; its first 5 polls (1 s) cost k6 a full core, then 0.5.
    let k6 = 0;
    let served = 0;
    for (let i = 0; i <= 32; i++) {
      samples.push({ tMs: i * 200, k6CpuS: k6, exchangeCpuS: 0, served, hostBusyS: k6 });
      const loading = i >= 2 && i < 30;
      k6 += !loading ? 0 : i < 7 ? 0.2 : 0.1;
      served += loading ? 1_000 : 0;
    }
    expect(loadWindow(samples)?.k6Cores).toBeGreaterThan(0.55);
    const w = loadWindow(samples, 1_000);
    expect(w?.k6Cores).toBeCloseTo(0.5, 6);
    expect(w?.servedPerS).toBeCloseTo(5_000, 6);
    // A warm-up as long as the load leaves nothing to measure.
    expect(loadWindow(samples, 60_000)).toBeUndefined();
  });
});
