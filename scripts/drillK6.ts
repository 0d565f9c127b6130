import { join } from "node:path";

/**
 * How a drill invokes k6: its outputs, its environment, and each generator's command line
 * (execution segment, output files). Pure: nothing here starts a process (drillSignals.ts does).
 */

/** Only these k6 system tags go into the CSV: enough to attribute a sample, far fewer bytes. */
export const K6_SYSTEM_TAGS = "status,method,name,scenario,expected_response,error_code";

/** k6 runs offline (no usage report, no extension downloads) and writes microsecond timestamps, which the ingest reads. */
export const K6_ENV = {
  K6_CSV_TIME_FORMAT: "unix_micro",
  // The script says maxRedirects: 0 too; the variable outranks the script's options, so a
  // K6_MAX_REDIRECTS in the caller's environment is overridden here rather than obeyed.
  K6_MAX_REDIRECTS: "0",
  K6_NO_USAGE_REPORT: "true",
  K6_AUTO_EXTENSION_RESOLUTION: "false",
} as const;

/**
 * GOMAXPROCS for a k6 process: the caller's when set, else one more than the machine's cores.
 *
 * Why: while Go collects garbage, its idle mark workers take every idle P and give it back for
 * runnable goroutines and network events, but not for expired timers (runtime `pollWork`;
 * golang/go#45632, "timer gets significantly delayed during long time GC"), and k6's arrival-rate
 * executor starts iterations from a timer. With as many Ps as cores each collection held the
 * schedule up to a scheduler quantum (10 ms): the default drill's iterations started with a
 * lateness p99 of 16-21 ms against a trivial responder at GOMAXPROCS=2 on 2 cores, 6 ms at 3 and
 * 5 ms at 4 (4 cost a fifth more CPU; GOGC=off, no collection at all, 4 ms), docs/facts.md "k6".
 */
export function k6GoMaxProcs(cores: number, inherited: string | undefined): string {
  if (inherited !== undefined && /^[1-9][0-9]*$/.test(inherited)) return inherited;
  return String(Math.max(1, Math.ceil(cores)) + 1);
}

/**
 * k6's outputs for a drill: the stampede extension's aggregates, plus the raw csv when asked;
 * the csv alone when k6 lacks the extension.
 */
export function k6Outputs(extension: boolean, rawSamples: boolean): Array<"stampede" | "csv"> {
  if (!extension) return ["csv"];
  return rawSamples ? ["stampede", "csv"] : ["stampede"];
}

/** One generator's share of the test: k6's --execution-segment and the shared sequence. */
export interface ExecutionSegment {
  segment: string;
  sequence: string;
}

/** N equal execution segments covering 0..1 (none for one generator: it runs the whole test). */
export function executionSegments(n: number): ExecutionSegment[] {
  if (n <= 1) return [];
  const at = (i: number) => (i === 0 ? "0" : i === n ? "1" : `${i}/${n}`);
  const sequence = Array.from({ length: n + 1 }, (_, i) => at(i)).join(",");
  return Array.from({ length: n }, (_, i) => ({ segment: `${at(i)}:${at(i + 1)}`, sequence }));
}

/** One k6 process as run.json records it; exit code, CPU and memory are filled in as it runs. */
export interface GeneratorRecord {
  index: number;
  segment: string;
  args: string[];
  csv: string | null;
  log: string;
  exitCode: number | null;
  cpuSeconds: number;
  rssMbMax: number;
}

/** What the k6 command lines are made of. */
export interface K6Invocation {
  runDir: string;
  generators: number;
  outputs: Array<"stampede" | "csv">;
  /** Generator i's extra arguments (k6Ecosystem.ts `k6Extras`). */
  extraArgs: (i: number) => string[];
  baseUrl: string;
  /** The bundled script and the plan it runs (drillBundle.ts), both in the run folder. */
  scriptPath: string;
  planPath: string;
}

/** The records (and with them the command lines) of the drill's k6 processes. */
export function generatorRecords(k6: K6Invocation): GeneratorRecord[] {
  const segments = executionSegments(k6.generators);
  // One generator keeps the historical file names (k6.csv.gz, k6.log); N write k6-<i>.*.
  const fileOf = (i: number, ext: string) => (k6.generators === 1 ? `k6.${ext}` : `k6-${i}.${ext}`);
  return Array.from({ length: k6.generators }, (_, i) => ({
    index: i,
    segment: segments[i]?.segment ?? "0:1",
    args: k6Args(k6, i, segments[i], fileOf(i, "csv.gz")),
    csv: k6.outputs.includes("csv") ? fileOf(i, "csv.gz") : null,
    log: fileOf(i, "log"),
    exitCode: null,
    cpuSeconds: 0,
    rssMbMax: 0,
  }));
}

/** Generator i's `k6 run` arguments. */
function k6Args(k6: K6Invocation, i: number, seg: ExecutionSegment | undefined, csvFile: string): string[] {
  return [
    "run",
    "--no-thresholds",
    "--summary-mode=disabled",
    "--address",
    "",
    // The extension names its files after the execution segment (latency-<i>.hlog).
    ...(k6.outputs.includes("stampede") ? ["--out", `stampede=${k6.runDir}`] : []),
    ...(k6.outputs.includes("csv") ? ["--out", `csv=${join(k6.runDir, csvFile)}`] : []),
    ...k6.extraArgs(i),
    ...(seg === undefined
      ? []
      : ["--execution-segment", seg.segment, "--execution-segment-sequence", seg.sequence]),
    `--system-tags=${K6_SYSTEM_TAGS}`,
    "-e",
    `STAMPEDE_BASE_URL=${k6.baseUrl}`,
    "-e",
    `STAMPEDE_PLAN_FILE=${k6.planPath}`,
    ...(seg === undefined
      ? []
      : ["-e", `STAMPEDE_GENERATOR=${i}`, "-e", `STAMPEDE_GENERATORS=${k6.generators}`]),
    k6.scriptPath,
  ];
}
