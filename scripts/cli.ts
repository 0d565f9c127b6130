import { join } from "node:path";
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { EXIT, StampedeError } from "../loadtests/vocabulary/cliErrors.ts";
import { ORACLE_MODES } from "../loadtests/vocabulary/market.ts";
import { controlTokenProblem } from "../mock-exchange/api/control.ts";
import { startVenueServer } from "../mock-exchange/api/server.ts";
import { mmcMeanWaitMs, mmcWaitPercentileMs } from "../mock-exchange/capacity/erlang.ts";
import { simulateMmc } from "../mock-exchange/capacity/mmc.ts";
import { STRATEGY_NAMES } from "../mock-exchange/capacity/strategies.ts";
import { CONTROL_PLANE_DEFAULTS, EXCHANGE_DEFAULTS } from "../mock-exchange/defaults.ts";
import { venuePrices } from "../mock-exchange/venueFile.ts";
import { parsePricePerInstanceHour } from "../reports/cost.ts";
import { renderRun } from "../reports/report.ts";
import { benchmarkNames, runBenchmarks } from "./bench.ts";
import { calibrateCommand, calibrateOptions } from "./calibrate/command.ts";
import { ORACLE_HELP, oracleOption } from "./cliOracle.ts";
import { folderOutput } from "./cliOutput.ts";
import { profileCommands } from "./cliProfile.ts";
import { checkOracles, formatComparison, parseStrategies, runCompare } from "./compare.ts";
import { runDrill } from "./drill.ts";
import { prepareDrill } from "./drillPlan.ts";
import { strategyFor, VENUE_SYMBOL_NAMES } from "./exchangeConfig.ts";
import { loadGateConfig, runGate } from "./gate.ts";
import { ensureK6 } from "./k6.ts";
import { checkK6Ecosystem } from "./k6Ecosystem.ts";
import { DEFAULT_RUNNER_IMAGE, DEFAULT_TARGET, writeK8s } from "./k8s.ts";
import { PROFILE_OPTION_HELP, resolveProfile } from "./profileSource.ts";
import { CAPACITY_MODES, type CapacityMode, serveConfig } from "./serveConfig.ts";
import { PER_REQUEST_LIMIT, runSimulation } from "./simulate/run.ts";
import { isLoopbackHost } from "./target.ts";
import { loadVenue } from "./venue.ts";
import { venueInit } from "./venueInit.ts";

/**
 * `stampede <command>`: every command has --help; figures go to stdout (--json for machines),
 * diagnostics to stderr; exit codes from loadtests/vocabulary/cliErrors.ts.
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
          describe: PROFILE_OPTION_HELP,
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
          describe: `Provisioning strategy: ${STRATEGY_NAMES.join(", ")}; add +priority-shedding to combine (default: the --venue file's, else ${EXCHANGE_DEFAULTS.capacity.strategy})`,
        })
        .option("oracle", { type: "string", describe: ORACLE_HELP })
        .option("venue", {
          type: "string",
          describe:
            "Venue file (YAML or JSON; `stampede venue init` writes one): capacity, strategies, replica, limits, prices",
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
          describe: "Print summary.json alone on stdout at the end, the run folder in its runDir",
        })
        .option("k6-dashboard", {
          type: "boolean",
          default: false,
          describe:
            "Turn on k6's web dashboard (a free loopback port, logged) and save its HTML export as <runDir>/k6-dashboard.html; it keeps every Trend value in memory (generator RSS)",
        })
        .option("k6-out", {
          type: "string",
          array: true,
          describe:
            "Pass a k6 output through (--out), repeatable, e.g. experimental-prometheus-rw (see docs/observability.md)",
        })
        .option("gate", {
          type: "string",
          describe:
            "gate.json (or .ts) to check the run against once its report is written; exit codes as `stampede gate` (table on stderr)",
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
        const venue = argv.venue === undefined ? undefined : loadVenue(argv.venue);
        const args = {
          venue,
          profile: resolveProfile(argv.profile, { venueSymbols: VENUE_SYMBOL_NAMES }),
          timeScale: argv["time-scale"],
          durationS: argv.duration,
          rateScale: argv["rate-scale"],
          generators: argv.generators,
          rawSamples: argv["raw-samples"],
          seed: argv.seed,
          strategy: strategyFor(argv.strategy, venue?.file),
          oracle: oracleOption(argv.oracle),
          target:
            argv.target === undefined
              ? undefined
              : { url: argv.target, iOwnThisTarget: argv["i-own-this-target"], maxRps: argv["max-rps"] },
        };
        // Every argument is checked before k6 is looked for or built: a bad one is exit 2.
        prepareDrill(args);
        const k6Out = checkK6Ecosystem({ outputs: (argv["k6-out"] ?? []) as string[] });
        // A bad gate config is exit 2 before the drill, not after a minute of load.
        if (argv.gate !== undefined) await loadGateConfig(argv.gate);
        const k6 = await ensureK6(log);
        const result = await runDrill({
          ...args,
          outDir: argv.out,
          k6,
          k6Dashboard: argv["k6-dashboard"],
          k6Out,
          log,
          progress: process.stderr.isTTY && process.env.CI === undefined ? "tty" : "plain",
        });
        process.stdout.write(folderOutput(argv.json, result.summary, { key: "runDir", path: result.runDir }));
        // A harness fault stays one (exit 3): a gate verdict on a broken drill would mislead.
        if (argv.gate === undefined || result.exitCode !== EXIT.ok) process.exit(result.exitCode);
        const gate = await runGate({ run: result.runDir, config: argv.gate });
        process.stderr.write(gate.table);
        process.exit(gate.exitCode);
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
          describe: PROFILE_OPTION_HELP,
        })
        .option("strategy", {
          type: "string",
          describe: `Provisioning strategy: ${STRATEGY_NAMES.join(", ")}; add +priority-shedding to combine (default: the --venue file's, else ${EXCHANGE_DEFAULTS.capacity.strategy})`,
        })
        .option("oracle", { type: "string", describe: ORACLE_HELP })
        .option("venue", {
          type: "string",
          describe:
            "Venue file (YAML or JSON; `stampede venue init` writes one): capacity, strategies, replica, limits, prices",
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
        const venue = argv.venue === undefined ? undefined : loadVenue(argv.venue);
        const result = await runSimulation({
          venue,
          profile: resolveProfile(argv.profile),
          strategy: strategyFor(argv.strategy, venue?.file),
          oracle: oracleOption(argv.oracle),
          scale: argv.scale,
          timeScale: argv["time-scale"],
          rateScale: argv["rate-scale"],
          seed: argv.seed,
          method: argv.method,
          outDir: argv.out,
          log,
        });
        log(
          `simulated ${result.requests.toLocaleString("en")} requests in ${result.elapsedS.toFixed(1)} s (${result.method})`,
        );
        process.stdout.write(folderOutput(argv.json, result.summary, { key: "runDir", path: result.runDir }));
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
    "Compare runs, or run strategies (--profile --strategies [--oracles]) and compare them; writes <out>/compare-<stamp>/",
    (y) =>
      y
        .positional("runs", { type: "string", array: true, describe: "Run folders" })
        .option("profile", { type: "string", describe: PROFILE_OPTION_HELP })
        .option("strategies", {
          type: "string",
          describe: `Comma-separated; the first is the baseline (default with --profile: all, ${STRATEGY_NAMES.join(",")})`,
        })
        .option("oracles", {
          type: "string",
          describe: `Comma-separated oracle modes (${ORACLE_MODES.join(", ")}); with --profile (one with a market model), every strategy runs with each, a column per pair`,
        })
        .option("price-per-instance-hour", {
          type: "string",
          describe:
            "USD per instance-hour per tier, e.g. gateway=0.19,read=0.38, or a JSON file of the same (default: on-demand general-purpose prices, an assumption; see docs/compare.md)",
        })
        .option("simulate", {
          type: "boolean",
          default: false,
          describe: "Simulate instead of drilling with k6",
        })
        .option("venue", {
          type: "string",
          describe:
            "Venue file every run is played against (its prices are the default --price-per-instance-hour)",
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
        const oracles = checkOracles(parseStrategies(argv.oracles));
        if (argv.oracles !== undefined && argv.profile === undefined)
          throw new StampedeError(
            "E_USAGE",
            "--oracles runs each strategy with each oracle: it needs --profile",
          );
        const venue = argv.venue === undefined ? undefined : loadVenue(argv.venue);
        const prices = parsePricePerInstanceHour(argv["price-per-instance-hour"]);
        const result = await runCompare({
          venue,
          runs: (argv.runs ?? []) as string[],
          groupBy: argv["group-by"],
          profile:
            argv.profile === undefined
              ? undefined
              : resolveProfile(argv.profile, argv.simulate ? {} : { venueSymbols: VENUE_SYMBOL_NAMES }),
          strategies:
            argv.strategies === undefined && argv.profile !== undefined
              ? [...STRATEGY_NAMES]
              : parseStrategies(argv.strategies),
          oracles,
          pricesUsdPerInstanceHour:
            argv["price-per-instance-hour"] === undefined && venue !== undefined
              ? venuePrices(prices, venue.file)
              : prices,
          simulate: argv.simulate,
          repeat: argv.repeat,
          timeScale: argv["time-scale"],
          seed: argv.seed,
          outDir: argv.out,
          log,
          progress: process.stderr.isTTY && process.env.CI === undefined ? "tty" : "plain",
        });
        process.stdout.write(
          folderOutput(
            argv.json,
            result.comparison,
            { key: "dir", path: result.dir },
            formatComparison(result.comparison),
          ),
        );
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
          describe: PROFILE_OPTION_HELP,
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
        const profile = resolveProfile(argv.profile, { venueSymbols: VENUE_SYMBOL_NAMES });
        const dir = await writeK8s(
          {
            profile,
            parallelism: argv.parallelism,
            outDir: argv.out ?? join("runs", `k8s-${profile.profile.name}`),
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
    "Run the mock exchange alone and print its URL, then its control token",
    (y) =>
      y
        .option("port", { type: "number", default: 0, describe: "Port to listen on (0 = a free one)" })
        .option("host", {
          type: "string",
          default: "127.0.0.1",
          describe: "Address to listen on; anything but loopback exposes the venue to the network (warned)",
        })
        .option("seed", { type: "number", default: EXCHANGE_DEFAULTS.seed })
        .option("secrets-seed", {
          type: "number",
          describe:
            "Derive API keys, secrets and listenKeys from this seed (the same on every instance; for tests); default random",
        })
        .option("token", {
          type: "string",
          describe: `Control-plane token (at least ${CONTROL_PLANE_DEFAULTS.minTokenLength} characters); default STAMPEDE_CONTROL_TOKEN, else random. argv is visible in the process list: prefer the variable`,
        })
        .option("trust-proxy", {
          type: "boolean",
          default: false,
          describe: "Take the client IP from X-Forwarded-For",
        })
        .option("profile", {
          type: "string",
          describe: `Configure the venue as a drill of this profile would. ${PROFILE_OPTION_HELP}`,
        })
        .option("strategy", {
          type: "string",
          describe: `Provisioning strategy: ${STRATEGY_NAMES.join(", ")}; add +priority-shedding to combine (default ${EXCHANGE_DEFAULTS.capacity.strategy})`,
        })
        .option("oracle", { type: "string", describe: `${ORACLE_HELP}; needs --profile` })
        .option("venue", {
          type: "string",
          describe:
            "Venue file (YAML or JSON; `stampede venue init` writes one): capacity, strategies, replica, limits",
        })
        .option("capacity", {
          type: "string",
          default: "modelled",
          describe: `${CAPACITY_MODES.join(" or ")}; unlimited: no capacity model, so one client's burst meets the weight limit (429, then 418) as on the real venue`,
        }),
    async (argv) => {
      try {
        if (!Number.isInteger(argv.port) || argv.port < 0 || argv.port > 65535) {
          throw new StampedeError("E_USAGE", `--port must be an integer 0-65535, got ${argv.port}`);
        }
        const secretsSeed = argv["secrets-seed"];
        if (secretsSeed !== undefined && !Number.isInteger(secretsSeed))
          throw new StampedeError("E_USAGE", "--secrets-seed must be an integer");
        const envToken = process.env.STAMPEDE_CONTROL_TOKEN?.trim();
        const token = argv.token ?? (envToken === "" ? undefined : envToken);
        const problem = token === undefined ? undefined : controlTokenProblem(token);
        if (problem !== undefined) throw new StampedeError("E_USAGE", `--token: ${problem}`);
        if (!isLoopbackHost(argv.host))
          log(
            `warning: --host ${argv.host} is not loopback: the venue (its keys behind the control token) is reachable from the network`,
          );
        const venue = argv.venue === undefined ? undefined : loadVenue(argv.venue);
        if (venue !== undefined) log(`venue: ${venue.path} (sha256 ${venue.sha256})`);
        const { config, notes } = serveConfig({
          venue,
          profile:
            argv.profile === undefined
              ? undefined
              : resolveProfile(argv.profile, { venueSymbols: VENUE_SYMBOL_NAMES }),
          strategy: argv.strategy,
          oracle: oracleOption(argv.oracle),
          capacity: argv.capacity as CapacityMode,
          seed: argv.seed,
          trustProxy: argv["trust-proxy"],
        });
        for (const note of notes) log(`note: ${note}`);
        const exchange = await startVenueServer({
          port: argv.port,
          host: argv.host,
          controlToken: token,
          config: { ...config, secretsSeed },
        }).catch((err: Error) => {
          throw new StampedeError(
            "E_EXCHANGE_FAILED",
            `could not listen on ${argv.host} port ${argv.port}: ${err.message}`,
          );
        });
        // The URL line first, as before; the token alone on the line right after it, so a script
        // takes it with `sed -n 2p` (a drill --target reads it from STAMPEDE_CONTROL_TOKEN).
        process.stdout.write(`${exchange.url}\n${exchange.controlToken}\n`);
        const stop = () => void exchange.close().then(() => process.exit(EXIT.ok));
        process.once("SIGINT", stop);
        process.once("SIGTERM", stop);
      } catch (err) {
        fail(err);
      }
    },
  )
  .command(
    "calibrate",
    "Measure a venue you own (service time per class, the knee) and write a venue file fitted to it",
    calibrateOptions,
    async (argv) => {
      try {
        await calibrateCommand(argv, log);
      } catch (err) {
        fail(err);
      }
    },
  )
  .command("venue", "Venue files: `venue init FILE` writes today's venue to edit and pass as --venue", (y) =>
    y
      .command(
        "init <file>",
        "Write today's venue (capacity, strategies, replica, limits, prices) as a commented YAML file",
        (v) =>
          v
            .positional("file", { type: "string", demandOption: true, describe: "Where to write it (.yaml)" })
            .option("force", { type: "boolean", default: false, describe: "Overwrite an existing file" }),
        (argv) => {
          try {
            venueInit(argv.file, argv.force);
            process.stdout.write(`${argv.file}\n`);
          } catch (err) {
            fail(err);
          }
        },
      )
      .demandCommand(1, "Name a venue command: init."),
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
  .command(profileCommands(fail))
  .fail((msg, err) => {
    if (err) fail(err);
    process.stderr.write(`stampede: ${msg} [E_USAGE]\nRun "stampede --help" for usage.\n`);
    process.exit(EXIT.usage);
  })
  .help()
  .parseAsync();
