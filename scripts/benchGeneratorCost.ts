import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { k6DrillPlan } from "../loadtests/lib/k6Plan.ts";
import { drillRequestBudgetS, planDrill } from "../loadtests/lib/plan.ts";
import { smoke } from "../loadtests/profiles/smoke.ts";
import type { Profile } from "../loadtests/profiles/types.ts";
import { TRAFFIC_CLASSES } from "../loadtests/vocabulary/traffic.ts";
import { startVenueServer } from "../mock-exchange/api/server.ts";
import { EXCHANGE_DEFAULTS } from "../mock-exchange/defaults.ts";
import { type CpuSample, clockTicks, type LoadWindow, loadWindow, procStatTicks } from "./benchGenerator.ts";
import { startTrivialResponder } from "./benchResponder.ts";
import type { Benchmark, BenchResult } from "./benchTypes.ts";
import { ControlPlane } from "./controlPlane.ts";
import { bundleDrillScript, drillEntry, writeK6Inputs } from "./drillBundle.ts";
import { generatorRecords, K6_ENV, k6GoMaxProcs } from "./drillK6.ts";
import { venueEnv } from "./drillVenue.ts";
import { exchangeConfigFor } from "./exchangeConfig.ts";
import { ensureK6 } from "./k6.ts";
import { machineCores } from "./machineCores.ts";
import { ROOT } from "./paths.ts";
import { round } from "./round.ts";

/**
 * What k6 spends per request of the drill script against a bare one, taken apart step by step,
 * all in one run at one flat rate against the same trivial responder (benchResponder.ts):
 *   1. bare: one GET per iteration (loadtests/bench/ping.ts), with the drill's VU count;
 *   2. bare + the stampede output (k6's aggregation into HDR histograms);
 *   3. the drill script as source modules (k6 instantiates each module in each VU);
 *   4. the drill script as a drill runs it: bundled, with its plan file and the output;
 *   5. the drill's harness alone: step 4 with a bare script's request in place of every behaviour
 *      (loadtests/bench/drillHarness.ts), so 5 over 1 is what the harness costs and 4 over 5
 *      what the drill's requests cost;
 *   6. the drill's requests without its behaviours' logic: each iteration sends its class's
 *      usual request, signed and keyed, with fixed parameters (loadtests/bench/drillFixedRequests.ts),
 *      so 6 over 5 is what the venue's request format costs and 4 over 6 the behaviours' logic;
 *   then steps 1, 4, 5 and 6 again, in turn, for medians (RUNS_OF_RATIO_STEPS);
 *   7. steps 1 and 4 at once, each against a responder of its own, RUNS_OF_RATIO_STEPS times: the
 *      ratio of a pair is taken on the same seconds of the same host, so what the host's speed
 *      does to both cancels. Its median is generator_drill_vs_bare; the ratio of the sequential
 *      medians (generator_drill_vs_bare_sequential) read 1.36 in a run whose pairs gave 1.56-1.59.
 * Each step's CPU is k6's over the seconds load flowed (start-up and wind-down excluded, as in
 * benchGenerator.ts, and the first WARM_UP_MS of load) divided by the requests answered in them. Step 4 then drives the real mock
 * exchange in this process: its CPU per request is the venue's cost on the cores it shares with
 * k6 (drill_exchange_us_per_request), beside the trivial responder's.
 */

const RATE_PER_S = 1_500;
const DURATION_S = 30;
/**
 * Runs of the bare and the bundled drill steps, interleaved; their ratio is of the medians. One
 * run of each moved the ratio between 1.53 and 1.56 on one day (bare 173-186 us/request, drill
 * 271-284, 2026-12-06), and between days by more: a single pair is not a figure to gate on.
 */
const RUNS_OF_RATIO_STEPS = 3;
/**
 * Load left out at the start of every step. A drill VU's first iteration builds its session
 * (setup data decoded, k6's execution objects, request parameters, the JS prototypes it touches):
 * about 1.2 CPU-seconds for 798 VUs, once per run, not per request. Over 20 s windows it had added
 * about 60 us to each request of the drill steps (350 us with it, 290 us over 40 s, 2026-12-05).
 */
const WARM_UP_MS = 5_000;
const POLL_MS = 250;
/** Bytes per MB in RSS figures, as the drill's (2^20). */
const MB = 1 << 20;

/** A one-phase profile at a flat rate with smoke's shares and behaviours. */
function flatProfile(ratePerS: number): Profile {
  return {
    ...smoke,
    name: "bench-flat",
    description: "One flat phase: the generator benchmark's load.",
    normalRatePerS: { order: ratePerS * 0.3, position: ratePerS * 0.5, depth: ratePerS * 0.2 },
    defaultTimeScale: 1,
    phases: [{ name: "flat", durationS: DURATION_S, from: 1, to: 1 }],
  };
}

interface StepMeasurement {
  window: LoadWindow;
  usPerRequest: number;
  exchangeUsPerRequest: number;
  rssMbMax: number;
}

async function runK6Step(
  k6: string,
  args: string[],
  env: Record<string, string>,
  requests: () => number,
  label: string,
): Promise<StepMeasurement> {
  const clkTck = await clockTicks();
  const child = spawn(k6, args, {
    // The drill's GOMAXPROCS, so every step runs k6 as a drill does.
    env: {
      ...process.env,
      ...K6_ENV,
      GOMAXPROCS: k6GoMaxProcs(machineCores().cores, process.env.GOMAXPROCS),
      ...env,
    },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => {
    if (stderr.length < 8_000) stderr += d.toString();
  });
  const samples: CpuSample[] = [];
  let rssMbMax = 0;
  const t0 = Date.now();
  const poll = async () => {
    const [stat, status] = await Promise.all([
      readFile(`/proc/${child.pid}/stat`, "utf8").catch(() => undefined),
      readFile(`/proc/${child.pid}/status`, "utf8").catch(() => ""),
    ]);
    const ticks = stat === undefined ? undefined : procStatTicks(stat);
    if (ticks === undefined) return;
    const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
    rssMbMax = Math.max(rssMbMax, (rssKb * 1024) / MB);
    const cpu = process.cpuUsage();
    samples.push({
      tMs: Date.now() - t0,
      k6CpuS: ticks / clkTck,
      exchangeCpuS: (cpu.user + cpu.system) / 1e6,
      served: requests(),
      hostBusyS: 0,
    });
  };
  const timer = setInterval(() => void poll(), POLL_MS);
  const killer = setTimeout(() => child.kill("SIGKILL"), (DURATION_S + 60) * 1000);
  const code = await new Promise<number>((resolve) => {
    child.on("exit", (c) => resolve(c ?? 1));
    child.on("error", () => resolve(1));
  });
  clearInterval(timer);
  clearTimeout(killer);
  if (code !== 0) throw new Error(`k6 (${label}) exited ${code}: ${stderr.slice(0, 2_000)}`);
  const window = loadWindow(samples, WARM_UP_MS);
  if (window === undefined) throw new Error(`k6 (${label}): no load window (too few samples)`);
  return {
    window,
    usPerRequest: (window.k6Cores / window.servedPerS) * 1e6,
    exchangeUsPerRequest: (window.exchangeCores / window.servedPerS) * 1e6,
    rssMbMax,
  };
}

export interface GeneratorCost {
  vus: number;
  bare: StepMeasurement;
  bareOutput: StepMeasurement;
  drillModules: StepMeasurement;
  drill: StepMeasurement;
  harness: StepMeasurement;
  fixedRequests: StepMeasurement;
  /** Median over runs of drill / bare, each pair run at once (step 7). */
  drillVsBarePaired: number;
  drillOnVenue: StepMeasurement;
}

let cached: Promise<GeneratorCost> | undefined;

/** One measurement per process: the figures below share it. */
export function measureGeneratorCost(log: (line: string) => void): Promise<GeneratorCost> {
  cached ??= runMeasurement(log);
  return cached;
}

async function runMeasurement(log: (line: string) => void): Promise<GeneratorCost> {
  const k6 = await ensureK6(log);
  if (!k6.extension) throw new Error(`${k6.path} lacks the stampede output: run \`stampede k6\``);
  const profile = flatProfile(RATE_PER_S);
  const plan = planDrill(profile, {
    timeScale: 1,
    requestBudgetS: drillRequestBudgetS(EXCHANGE_DEFAULTS.capacity),
  });
  const vus = TRAFFIC_CLASSES.reduce((sum, c) => sum + plan.classes[c].maxVUs, 0);
  const dir = await mkdtemp(join(tmpdir(), "stampede-bench-cost-"));
  const responder = await startTrivialResponder();
  try {
    const k6Plan = k6DrillPlan(plan, profile, 1);
    const inputs = { ...(await writeK6Inputs(dir, k6Plan)), k6Plan };
    const bareArgs = (out: string[], url = responder.url) => [
      "run",
      "--quiet",
      "--no-thresholds",
      "--summary-mode=disabled",
      ...out,
      ...["-e", `BENCH_BASE_URL=${url}`, "-e", `BENCH_RATE=${RATE_PER_S}`],
      ...["-e", `BENCH_DURATION_S=${DURATION_S}`, "-e", `BENCH_VUS=${vus}`],
      join(ROOT, "loadtests", "bench", "ping.ts"),
    ];
    const drillArgs = (baseUrl: string, scriptPath: string, runDir: string) =>
      (
        generatorRecords({
          runDir,
          generators: 1,
          outputs: ["stampede"],
          extraArgs: () => [],
          baseUrl,
          scriptPath,
          planPath: inputs.plan,
        })[0] as { args: string[] }
      ).args;
    const step = async (
      label: string,
      args: string[],
      env: Record<string, string>,
      count = responder.requests,
    ) => {
      const m = await runK6Step(k6.path, args, env, count, label);
      log(
        `${label}: ${m.window.servedPerS.toFixed(0)} req/s, k6 ${m.window.k6Cores.toFixed(2)} cores = ` +
          `${m.usPerRequest.toFixed(0)} us/request, peak RSS ${m.rssMbMax.toFixed(0)} MB (${vus} VUs)`,
      );
      return m;
    };
    // The keys in k6's environment, handed over as a drill does: the responder answers the
    // control plane's account list.
    const drillEnv = await venueEnv(
      { url: responder.url, control: new ControlPlane(responder.url, undefined), keys: [] },
      profile.clients,
    );
    const bare = await step("bare", bareArgs([]), {});
    const bareOutput = await step(
      "bare + stampede output",
      bareArgs(["--out", `stampede=${join(dir, "bare")}`]),
      {},
    );
    const drillModules = await step(
      "drill script as source modules",
      drillArgs(responder.url, drillEntry(inputs.k6Plan), join(dir, "modules")),
      drillEnv,
    );
    const drillStepArgs = drillArgs(responder.url, inputs.script, dir);
    const drill = await step("drill (bundled, as a drill runs it)", drillStepArgs, drillEnv);
    const benchStep = async (file: string, entry: string) => {
      const script = join(dir, `${file}.js`);
      await bundleDrillScript(script, join(ROOT, "loadtests", "bench", entry));
      return (label: string) => step(label, drillArgs(responder.url, script, join(dir, file)), drillEnv);
    };
    const harnessStep = await benchStep("drill-harness", "drillHarness.ts");
    const fixedStep = await benchStep("drill-fixed-requests", "drillFixedRequests.ts");
    const bareRuns = [bare];
    const drillRuns = [drill];
    const harnessRuns = [await harnessStep("drill harness, a bare request per iteration (bundled)")];
    const fixedRuns = [
      await fixedStep("drill's requests with fixed parameters, no behaviour logic (bundled)"),
    ];
    for (let run = 2; run <= RUNS_OF_RATIO_STEPS; run++) {
      bareRuns.push(await step(`bare (run ${run})`, bareArgs([]), {}));
      drillRuns.push(await step(`drill (run ${run})`, drillStepArgs, drillEnv));
      harnessRuns.push(await harnessStep(`drill harness (run ${run})`));
      fixedRuns.push(await fixedStep(`drill's fixed requests (run ${run})`));
    }
    const pairedRatios: number[] = [];
    const bareResponder = await startTrivialResponder();
    try {
      for (let run = 1; run <= RUNS_OF_RATIO_STEPS; run++) {
        const [pairBare, pairDrill] = await Promise.all([
          step(`bare, paired (run ${run})`, bareArgs([], bareResponder.url), {}, bareResponder.requests),
          step(`drill, paired (run ${run})`, drillStepArgs, drillEnv),
        ]);
        pairedRatios.push(pairDrill.usPerRequest / pairBare.usPerRequest);
      }
    } finally {
      await bareResponder.close();
    }
    await responder.close();
    const drillOnVenue = await onVenue(
      profile,
      (url, runDir) => drillArgs(url, inputs.script, runDir),
      dir,
      step,
    );
    return {
      vus,
      bare: medianStep(bareRuns),
      bareOutput,
      drillModules,
      drill: medianStep(drillRuns),
      harness: medianStep(harnessRuns),
      fixedRequests: medianStep(fixedRuns),
      drillVsBarePaired: median(pairedRatios),
      drillOnVenue,
    };
  } finally {
    await responder.close().catch(() => {});
    await rm(dir, { recursive: true, force: true });
  }
}

/** The item with the median key (the upper one of an even count). */
function medianBy<T>(items: readonly T[], key: (item: T) => number): T {
  const sorted = [...items].sort((a, b) => key(a) - key(b));
  return sorted[Math.floor(sorted.length / 2)] as T;
}

/** The run with the median CPU per request. */
const medianStep = (runs: readonly StepMeasurement[]) => medianBy(runs, (r) => r.usPerRequest);
const median = (values: readonly number[]) => medianBy(values, (v) => v);

/** Step 4 against the mock exchange in this process (its CPU is this process's). */
async function onVenue(
  profile: Profile,
  args: (url: string, runDir: string) => string[],
  dir: string,
  step: (
    label: string,
    args: string[],
    env: Record<string, string>,
    count: () => number,
  ) => Promise<StepMeasurement>,
): Promise<StepMeasurement> {
  const config = exchangeConfigFor(profile, { timeScale: 1, seed: 1, strategy: undefined, scale: "drill" });
  const venue = await startVenueServer({ host: "127.0.0.1", port: 0, config });
  let answered = 0;
  venue.server.on("request", () => {
    answered++;
  });
  try {
    return await step(
      "drill against the mock exchange",
      args(venue.url, join(dir, "venue")),
      await venueEnv(
        {
          url: venue.url,
          control: new ControlPlane(venue.url, venue.controlToken),
          keys: [],
        },
        profile.clients,
      ),
      () => answered,
    );
  } finally {
    await venue.close();
  }
}

function figure(name: string, description: string, pick: (c: GeneratorCost) => BenchResult[]): Benchmark {
  return {
    name,
    description,
    async run() {
      return pick(await measureGeneratorCost((line) => process.stderr.write(`${line}\n`)));
    },
  };
}

const us = (name: string, m: StepMeasurement): BenchResult => ({
  name,
  value: round(m.usPerRequest, 1),
  unit: "us/request",
});

/** How many times `of` costs k6 what `over` does, per request. */
const ratio = (name: string, of: StepMeasurement, over: StepMeasurement): BenchResult => ({
  name,
  value: round(of.usPerRequest / over.usPerRequest, 2),
  unit: "ratio",
});

export const GENERATOR_COST_BENCHMARKS: Benchmark[] = [
  figure(
    "generator_bare_us_per_request",
    `k6 CPU per request of a bare script (one GET an iteration) at ${RATE_PER_S}/s against a trivial responder, the drill's VU count`,
    (c) => [
      us("generator_bare_us_per_request", c.bare),
      us("generator_bare_output_us_per_request", c.bareOutput),
    ],
  ),
  figure(
    "generator_drill_us_per_request",
    `k6 CPU per request of the drill script as a drill runs it (bundled, plan file, stampede output), same rate and responder; and as source modules`,
    (c) => [
      us("generator_drill_us_per_request", c.drill),
      us("generator_drill_modules_us_per_request", c.drillModules),
    ],
  ),
  figure(
    "generator_drill_vs_bare",
    `k6 CPU per request of the drill over the bare script's, the two run at once, each against a responder of its own, so both see the same seconds of the host; median of ${RUNS_OF_RATIO_STEPS} pairs. Run one after the other the ratio followed the host: 1.36 in one run where these pairs gave 1.56-1.59 (2026-12-06)`,
    (c) => [{ name: "generator_drill_vs_bare", value: round(c.drillVsBarePaired, 2), unit: "ratio" }],
  ),
  figure(
    "generator_drill_vs_bare_sequential",
    `generator_drill_us_per_request / generator_bare_us_per_request, medians of ${RUNS_OF_RATIO_STEPS} interleaved runs one after the other (moves with the host's speed between steps)`,
    (c) => [ratio("generator_drill_vs_bare_sequential", c.drill, c.bare)],
  ),
  figure(
    "generator_drill_harness_vs_bare",
    `k6 CPU per request of the drill's harness with a bare script's request in every iteration (loadtests/bench/drillHarness.ts) over the bare script's, medians of ${RUNS_OF_RATIO_STEPS} interleaved runs; and the drill's over the harness's`,
    (c) => [
      ratio("generator_drill_harness_vs_bare", c.harness, c.bare),
      us("generator_drill_harness_us_per_request", c.harness),
      ratio("generator_drill_vs_harness", c.drill, c.harness),
    ],
  ),
  figure(
    "generator_drill_fixed_requests_vs_bare",
    `k6 CPU per request of the drill's requests with fixed parameters and no behaviour logic (loadtests/bench/drillFixedRequests.ts) over the bare script's, medians of ${RUNS_OF_RATIO_STEPS} interleaved runs; and the drill's over it (what the behaviours' logic costs)`,
    (c) => [
      ratio("generator_drill_fixed_requests_vs_bare", c.fixedRequests, c.bare),
      us("generator_drill_fixed_requests_us_per_request", c.fixedRequests),
      ratio("generator_drill_vs_fixed_requests", c.drill, c.fixedRequests),
    ],
  ),
  figure(
    "generator_drill_rss_mb_per_vu",
    "k6's peak RSS in the drill step over its VUs (the bare step's beside it)",
    (c) => [
      { name: "generator_drill_rss_mb_per_vu", value: round(c.drill.rssMbMax / c.vus, 3), unit: "MB/VU" },
      {
        name: "generator_drill_modules_rss_mb_per_vu",
        value: round(c.drillModules.rssMbMax / c.vus, 3),
        unit: "MB/VU",
      },
      { name: "generator_bare_rss_mb_per_vu", value: round(c.bare.rssMbMax / c.vus, 3), unit: "MB/VU" },
    ],
  ),
  figure(
    "drill_exchange_us_per_request",
    "The mock exchange's CPU per request when the drill script drives it at the flat rate (this process), beside the trivial responder's",
    (c) => [
      us("drill_exchange_us_per_request", {
        ...c.drillOnVenue,
        usPerRequest: c.drillOnVenue.exchangeUsPerRequest,
      }),
      us("bench_responder_us_per_request", { ...c.drill, usPerRequest: c.drill.exchangeUsPerRequest }),
    ],
  ),
];
