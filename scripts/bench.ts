import { createReadStream } from "node:fs";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createGunzip, constants as zlibConstants } from "node:zlib";
import { StampedeError } from "../loadtests/vocabulary/cliErrors.ts";
import { simulateMmc } from "../mock-exchange/capacity/mmc.ts";
import { runEngineBench } from "../mock-exchange/engine/bench.ts";
import { ingestK6Csv } from "../reports/ingest.ts";
import { measureGenerator, STEP_DURATION_S } from "./benchGenerator.ts";
import { GENERATOR_COST_BENCHMARKS } from "./benchGeneratorCost.ts";
import { HEAP_SOAK_BENCHMARK } from "./benchHeap.ts";
import { HTTP_BENCHMARKS } from "./benchHttp.ts";
import { writeSyntheticK6Csv } from "./benchK6Csv.ts";
import { SOAK_BENCHMARK } from "./benchSoak.ts";
import type { Benchmark, BenchResult } from "./benchTypes.ts";
import { resolveProfile } from "./profileSource.ts";
import { round } from "./round.ts";
import { runSimulation } from "./simulate/run.ts";

/**
 * `npm run bench -- --json [NAME...]`: measures and prints figures, one JSON object per line
 * (`{"name","value","unit"}`). Benchmarks are not tests: nothing here asserts a speed.
 */

// Defined apart so benchmark modules need not import this registry; re-exported for one step.
export type { Benchmark, BenchResult } from "./benchTypes.ts";

const BENCHMARKS: Benchmark[] = [
  {
    name: "simulate_oct10_s",
    description:
      "Wall seconds of `stampede simulate --profile liquidation-cascade-2025-10-10 --strategy reactive --scale production` (8.5 simulated hours, peak 100k orders/s and 100k position reads/s), report included; also the simulation alone",
    async run() {
      const out = await mkdtemp(join(tmpdir(), "stampede-bench-"));
      try {
        const began = process.hrtime.bigint();
        const result = await runSimulation({
          profile: resolveProfile("liquidation-cascade-2025-10-10"),
          strategy: "reactive",
          scale: "production",
          seed: 1,
          method: "auto",
          outDir: out,
          log: () => {},
        });
        const totalS = Number(process.hrtime.bigint() - began) / 1e9;
        return [
          { name: "simulate_oct10_s", value: round(totalS, 2), unit: "s" },
          { name: "simulate_oct10_simulation_only_s", value: round(result.elapsedS, 2), unit: "s" },
          { name: "simulate_oct10_requests", value: result.requests, unit: "requests" },
        ];
      } finally {
        await rm(out, { recursive: true, force: true });
      }
    },
  },
  {
    name: "simulate_mmc_arrivals_per_s",
    description: "Per-request M/M/c simulation speed (WorkerPool + HDR), rho 0.8, 8 servers, 2M arrivals",
    async run() {
      const began = process.hrtime.bigint();
      const r = simulateMmc({
        servers: 8,
        arrivalRatePerS: 640,
        serviceRatePerS: 100,
        durationS: 3125,
        seed: 1,
      });
      const s = Number(process.hrtime.bigint() - began) / 1e9;
      return [{ name: "simulate_mmc_arrivals_per_s", value: Math.round(r.arrivals / s), unit: "arrivals/s" }];
    },
  },
  {
    name: "report_ingest_samples_per_s",
    description:
      "k6 csv.gz ingest (reports/ingest.ts) of a synthetic 6M-row drill file with k6's column layout and metric mix (9 http_req* rows per request, iteration rows, 429/503 rejects as in a real smoke run; gzip level 6 as Go's default); median of 3, alternating with a gunzip-only pass of the same file for the baseline",
    async run() {
      const dir = await mkdtemp(join(tmpdir(), "stampede-bench-ingest-"));
      try {
        const file = join(dir, "k6.csv.gz");
        const made = await writeSyntheticK6Csv(file, 6_000_000, 1);
        const gunzipS: number[] = [];
        const ingestS: number[] = [];
        for (let k = 0; k < 3; k++) {
          let began = process.hrtime.bigint();
          await gunzipOnly(file);
          gunzipS.push(Number(process.hrtime.bigint() - began) / 1e9);
          began = process.hrtime.bigint();
          const ingested = await ingestK6Csv([file], []);
          ingestS.push(Number(process.hrtime.bigint() - began) / 1e9);
          // A benchmark of a wrong parse is worthless: check it read the file we made.
          const rows = [...ingested.rowsByMetric.values()].reduce((a, b) => a + b, 0);
          if (rows !== made.rows || ingested.overall.latencyUs.totalCount !== made.requests)
            throw new Error(
              `ingest read ${rows} rows / ${ingested.overall.latencyUs.totalCount} requests, wrote ${made.rows} / ${made.requests}`,
            );
        }
        const ingest = median(ingestS);
        const gunzip = median(gunzipS);
        return [
          { name: "report_ingest_samples_per_s", value: Math.round(made.rows / ingest), unit: "samples/s" },
          {
            name: "report_ingest_http_requests_per_s",
            value: Math.round(made.requests / ingest),
            unit: "requests/s",
          },
          {
            name: "report_ingest_gunzip_samples_per_s",
            value: Math.round(made.rows / gunzip),
            unit: "samples/s",
          },
          { name: "report_ingest_vs_gunzip", value: round(gunzip / ingest, 3), unit: "ratio" },
          { name: "report_ingest_samples", value: made.rows, unit: "samples" },
          {
            name: "report_ingest_file_mb",
            value: round((await stat(file)).size / 1e6, 1),
            unit: "MB (gzip)",
          },
        ];
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  },
  {
    name: "engine_ops_per_s",
    description:
      "In-process matching engine (mock-exchange/engine/bench.ts): 2M operations, mix 82% modify, 9% GTC, 3% IOC, 6% cancel, ~1000 resting orders, 100 accounts, seed 1, the venue's order retention (final orders forgotten past 200,000); also p50/p99/p99.9 per operation from a separate timed pass of 1M operations",
    async run() {
      const r = runEngineBench(2_000_000, 1, 1000);
      return [
        { name: "engine_ops_per_s", value: r.opsPerS, unit: "ops/s" },
        { name: "engine_p50_us", value: round(r.p50Us, 3), unit: "us" },
        { name: "engine_p99_us", value: round(r.p99Us, 3), unit: "us" },
        { name: "engine_p999_us", value: round(r.p999Us, 3), unit: "us" },
      ];
    },
  },
  {
    name: "generator_max_rps",
    description: `Highest GET /fapi/v1/ping rate k6 (loadtests/bench/ping.ts, constant-arrival-rate, csv.gz out as a drill) sustains here: doubling from 1000 req/s, then bisection to 8%, ${STEP_DURATION_S} s steps; sustained = 0 dropped iterations and >= 97% of the target answered 200. In-process mock exchange, overprovisioned x100, weight limit 1e12/min; k6 and exchange CPU (cores) over each step's load window. Shares one run with generator_vs_wrk (wrk first)`,
    async run() {
      const m = await measureGenerator((line) => process.stderr.write(`${line}\n`));
      const out: BenchResult[] = [];
      if (m.maxRps === undefined) {
        process.stderr.write("generator_max_rps: no step was sustained\n");
        return out;
      }
      const best = m.steps.find((s) => s.targetRps === m.maxRps);
      out.push({ name: "generator_max_rps", value: m.maxRps, unit: "requests/s" });
      if (best !== undefined) {
        out.push({
          name: "generator_max_rps_achieved",
          value: Math.round(best.tally.ok / STEP_DURATION_S),
          unit: "requests/s",
        });
        if (best.tally.durationCount > 0)
          out.push({
            name: "generator_max_rps_mean_latency_ms",
            value: round(best.tally.durationMsSum / best.tally.durationCount, 3),
            unit: "ms",
          });
        if (best.window !== undefined) {
          out.push({
            name: "generator_max_rps_k6_cpu_cores",
            value: round(best.window.k6Cores, 2),
            unit: "cores",
          });
          out.push({
            name: "generator_max_rps_exchange_cpu_cores",
            value: round(best.window.exchangeCores, 2),
            unit: "cores",
          });
          out.push({
            name: "generator_max_rps_machine_busy_cores",
            value: round(best.window.hostCores, 2),
            unit: "cores",
          });
        }
      }
      // The first failed step above it: which side was out of CPU when k6 stopped keeping up.
      const failed = m.steps
        .filter((s) => !s.sustained && s.targetRps > (m.maxRps as number))
        .sort((a, b) => a.targetRps - b.targetRps)[0];
      if (failed !== undefined) {
        out.push({ name: "generator_failed_rps", value: failed.targetRps, unit: "requests/s" });
        out.push({
          name: "generator_failed_dropped_iterations",
          value: failed.tally.dropped,
          unit: "iterations",
        });
        if (failed.window !== undefined) {
          out.push({
            name: "generator_failed_k6_cpu_cores",
            value: round(failed.window.k6Cores, 2),
            unit: "cores",
          });
          out.push({
            name: "generator_failed_exchange_cpu_cores",
            value: round(failed.window.exchangeCores, 2),
            unit: "cores",
          });
          out.push({
            name: "generator_failed_machine_busy_cores",
            value: round(failed.window.hostCores, 2),
            unit: "cores",
          });
        }
      }
      out.push({ name: "generator_search_steps", value: m.steps.length, unit: "steps" });
      out.push({ name: "generator_search_s", value: round(m.searchS, 1), unit: "s" });
      return out;
    },
  },
  {
    name: "generator_vs_wrk",
    description:
      "generator_max_rps over wrk's rate (wrk -t1 -c256 -d5s: -c64 is latency-bound here) against the same in-process exchange endpoint in the same run (installs wrk with apt-get if missing); also wrk_rps and the exchange's CPU under wrk",
    async run() {
      const m = await measureGenerator((line) => process.stderr.write(`${line}\n`));
      if (m.wrk === undefined) return [];
      const out: BenchResult[] = [
        { name: "wrk_rps", value: Math.round(m.wrk.rps), unit: "requests/s" },
        { name: "wrk_exchange_cpu_cores", value: round(m.wrk.exchangeCores, 2), unit: "cores" },
      ];
      if (m.maxRps !== undefined)
        out.push({ name: "generator_vs_wrk", value: round(m.maxRps / m.wrk.rps, 3), unit: "ratio" });
      return out;
    },
  },
  HEAP_SOAK_BENCHMARK,
  ...GENERATOR_COST_BENCHMARKS,
  ...HTTP_BENCHMARKS,
  SOAK_BENCHMARK,
];

export function benchmarkNames(): string[] {
  return BENCHMARKS.map((b) => b.name);
}

export async function runBenchmarks(
  names: readonly string[],
  emit: (result: BenchResult) => void,
  log: (line: string) => void,
): Promise<void> {
  const unknown = names.filter((n) => !BENCHMARKS.some((b) => b.name === n));
  if (unknown.length > 0)
    throw new StampedeError(
      "E_USAGE",
      `unknown benchmark ${unknown.join(", ")}; known: ${benchmarkNames().join(", ")}`,
    );
  const chosen = names.length === 0 ? BENCHMARKS : BENCHMARKS.filter((b) => names.includes(b.name));
  for (const b of chosen) {
    log(`bench ${b.name}: ${b.description}`);
    for (const result of await b.run()) emit(result);
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

/** Decompresses and discards a gzip file, as reports/ingest.ts reads it: the ingest baseline. */
async function gunzipOnly(file: string): Promise<number> {
  const gunzip = createGunzip({
    finishFlush: zlibConstants.Z_SYNC_FLUSH,
    chunkSize: 1 << 18,
    readableHighWaterMark: 1 << 22,
  } as object);
  let bytes = 0;
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 }).pipe(gunzip))
    bytes += (chunk as Buffer).length;
  return bytes;
}
