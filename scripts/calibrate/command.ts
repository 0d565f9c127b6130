import type { Argv } from "yargs";
import type { TierName } from "../../loadtests/vocabulary/capacity.ts";
import { StampedeError } from "../../loadtests/vocabulary/cliErrors.ts";
import { writeNewFile } from "../venueInit.ts";
import { CALIBRATED_CLASSES, type CalibratedClassName } from "./requests.ts";
import { runCalibrate } from "./run.ts";

/** `stampede calibrate`'s options, kept beside calibration so the CLI's table stays short. */
export function calibrateOptions(y: Argv) {
  return y
    .option("target", {
      type: "string",
      demandOption: true,
      describe: "Base URL of the Binance-USDⓈ-M-compatible venue to measure",
    })
    .option("i-own-this-target", {
      type: "boolean",
      default: false,
      describe: "Required for a --target that is not loopback: you are allowed to load it",
    })
    .option("max-rps", {
      type: "number",
      demandOption: true,
      describe: "Rate cap, requests per second: no load step exceeds it (checked before anything is sent)",
    })
    .option("classes", {
      type: "string",
      default: CALIBRATED_CLASSES.join(","),
      describe: "Traffic classes to measure, comma-separated (order, position, depth)",
    })
    .option("instances", {
      type: "string",
      describe:
        "Instances per tier the fitted workers are split into, e.g. gateway=3,read=2 (default: stampede's)",
    })
    .option("out", { type: "string", describe: "Write the calibrated venue file here (default: stdout)" })
    .option("force", { type: "boolean", default: false, describe: "Overwrite --out if it exists" })
    .option("json", { type: "boolean", default: false, describe: "Print the fit as JSON on stdout" });
}

type CalibrateArgv = Awaited<ReturnType<typeof calibrateOptions>["argv"]>;

function parseClasses(text: string): CalibratedClassName[] {
  const names = text
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  for (const n of names)
    if (!(CALIBRATED_CLASSES as readonly string[]).includes(n))
      throw new StampedeError(
        "E_USAGE",
        `--classes: unknown class "${n}"; known: ${CALIBRATED_CLASSES.join(", ")}`,
      );
  return [...new Set(names)] as CalibratedClassName[];
}

function parseInstances(text: string | undefined): Partial<Record<TierName, number>> {
  const out: Partial<Record<TierName, number>> = {};
  for (const part of (text ?? "").split(",")) {
    if (part.trim() === "") continue;
    const [tier, n] = part.split("=").map((s) => s.trim());
    if (tier === undefined || n === undefined || n === "")
      throw new StampedeError("E_USAGE", `--instances: "${part}" is not tier=N`);
    out[tier as TierName] = Number(n);
  }
  return out;
}

export async function calibrateCommand(argv: CalibrateArgv, log: (line: string) => void): Promise<void> {
  const result = await runCalibrate({
    target: argv.target,
    iOwnThisTarget: argv["i-own-this-target"],
    maxRps: argv["max-rps"],
    classes: parseClasses(argv.classes),
    instances: parseInstances(argv.instances),
    log,
  });
  log(`calibrated in ${result.elapsedS.toFixed(1)} s`);
  if (argv.out !== undefined) {
    writeNewFile(argv.out, result.yaml, argv.force);
    log(`wrote ${argv.out}`);
  }
  if (argv.json) process.stdout.write(`${JSON.stringify(result.fit, null, 2)}\n`);
  else if (argv.out === undefined) process.stdout.write(result.yaml);
  else process.stdout.write(`${argv.out}\n`);
}
