import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as hdr from "hdr-histogram-js";
import { afterEach, describe, expect, it } from "vitest";
import { seededRandom } from "../../loadtests/vocabulary/random.ts";
import { readIngested } from "../../reports/hlog.ts";
import { type Histogram, ingestK6Csv, latencyHistogram } from "../../reports/ingest.ts";
import { runDrill } from "../../scripts/drill.ts";
import { ensureK6 } from "../../scripts/k6.ts";
import { resolveProfile } from "../../scripts/profileSource.ts";

/**
 * The k6 output extension in real drills: its histograms against the raw samples of the same
 * run, and its corrected latency against a venue whose stalls have a known distribution.
 */

let server: Server | undefined;
afterEach(async () => {
  if (server !== undefined) {
    server.closeAllConnections();
    await new Promise<void>((r) => server?.close(() => r()));
    server = undefined;
  }
  delete process.env.STAMPEDE_API_KEYS;
});

/** |a - b| within HDR's 3 significant digits (a bucket is at most 1/1024 of its value wide). */
function withinHdrPrecision(a: number, b: number): boolean {
  return Math.abs(a - b) <= Math.max(a, b) / 1000 + 1;
}

describe("k6 output extension in a drill", () => {
  it("agrees with the raw samples of the same run: counts exactly, percentiles within HDR precision", {
    timeout: 150_000,
  }, async () => {
    const out = mkdtempSync(join(tmpdir(), "stampede-k6out-e2e-"));
    const result = await runDrill({
      profile: resolveProfile("smoke"),
      durationS: 10,
      rateScale: 0.3,
      rawSamples: true,
      seed: 1,
      outDir: out,
      strategy: "fixed",
      k6: await ensureK6(),
      log: () => {},
      progress: "none",
    });
    expect(result.exitCode).toBe(0);
    const runDir = result.runDir;
    for (const f of ["latency.hlog", "client.jsonl", "k6.csv.gz"])
      expect(existsSync(join(runDir, f)), f).toBe(true);
    const run = JSON.parse(readFileSync(join(runDir, "run.json"), "utf8"));
    expect(run.k6.outputs).toEqual(["stampede", "csv"]);
    expect(run.k6.args).toContain(`stampede=${join(out, run.id)}`);

    const fromCsv = await ingestK6Csv([join(runDir, "k6.csv.gz")], []);
    const fromK6 = await readIngested(runDir, []);
    // Both take t0 from the same setup marker, to the µs.
    expect(fromK6.t0Us).toBe(fromCsv.t0Us);
    expect(fromK6.overall.latencyUs.totalCount).toBe(fromCsv.overall.latencyUs.totalCount);
    expect(fromK6.overall.latencyUs.totalCount).toBeGreaterThan(1000);
    for (const cls of ["order", "position", "depth"] as const)
      expect(fromK6.byClass[cls]?.latencyUs.totalCount, cls).toBe(fromCsv.byClass[cls]?.latencyUs.totalCount);
    expect(fromK6.overall.rejected).toEqual(fromCsv.overall.rejected);
    expect([...fromK6.byEndpoint.keys()].sort()).toEqual([...fromCsv.byEndpoint.keys()].sort());
    expect(fromK6.staleChecked).toBe(fromCsv.staleChecked);
    expect(fromK6.staleReads).toBe(fromCsv.staleReads);
    expect(fromK6.droppedIterations).toBe(fromCsv.droppedIterations);
    for (const p of [50, 90, 99, 99.9, 100]) {
      const a = fromCsv.overall.latencyUs.getValueAtPercentile(p);
      const b = fromK6.overall.latencyUs.getValueAtPercentile(p);
      expect(withinHdrPrecision(a, b), `p${p}: csv ${a} µs, extension ${b} µs`).toBe(true);
    }
    // The summary is the extension's, with lateness measured and corrected latency beside k6's.
    expect(result.summary.requests).toBe(fromCsv.overall.latencyUs.totalCount);
    expect(result.summary.generator.lateMs).not.toBeNull();
    expect(result.summary.correctedLatencyMs?.p50).toBeGreaterThanOrEqual(result.summary.latencyMs.p50);
  });
});

/**
 * A loopback venue that answers every request at once, except that for S ms after each stall
 * start it holds every response until the stall ends. Stalls start on average every P ms, each
 * gap drawn uniformly from P +- J (seeded). The jitter matters: the drill's arrivals are a
 * lattice (a constant rate sends one every 1/r s), and against a strictly periodic stall the
 * same phases recur in every period, so the longest wait is S minus wherever the lattice
 * happens to fall (178 ms instead of 199 in one CI run). Jittered gaps move the lattice's phase
 * in every period while keeping the share of time at each age since a stall start what the
 * analytic quantiles assume: for a stationary renewal process whose gaps are all longer than
 * S, the age is below y for a fraction y / P of the time.
 */
function startFreezingServer(stallMs: number, periodMs: number, jitterMs: number): Promise<string> {
  const startMs = Date.now();
  const random = seededRandom(7);
  // Stall starts in ms since startMs, drawn ahead for a minute; the first at a random phase.
  const stallStartsMs: number[] = [random() * periodMs];
  while ((stallStartsMs.at(-1) as number) < 60_000)
    stallStartsMs.push((stallStartsMs.at(-1) as number) + periodMs + (2 * random() - 1) * jitterMs);
  let nextStall = 0;
  /** ms since the latest stall start at nowMs (Infinity before the first); time only moves on. */
  const ageOfStallMs = (nowMs: number): number => {
    while (nextStall < stallStartsMs.length && (stallStartsMs[nextStall] as number) <= nowMs) nextStall++;
    return nextStall === 0 ? Number.POSITIVE_INFINITY : nowMs - (stallStartsMs[nextStall - 1] as number);
  };
  let orderId = 0;
  const body = (req: IncomingMessage): string => {
    const path = (req.url ?? "/").split("?")[0] as string;
    if (path === "/fapi/v1/depth") return '{"lastUpdateId":1,"bids":[["100.0","5"]],"asks":[["100.1","5"]]}';
    if (path === "/fapi/v2/positionRisk") return "[]";
    if (path === "/fapi/v1/order" && req.method === "POST")
      return JSON.stringify({ orderId: ++orderId, status: "NEW", executedQty: "0", updateTime: Date.now() });
    return "{}";
  };
  const srv = createServer((req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    req.on("end", () => {
      if ((req.url ?? "").startsWith("/__stampede/")) {
        res.writeHead(404).end(); // no control plane: a venue of its own
        return;
      }
      const text = body(req);
      const send = () => res.writeHead(200, { "Content-Type": "application/json" }).end(text);
      const ageMs = ageOfStallMs(Date.now() - startMs);
      if (ageMs < stallMs) setTimeout(send, stallMs - ageMs);
      else send();
    });
  });
  server = srv;
  return new Promise((resolve) =>
    srv.listen(0, "127.0.0.1", () => resolve(`http://127.0.0.1:${(srv.address() as AddressInfo).port}`)),
  );
}

describe("corrected latency against a venue that freezes", () => {
  /*
   * Arrivals are scheduled by the profile, not by the venue's clock, and the stalls' gaps are
   * jittered, so a request's age u since the latest stall start is uniform on [0, P) over the
   * run (see startFreezingServer). One arriving at u < S waits S - u for the stall to end; the others are answered at once (a base latency e of a ms or two on loopback). So
   * P(L > x) = (S - x) / P for 0 <= x <= S, and the p-quantile is x_p = S - (1 - p) P for
   * p >= 1 - S/P, about e below. With S = 200 ms, P = 1000 ms: p50 ~ e, p90 = 100 ms,
   * p99 = 190 ms, p99.9 = 199 ms. An empirical quantile of n samples has a standard error of
   * sqrt(p (1 - p) / n) P in the uniform part (density 1/P); the tolerance is 4 of those plus
   * 10 ms for e and timer granularity. Corrected latency is lateness + wait, and lateness does
   * not change the uniform phase, so the quantiles lie between x_p and x_p + the generator's
   * own lateness: the upper bound also allows the run's measured p99 lateness (a few ms on a
   * quiet machine, more when the two cores are shared with other work).
   * Only position and depth reads are checked: each of their iterations sends one request on
   * schedule, while an order's read-back follows its order and so is not on the schedule.
   */
  it("matches the analytic percentiles of a stall of S ms every P ms", { timeout: 150_000 }, async () => {
    const stallMs = 200;
    const periodMs = 1000;
    const url = await startFreezingServer(stallMs, periodMs, 250);
    process.env.STAMPEDE_API_KEYS = Array.from({ length: 8 }, (_, i) => `key${i}:secret${i}`).join(",");
    const out = mkdtempSync(join(tmpdir(), "stampede-freeze-e2e-"));
    const result = await runDrill({
      profile: resolveProfile("soak"), // a short ramp to 3x, then a constant rate
      durationS: 20,
      seed: 1,
      outDir: out,
      strategy: "fixed",
      target: { url, iOwnThisTarget: false, maxRps: undefined },
      k6: await ensureK6(),
      log: () => {},
      progress: "none",
    });
    expect(result.exitCode).toBe(0);
    const hlog = readFileSync(join(result.runDir, "latency.hlog"), "utf8");
    const reads = correctedOf(hlog, ["position", "depth"]);
    const n = reads.totalCount;
    expect(n).toBeGreaterThan(400);
    const lateP99Ms = result.summary.generator.lateMs?.p99 ?? Number.NaN;
    expect(lateP99Ms).toBeGreaterThanOrEqual(0);
    const gotMs = (p: number) => reads.getValueAtPercentile(p) / 1000;
    // Printed so a CI log shows how close a run came to the bounds.
    console.log(
      `freezing venue, ${n} reads: p90 ${gotMs(90)}, p99 ${gotMs(99)}, p99.9 ${gotMs(99.9)} ms ` +
        `(analytic 100, 190, 199); lateness p99 ${lateP99Ms} ms`,
    );
    for (const [p, expectedMs] of [
      [90, 100],
      [99, 190],
      [99.9, 199],
    ] as const) {
      const q = p / 100;
      const toleranceMs = 4 * Math.sqrt((q * (1 - q)) / n) * periodMs + 10;
      const range = `p${p}: ${gotMs(p)} ms, expected ${expectedMs} - ${toleranceMs} .. + ${toleranceMs} + ${lateP99Ms}`;
      expect(gotMs(p), range).toBeGreaterThanOrEqual(expectedMs - toleranceMs);
      expect(gotMs(p), range).toBeLessThanOrEqual(expectedMs + toleranceMs + lateP99Ms);
    }
    // Below 1 - S/P = 0.8 the venue answers at once.
    expect(gotMs(50)).toBeLessThan(15);
    // The share of stalled reads is S/P: the 20 ms line lies between the 75th and 85th percentiles.
    expect(gotMs(75)).toBeLessThan(20);
    expect(gotMs(85)).toBeGreaterThan(20);
  });
});

/** The run's corrected latencies (µs) of the given classes, from the log's Tag=corrected=<class>. */
function correctedOf(hlogText: string, classes: readonly string[]): Histogram {
  const merged = latencyHistogram();
  // The reporter merges corrected latency over classes; here each class's own intervals.
  const perClass = hlogText
    .split("\n")
    .filter((l) => classes.some((c) => l.startsWith(`Tag=corrected=${c},`)))
    .join("\n");
  const header = hlogText
    .split("\n")
    .filter((l) => l.startsWith("#") || l.startsWith('"'))
    .join("\n");
  const reader = readHlog(`${header}\n${perClass}\n`);
  for (const h of reader) merged.add(h);
  return merged;
}

function readHlog(text: string): hdr.Histogram[] {
  const reader = new hdr.HistogramLogReader(text, 32);
  const out: hdr.Histogram[] = [];
  for (let h = reader.nextIntervalHistogram(); h !== null; h = reader.nextIntervalHistogram()) out.push(h);
  return out;
}
