import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { simulateMmc } from "../mock-exchange/capacity/mmc.ts";
import { StampedeError } from "./errors.ts";
import { runSimulation } from "./simulate/run.ts";

/**
 * `npm run bench -- --json [NAME...]`: measures and prints figures, one JSON object per line
 * (`{"name","value","unit"}`). Benchmarks are not tests: nothing here asserts a speed.
 */

export interface BenchResult {
  name: string;
  value: number;
  unit: string;
}

interface Benchmark {
  name: string;
  description: string;
  run(): Promise<BenchResult[]>;
}

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
          profileName: "liquidation-cascade-2025-10-10",
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

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
