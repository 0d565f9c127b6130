/**
 * A benchmark and the figures it prints, apart from the registry (scripts/bench.ts) so the
 * modules that define benchmarks (benchHttp.ts, benchSoak.ts) and the registry that lists them do
 * not import each other.
 */

export interface BenchResult {
  name: string;
  value: number;
  unit: string;
}

export interface Benchmark {
  name: string;
  description: string;
  run(): Promise<BenchResult[]>;
}
