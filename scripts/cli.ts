import { join } from "node:path";
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { PROFILES } from "../loadtests/profiles/index.ts";
import { startMockExchange } from "../mock-exchange/api/server.ts";
import { mmcMeanWaitMs, mmcWaitPercentileMs } from "../mock-exchange/capacity/erlang.ts";
import { simulateMmc } from "../mock-exchange/capacity/mmc.ts";
import { STRATEGY_NAMES } from "../mock-exchange/capacity/strategies.ts";
import { EXCHANGE_DEFAULTS } from "../mock-exchange/defaults.ts";
import { renderRun } from "../reports/report.ts";
import { benchmarkNames, runBenchmarks } from "./bench.ts";
import { formatComparison, parseStrategies, runCompare } from "./compare.ts";
import { runDrill } from "./drill.ts";
import { EXIT, StampedeError } from "./errors.ts";
import { runGate } from "./gate.ts";
import { ensureK6 } from "./k6.ts";
import { DEFAULT_RUNNER_IMAGE, DEFAULT_TARGET, writeK8s } from "./k8s.ts";
import { PER_REQUEST_LIMIT, runSimulation } from "./simulate/run.ts";

/**
 * `stampede <command>`: every command has --help; figures go to stdout (--json for machines),
 * diagnostics to stderr; exit codes from scripts/errors.ts.
 */

function fail(err: unknown): never {
  if (err instanceof StampedeError) {
    process.stderr.write(`stampede: ${err.message} [${err.code}]\n`);
    process.exit(err.exitCode);
  }
  process.stderr.write(
    `stampede: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exit(EXIT.harness);
}

const log = (line: string) => process.stderr.write(`${line}\n`);

await yargs(hideBin(process.argv))
  .scriptName("stampede")
  .strict()
  .demandCommand(1, "Name a command; see --help.")
  .command(
    "drill",
    "Run a burst profile with k6 against the mock exchange and write runs/<id>/ with its report",
    (y) =>
      y
        .option("profile", {
          type: "string",
          default: "smoke",
          describe: `Profile: ${Object.keys(PROFILES).join(", ")}`,
        })
        .option("time-scale", {
          type: "number",
          describe: "Natural seconds per wall second (default: the profile's)",
        })
        .option("duration", {
          type: "number",
          describe: "Wall seconds to compress the whole profile into (sets the time scale)",
        })
        .option("rate-scale", {
          type: "number",
          describe: "Multiply every class's normal rate (default 1): the same shape, lighter or heavier",
        })
        .option("generators", {
          type: "number",
          default: 1,
          describe:
            "k6 processes on this machine, each an execution segment; their histograms are merged exactly (HDR add)",
        })
        .option("seed", {
          type: "number",
          default: 1,
          describe: "Seed of the exchange's service times and of k6's Math.random",
        })
        .option("out", { type: "string", default: "runs", describe: "Folder that receives runs/<id>/" })
        .option("strategy", {
          type: "string",
          default: EXCHANGE_DEFAULTS.capacity.strategy,
          describe: `Provisioning strategy: ${STRATEGY_NAMES.join(", ")}; add +priority-shedding to combine`,
        })
        .option("target", {
          type: "string",
          describe:
            "Base URL of a Binance-USDⓈ-M-compatible venue to load instead of the mock (keys from STAMPEDE_API_KEYS unless its stampede control plane answers)",
        })
        .option("i-own-this-target", {
          type: "boolean",
          default: false,
          describe: "Required for a --target that is not loopback: you are allowed to load it",
        })
        .option("max-rps", {
          type: "number",
          describe:
            "Rate cap, requests per second: the drill refuses to start if its plan peaks above it (required off loopback)",
        })
        .option("json", {
          type: "boolean",
          default: false,
          describe: "Print summary.json to stdout at the end",
        })
        .option("raw-samples", {
          type: "boolean",
          default: false,
          describe:
            "Also keep every raw k6 sample (--out csv=k6.csv.gz; ~40 µs of k6 CPU per request); the report still reads k6's own aggregates",
        })
        .conflicts("time-scale", "duration"),
    async (argv) => {
      try {
        const k6 = await ensureK6(log);
        const result = await runDrill({
          profileName: argv.profile,
          timeScale: argv["time-scale"],
          durationS: argv.duration,
          rateScale: argv["rate-scale"],
          generators: argv.generators,
          rawSamples: argv["raw-samples"],
          seed: argv.seed,
          outDir: argv.out,
          strategy: argv.strategy,
          target:
            argv.target === undefined
              ? undefined
              : { url: argv.target, iOwnThisTarget: argv["i-own-this-target"], maxRps: argv["max-rps"] },
          k6,
          log,
          progress: process.stderr.isTTY && process.env.CI === undefined ? "tty" : "plain",
        });
        if (argv.json) process.stdout.write(`${JSON.stringify(result.summary, null, 2)}\n`);
        process.stdout.write(`${result.runDir}\n`);
        process.exit(result.exitCode);
      } catch (err) {
        fail(err);
      }
    },
  )
  .command(
    "simulate",
    "Run a profile and strategy through the capacity model in virtual time (same run folder as a drill), or check the queue against M/M/c theory (--model mmc)",
    (y) =>
      y
        .option("profile", {
          type: "string",
          default: "smoke",
          describe: `Profile: ${Object.keys(PROFILES).join(", ")}`,
        })
        .option("strategy", {
          type: "string",
          default: EXCHANGE_DEFAULTS.capacity.strategy,
          describe: `Provisioning strategy: ${STRATEGY_NAMES.join(", ")}; add +priority-shedding to combine`,
        })
        .option("scale", {
          choices: ["drill", "production"] as const,
          default: "drill" as const,
          describe: "Rates and fleet: the drill-sized ones, or the profile's production size",
        })
        .option("time-scale", {
          type: "number",
          describe: "Natural seconds per virtual second (default 1; a drill's scale to compare with it)",
        })
        .option("rate-scale", {
          type: "number",
          describe: "Multiply every class's normal rate (default 1), as drill --rate-scale",
        })
        .option("method", {
          choices: ["auto", "requests", "aggregate"] as const,
          default: "auto" as const,
          describe: `Per-request events, or the aggregate approximation (auto: aggregate above ${PER_REQUEST_LIMIT.toLocaleString("en")} requests)`,
        })
        .option("seed", { type: "number", default: 1 })
        .option("out", { type: "string", default: "runs", describe: "Folder that receives runs/<id>/" })
        .option("model", {
          choices: ["mmc"] as const,
          describe: "Validate the queue alone: M/M/c with the options below",
        })
        .option("servers", { type: "number", describe: "--model mmc: servers c" })
        .option("arrival-rate", { type: "number", describe: "--model mmc: arrivals per second (Poisson)" })
        .option("service-rate", {
          type: "number",
          describe: "--model mmc: services per second per server (exponential)",
        })
        .option("duration", { type: "number", describe: "--model mmc: simulated seconds" })
        .option("json", { type: "boolean", default: false, describe: "Print the figures as JSON" }),
    async (argv) => {
      try {
        if (argv.model === "mmc") {
          const servers = argv.servers;
          const arrivalRatePerS = argv["arrival-rate"];
          const serviceRatePerS = argv["service-rate"];
          const durationS = argv.duration;
          if (!(Number.isInteger(servers) && (servers as number) >= 1))
            throw new StampedeError("E_USAGE", "--servers must be an integer >= 1");
          if (!(arrivalRatePerS !== undefined && arrivalRatePerS > 0))
            throw new StampedeError("E_USAGE", "--arrival-rate must be > 0");
          if (!(serviceRatePerS !== undefined && serviceRatePerS > 0))
            throw new StampedeError("E_USAGE", "--service-rate must be > 0");
          if (!(durationS !== undefined && durationS > 0))
            throw new StampedeError("E_USAGE", "--duration must be > 0");
          if (arrivalRatePerS >= (servers as number) * serviceRatePerS)
            throw new StampedeError(
              "E_USAGE",
              "utilisation must be < 1 (arrival rate < servers x service rate)",
            );
          if (!Number.isInteger(argv.seed)) throw new StampedeError("E_USAGE", "--seed must be an integer");
          const result = simulateMmc({
            servers: servers as number,
            arrivalRatePerS,
            serviceRatePerS,
            durationS,
            seed: argv.seed,
          });
          const figures = {
            meanWaitMs: result.meanWaitMs,
            p50WaitMs: result.p50WaitMs,
            p99WaitMs: result.p99WaitMs,
            arrivals: result.arrivals,
          };
          if (argv.json) process.stdout.write(`${JSON.stringify(figures)}\n`);
          else {
            const c = servers as number;
            process.stdout.write(
              `M/M/${c}: ${result.arrivals} arrivals, mean wait ${result.meanWaitMs.toFixed(3)} ms (Erlang C ${mmcMeanWaitMs(c, arrivalRatePerS, serviceRatePerS).toFixed(3)}), p50 ${result.p50WaitMs.toFixed(3)} ms (${mmcWaitPercentileMs(c, arrivalRatePerS, serviceRatePerS, 0.5).toFixed(3)}), p99 ${result.p99WaitMs.toFixed(3)} ms (${mmcWaitPercentileMs(c, arrivalRatePerS, serviceRatePerS, 0.99).toFixed(3)})\n`,
            );
          }
          return;
        }
        const result = await runSimulation({
          profileName: argv.profile,
          strategy: argv.strategy,
          scale: argv.scale,
          timeScale: argv["time-scale"],
          rateScale: argv["rate-scale"],
          seed: argv.seed,
          method: argv.method,
          outDir: argv.out,
          log,
        });
        if (argv.json) process.stdout.write(`${JSON.stringify(result.summary, null, 2)}\n`);
        else
          log(
            `simulated ${result.requests.toLocaleString("en")} requests in ${result.elapsedS.toFixed(1)} s (${result.method})`,
          );
        process.stdout.write(`${result.runDir}\n`);
      } catch (err) {
        fail(err);
      }
    },
  )
  .command(
    "bench [names..]",
    "Measure and print figures (one JSON object per line with --json); names pick benchmarks",
    (y) =>
      y
        .positional("names", {
          type: "string",
          array: true,
          describe: `Benchmarks: ${benchmarkNames().join(", ")}`,
        })
        .option("json", {
          type: "boolean",
          default: false,
          describe: "One {name,value,unit} JSON object per line",
        }),
    async (argv) => {
      try {
        await runBenchmarks(
          (argv.names ?? []) as string[],
          (r) =>
            process.stdout.write(
              argv.json ? `${JSON.stringify(r)}\n` : `${r.name.padEnd(36)} ${r.value} ${r.unit}\n`,
            ),
          log,
        );
      } catch (err) {
        fail(err);
      }
    },
  )
  .command(
    "gate <run>",
    "Check a run's summary.json against thresholds and a baseline run; exit 1 when a check fails",
    (y) =>
      y
        .positional("run", { type: "string", demandOption: true, describe: "Run folder (runs/<id>/)" })
        .option("config", {
          type: "string",
          demandOption: true,
          describe: "gate.json, or a .ts module exporting the config as default",
        })
        .option("baseline", { type: "string", describe: "Run folder to compare with" })
        .option("max-regression", {
          type: "string",
          describe: 'Largest allowed worsening against the baseline, e.g. "10%" (overrides the config)',
        })
        .option("junit", { type: "string", describe: "Write JUnit XML to this file" })
        .option("markdown", { type: "string", describe: "Write a Markdown summary to this file" })
        .option("json", {
          type: "boolean",
          default: false,
          describe: "Print the verdicts as JSON instead of the table",
        }),
    async (argv) => {
      try {
        const result = await runGate({
          run: argv.run,
          config: argv.config,
          baseline: argv.baseline,
          maxRegression: argv["max-regression"],
          junit: argv.junit,
          markdown: argv.markdown,
        });
        process.stdout.write(argv.json ? `${JSON.stringify(result.json, null, 2)}\n` : result.table);
        process.exit(result.exitCode);
      } catch (err) {
        fail(err);
      }
    },
  )
  .command(
    "compare [runs..]",
    "Compare runs, or run strategies (--profile --strategies) and compare them; writes <out>/compare-<stamp>/",
    (y) =>
      y
        .positional("runs", { type: "string", array: true, describe: "Run folders" })
        .option("profile", { type: "string", describe: `Profile: ${Object.keys(PROFILES).join(", ")}` })
        .option("strategies", { type: "string", describe: "Comma-separated; the first is the baseline" })
        .option("simulate", {
          type: "boolean",
          default: false,
          describe: "Simulate instead of drilling with k6",
        })
        .option("repeat", {
          type: "number",
          default: 1,
          describe: "Runs per strategy (seeds seed..seed+K-1)",
        })
        .option("time-scale", {
          type: "number",
          describe: "Natural seconds per wall second (default: the profile's)",
        })
        .option("seed", { type: "number", default: 1 })
        .option("group-by", {
          choices: ["run", "strategy"] as const,
          default: "run" as const,
          describe: "RUN... form: treat runs of one strategy as repeats",
        })
        .option("out", { type: "string", default: "runs" })
        .option("json", { type: "boolean", default: false }),
    async (argv) => {
      try {
        const result = await runCompare({
          runs: (argv.runs ?? []) as string[],
          groupBy: argv["group-by"],
          profileName: argv.profile,
          strategies: parseStrategies(argv.strategies),
          simulate: argv.simulate,
          repeat: argv.repeat,
          timeScale: argv["time-scale"],
          seed: argv.seed,
          outDir: argv.out,
          log,
          progress: process.stderr.isTTY && process.env.CI === undefined ? "tty" : "plain",
        });
        process.stdout.write(
          argv.json ? `${JSON.stringify(result.comparison, null, 2)}\n` : formatComparison(result.comparison),
        );
        process.stdout.write(`${result.dir}\n`);
        process.exit(result.exitCode);
      } catch (err) {
        fail(err);
      }
    },
  )
  .command(
    "k8s",
    "Write a k6-operator TestRun, its scripts ConfigMap and a results PVC for a distributed drill",
    (y) =>
      y
        .option("profile", {
          type: "string",
          demandOption: true,
          describe: `Profile: ${Object.keys(PROFILES).join(", ")}`,
        })
        .option("parallelism", {
          type: "number",
          default: 2,
          describe: "Runner pods, one execution segment each",
        })
        .option("out", { type: "string", describe: "Folder for the manifests (default runs/k8s-<profile>)" })
        .option("target", {
          type: "string",
          default: DEFAULT_TARGET,
          describe: "Exchange URL as the runner pods reach it",
        })
        .option("time-scale", {
          type: "number",
          describe: "Natural seconds per wall second (default: the profile's)",
        })
        .option("rate-scale", { type: "number", describe: "Multiply every class's normal rate (default 1)" })
        .option("seed", { type: "number", default: 1 })
        .option("image", {
          type: "string",
          default: DEFAULT_RUNNER_IMAGE,
          describe: "Runner image: k6 with the stampede output built in (docs/k8s.md)",
        })
        .option("namespace", { type: "string", describe: "Kubernetes namespace" })
        .option("json", { type: "boolean", default: false }),
    async (argv) => {
      try {
        const dir = await writeK8s(
          {
            profileName: argv.profile,
            parallelism: argv.parallelism,
            outDir: argv.out ?? join("runs", `k8s-${argv.profile}`),
            target: argv.target,
            timeScale: argv["time-scale"],
            rateScale: argv["rate-scale"],
            seed: argv.seed,
            image: argv.image,
            namespace: argv.namespace,
          },
          log,
        );
        process.stdout.write(argv.json ? `${JSON.stringify({ dir })}\n` : `${dir}\n`);
      } catch (err) {
        fail(err);
      }
    },
  )
  .command(
    "report <run>",
    "Re-render summary.json and report.html from a run folder's files",
    (y) =>
      y
        .positional("run", { type: "string", demandOption: true })
        .option("json", { type: "boolean", default: false }),
    async (argv) => {
      try {
        const summary = await renderRun(argv.run);
        if (argv.json) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
        else process.stdout.write(`${argv.run}\n`);
      } catch (err) {
        fail(err);
      }
    },
  )
  .command(
    "serve",
    "Run the mock exchange alone and print its URL",
    (y) =>
      y
        .option("port", { type: "number", default: 0, describe: "Port on 127.0.0.1 (0 = a free one)" })
        .option("seed", { type: "number", default: EXCHANGE_DEFAULTS.seed })
        .option("trust-proxy", {
          type: "boolean",
          default: false,
          describe: "Take the client IP from X-Forwarded-For",
        }),
    async (argv) => {
      try {
        if (!Number.isInteger(argv.port) || argv.port < 0 || argv.port > 65535) {
          throw new StampedeError("E_USAGE", `--port must be an integer 0-65535, got ${argv.port}`);
        }
        const exchange = await startMockExchange({
          port: argv.port,
          config: { ...EXCHANGE_DEFAULTS, seed: argv.seed, trustProxy: argv["trust-proxy"] },
        }).catch((err: Error) => {
          throw new StampedeError(
            "E_EXCHANGE_FAILED",
            `could not listen on port ${argv.port}: ${err.message}`,
          );
        });
        process.stdout.write(`${exchange.url}\n`);
        const stop = () => void exchange.close().then(() => process.exit(EXIT.ok));
        process.once("SIGINT", stop);
        process.once("SIGTERM", stop);
      } catch (err) {
        fail(err);
      }
    },
  )
  .command(
    "k6",
    `Find k6 (K6_BIN, PATH, .tools/) or build the pinned version into .tools/ with Go`,
    (y) => y.option("json", { type: "boolean", default: false }),
    async (argv) => {
      try {
        const k6 = await ensureK6(log);
        process.stdout.write(
          argv.json ? `${JSON.stringify(k6)}\n` : `k6 ${k6.version} (${k6.source}): ${k6.path}\n`,
        );
      } catch (err) {
        fail(err);
      }
    },
  )
  .fail((msg, err) => {
    if (err) fail(err);
    process.stderr.write(`stampede: ${msg} [E_USAGE]\nRun "stampede --help" for usage.\n`);
    process.exit(EXIT.usage);
  })
  .help()
  .parseAsync();
