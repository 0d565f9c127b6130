import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { PROFILES } from "../loadtests/profiles/index.ts";
import { startMockExchange } from "../mock-exchange/api/server.ts";
import { EXCHANGE_DEFAULTS } from "../mock-exchange/defaults.ts";
import { renderRun } from "../reports/report.ts";
import { runDrill } from "./drill.ts";
import { EXIT, StampedeError } from "./errors.ts";
import { ensureK6 } from "./k6.ts";

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
        .option("seed", {
          type: "number",
          default: 1,
          describe: "Seed of the exchange's service times and of k6's Math.random",
        })
        .option("out", { type: "string", default: "runs", describe: "Folder that receives runs/<id>/" })
        .option("workers", {
          type: "number",
          default: EXCHANGE_DEFAULTS.capacity.workers,
          describe: "Gateway workers of the fixed-capacity model",
        })
        .option("json", {
          type: "boolean",
          default: false,
          describe: "Print summary.json to stdout at the end",
        })
        .conflicts("time-scale", "duration"),
    async (argv) => {
      try {
        const k6 = await ensureK6(log);
        const result = await runDrill({
          profileName: argv.profile,
          timeScale: argv["time-scale"],
          durationS: argv.duration,
          seed: argv.seed,
          outDir: argv.out,
          workers: argv.workers,
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
