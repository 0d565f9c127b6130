import { mkdir, writeFile } from "node:fs/promises";
import { join, relative, resolve } from "node:path";
import type { Profile } from "../loadtests/profiles/types.ts";
import { StampedeError } from "../loadtests/vocabulary/cliErrors.ts";
import { isOracleMode, ORACLE_MODES, type OracleMode } from "../loadtests/vocabulary/market.ts";
import {
  buildComparison,
  type Comparison,
  type Group,
  groupByRun,
  groupByStrategy,
  groupLabel,
  type LoadedRun,
  loadRun,
} from "../reports/compare.ts";
import type { PricesUsdPerInstanceHour } from "../reports/cost.ts";
import { renderComparisonHtml } from "../reports/render/compareHtml.ts";
import { runDrill } from "./drill.ts";
import { exchangeConfigFor } from "./exchangeConfig.ts";
import { ensureK6, type K6Binary } from "./k6.ts";
import type { ResolvedProfile } from "./profileSource.ts";
import { folderStamp, freeName } from "./runFolder.ts";
import { runSimulation } from "./simulate/run.ts";
import type { LoadedVenue } from "./venue.ts";

/**
 * `stampede compare RUN...` or `stampede compare --profile P --strategies a,b,c [--oracles x,y]
 * [--simulate] [--repeat K]`: runs (second form) every strategy (x every oracle) and compares,
 * writing `<out>/compare-<stamp>/` with comparison.json and comparison.html. The rules live in
 * reports/compare.ts.
 */

export interface CompareOptions {
  /** First form: run folders to compare. */
  runs?: string[] | undefined;
  /**
   * First form: "run" (default) makes every run its own column; "strategy" treats runs of the
   * same strategy as repeats of each other.
   */
  groupBy?: "run" | "strategy" | undefined;
  /** Second form. */
  /** The second form's profile, resolved from `--profile NAME|FILE` (profileSource.ts). */
  profile?: ResolvedProfile | undefined;
  strategies?: string[] | undefined;
  /**
   * Second form: the market model's oracle modes; every strategy runs with each (a column per
   * pair). Needs a profile with `market`. Default: the profile's own oracle, one column per strategy.
   */
  oracles?: string[] | undefined;
  simulate?: boolean | undefined;
  /** Runs per strategy (seeds seed .. seed+repeat-1); default 1. */
  repeat?: number | undefined;
  /** Default: the profile's defaultTimeScale. */
  timeScale?: number | undefined;
  /** First seed; default 1. */
  seed?: number | undefined;
  /** Receives the runs and the comparison folder; default "runs". */
  outDir?: string | undefined;
  log?: ((line: string) => void) | undefined;
  /** Drills only: the k6 to use (default: ensureK6). */
  k6?: K6Binary | undefined;
  progress?: "tty" | "plain" | "none" | undefined;
  /** Prices behind the cost in USD (default: loadtests/vocabulary/pricing.ts). */
  pricesUsdPerInstanceHour?: PricesUsdPerInstanceHour | undefined;
  /** Second form: `--venue FILE` every run is played against. */
  venue?: LoadedVenue | undefined;
}

export interface CompareResult {
  /** The comparison folder (absolute). */
  dir: string;
  comparison: Comparison;
  /** 0, or 3 when a drill's k6 failed (its run is still compared). */
  exitCode: number;
}

/** `a,b, c` -> ["a", "b", "c"]; accepts a repeated option too. */
export function parseStrategies(value: string | readonly string[] | undefined): string[] {
  const list = (Array.isArray(value) ? value : [value ?? ""]) as string[];
  return list
    .flatMap((v) => String(v).split(","))
    .map((s) => s.trim())
    .filter((s) => s !== "");
}

function stampDir(outDir: string): string {
  return join(outDir, freeName(outDir, `compare-${folderStamp()}`));
}

export async function runCompare(opts: CompareOptions): Promise<CompareResult> {
  const log = opts.log ?? (() => {});
  const outDir = resolve(opts.outDir ?? "runs");
  const given = opts.runs ?? [];
  const strategies = opts.strategies ?? [];
  let made: { groups: Group[]; command: string; exitCode: number };
  if (given.length > 0) {
    if (opts.profile !== undefined || strategies.length > 0 || (opts.oracles ?? []).length > 0)
      throw new StampedeError(
        "E_USAGE",
        "give either run folders or --profile with --strategies (and --oracles), not both",
      );
    made = await groupGivenRuns(given, opts.groupBy);
  } else {
    const plan = comparePlan(opts, strategies);
    made = await runStrategies(plan, opts, outDir, log);
  }
  const comparison = buildComparison(made.groups, new Date(), opts.pricesUsdPerInstanceHour);
  const dir = await writeComparison(comparison, made.command, outDir, log);
  return { dir, comparison, exitCode: made.exitCode };
}

/** The first form: the given run folders, one column each or grouped by strategy. */
async function groupGivenRuns(
  given: readonly string[],
  groupBy: CompareOptions["groupBy"],
): Promise<{ groups: Group[]; command: string; exitCode: number }> {
  const loaded: LoadedRun[] = [];
  for (const dir of given) loaded.push(await loadRun(dir));
  const groups = groupBy === "strategy" ? groupByStrategy(loaded) : groupByRun(loaded);
  return { groups, command: `compare ${given.join(" ")}`, exitCode: 0 };
}

/** The second form's runs, checked before any of them starts. */
interface ComparePlan {
  profile: Profile;
  resolved: ResolvedProfile;
  strategies: readonly string[];
  /** undefined: the profile's own oracle (or none), one column per strategy. */
  oracles: readonly (OracleMode | undefined)[];
  repeat: number;
  seed: number;
  timeScale: number;
}

/** `--oracles a,b`: each a known mode, none twice; empty: the profile's. */
export function checkOracles(oracles: readonly string[]): OracleMode[] {
  const unknown = oracles.filter((o) => !isOracleMode(o));
  if (unknown.length > 0)
    throw new StampedeError(
      "E_USAGE",
      `--oracles: unknown oracle mode ${unknown.join(", ")}; one of ${ORACLE_MODES.join(", ")}`,
    );
  if (new Set(oracles).size !== oracles.length)
    throw new StampedeError("E_USAGE", `--oracles names an oracle twice: ${oracles.join(",")}`);
  return oracles as OracleMode[];
}

/** Checks the second form's options; throws E_USAGE / E_UNKNOWN_PROFILE before anything runs. */
function comparePlan(opts: CompareOptions, strategies: readonly string[]): ComparePlan {
  if (opts.profile === undefined || strategies.length === 0)
    throw new StampedeError(
      "E_USAGE",
      "compare needs run folders, or --profile P --strategies a,b (at least one strategy)",
    );
  const resolved = opts.profile;
  const { profile } = resolved;
  const repeat = opts.repeat ?? 1;
  if (!(Number.isInteger(repeat) && repeat >= 1))
    throw new StampedeError("E_USAGE", "--repeat must be an integer >= 1");
  const seed = opts.seed ?? 1;
  if (!Number.isInteger(seed)) throw new StampedeError("E_USAGE", "--seed must be an integer");
  if (opts.timeScale !== undefined && !(opts.timeScale > 0))
    throw new StampedeError("E_USAGE", "--time-scale must be > 0");
  if (new Set(strategies).size !== strategies.length)
    throw new StampedeError("E_USAGE", `--strategies names a strategy twice: ${strategies.join(",")}`);
  const timeScale = opts.timeScale ?? profile.defaultTimeScale;
  const given = checkOracles(opts.oracles ?? []);
  const oracles = given.length > 0 ? given : [undefined];
  // Fail on an unknown strategy, or an oracle for a profile without a market, before running anything.
  for (const strategy of strategies)
    for (const oracle of oracles)
      exchangeConfigFor(profile, {
        timeScale,
        seed,
        strategy,
        scale: "drill",
        venue: opts.venue?.file,
        oracle,
      });
  return { profile, resolved, strategies, oracles, repeat, seed, timeScale };
}

/** What every run of the second form shares. */
interface RunContext {
  plan: ComparePlan;
  opts: CompareOptions;
  outDir: string;
  log: (line: string) => void;
  /** undefined: the runs are simulated. */
  k6: K6Binary | undefined;
}

/**
 * The second form: `repeat` runs of each strategy and oracle (seeds seed, seed+1, ...), one group
 * each: the same seeds for every pair, so the columns differ by what they name alone.
 */
async function runStrategies(
  plan: ComparePlan,
  opts: CompareOptions,
  outDir: string,
  log: (line: string) => void,
): Promise<{ groups: Group[]; command: string; exitCode: number }> {
  const { profile, strategies, repeat, seed, timeScale } = plan;
  const k6 = opts.simulate ? undefined : (opts.k6 ?? (await ensureK6(log)));
  const ctx: RunContext = { plan, opts, outDir, log, k6 };
  let exitCode = 0;
  const groups: Group[] = [];
  for (const strategy of strategies)
    for (const oracle of plan.oracles) {
      const label = groupLabel(strategy, oracle ?? null);
      const runs: LoadedRun[] = [];
      for (let i = 0; i < repeat; i++) {
        log(
          `compare: ${label}, run ${i + 1}/${repeat} (seed ${seed + i})${opts.simulate ? ", simulated" : ""}`,
        );
        const r =
          k6 === undefined
            ? await simulatedRun(ctx, strategy, oracle, i)
            : await drilledRun(ctx, k6, strategy, oracle, i);
        if (r.exitCode !== 0) exitCode = r.exitCode;
        runs.push(await loadRun(r.runDir));
      }
      groups.push({ label, runs });
    }
  const oracles = plan.oracles.filter((o) => o !== undefined);
  const command = `compare --profile ${profile.name} --strategies ${strategies.join(",")}${oracles.length > 0 ? ` --oracles ${oracles.join(",")}` : ""}${opts.simulate ? " --simulate" : ""} --repeat ${repeat} --time-scale ${timeScale} --seed ${seed}`;
  return { groups, command, exitCode };
}

/** Run `i` of a strategy (and oracle), simulated (seed: the plan's + i). */
async function simulatedRun(
  ctx: RunContext,
  strategy: string,
  oracle: OracleMode | undefined,
  i: number,
): Promise<{ runDir: string; exitCode: number }> {
  const r = await runSimulation({
    profile: ctx.plan.resolved,
    strategy,
    oracle,
    scale: "drill",
    timeScale: ctx.plan.timeScale,
    seed: ctx.plan.seed + i,
    method: "auto",
    venue: ctx.opts.venue,
    outDir: ctx.outDir,
    log: ctx.log,
  });
  return { runDir: r.runDir, exitCode: 0 };
}

/** Run `i` of a strategy (and oracle) as a drill; its k6's failure is kept (the run is still compared). */
async function drilledRun(
  ctx: RunContext,
  k6: K6Binary,
  strategy: string,
  oracle: OracleMode | undefined,
  i: number,
): Promise<{ runDir: string; exitCode: number }> {
  const r = await runDrill({
    profile: ctx.plan.resolved,
    timeScale: ctx.opts.timeScale,
    seed: ctx.plan.seed + i,
    outDir: ctx.outDir,
    strategy,
    oracle,
    venue: ctx.opts.venue,
    k6,
    log: ctx.log,
    progress: ctx.opts.progress ?? "none",
  });
  // A signal stops the comparison too: the next drill would start as if nothing
  // happened, and a comparison with a cut-short run in it would compare unlike things.
  if (r.interrupted)
    throw new StampedeError(
      "E_INTERRUPTED",
      `compare interrupted during ${groupLabel(strategy, oracle ?? null)} run ${i + 1}/${ctx.plan.repeat}: no comparison written; its report is in ${r.runDir}`,
    );
  return { runDir: r.runDir, exitCode: r.exitCode };
}

/** Writes comparison.json and comparison.html into a new `compare-<stamp>/`; returns that folder. */
async function writeComparison(
  comparison: Comparison,
  command: string,
  outDir: string,
  log: (line: string) => void,
): Promise<string> {
  await mkdir(outDir, { recursive: true });
  const dir = stampDir(outDir);
  await mkdir(dir);
  // Run folders relative to the comparison folder, so the pair can be moved together.
  for (const g of comparison.groups) for (const r of g.runs) r.runDir = relative(dir, r.runDir) || ".";
  await writeFile(
    join(dir, "comparison.json"),
    `${JSON.stringify({ command: `stampede ${command}`, ...comparison }, null, 2)}\n`,
  );
  await writeFile(
    join(dir, "comparison.html"),
    renderComparisonHtml(
      comparison,
      `stampede comparison — ${comparison.groups.map((g) => g.label).join(" vs ")}`,
    ),
  );
  const shown = relative(process.cwd(), dir);
  log(`compare: wrote ${shown === "" || shown.startsWith("..") ? dir : shown}/comparison.{json,html}`);
  return dir;
}

const sig3 = (x: number) => (Number.isFinite(x) ? String(Number(x.toPrecision(3))) : "never");
const intervalText = (i: { lo: number; hi: number }) => `(${sig3(i.lo)}..${sig3(i.hi)})`;

/** Plain-text table of a comparison (the CLI prints it without --json). */
export function formatComparison(c: Comparison): string {
  const cols = c.metrics.map((m) => `${m.label} (${m.unit})`);
  const rows = c.groups.map((g) => [
    g.label,
    ...c.metrics.map((m) => {
      const s = g.metrics[m.key];
      if (s === undefined) return "-";
      const v =
        s.value === null
          ? m.key === "timeToRecoverMin"
            ? "never"
            : "-"
          : String(Number(s.value.toPrecision(3)));
      const ci = s.ci95 === null ? "" : ` ${intervalText(s.ci95)}`;
      const verdict = g.verdicts[m.key]?.verdict ?? "no difference";
      return `${v}${ci} ${verdict === "baseline" ? "" : `[${verdict}]`}`.trim();
    }),
  ]);
  const table = [["strategy", ...cols], ...rows];
  const widths = table[0]?.map((_, i) => Math.max(...table.map((r) => (r[i] ?? "").length))) ?? [];
  const lines = table.map((r) =>
    r
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join("  ")
      .trimEnd(),
  );
  const higher = c.metrics.filter((m) => m.better === "higher").map((m) => m.label);
  const better = higher.length > 0 ? `lower is better but for ${higher.join(", ")}` : "lower is better";
  return `${lines.join("\n")}\n(${c.noise}; baseline ${c.baseline}; ${better})\n`;
}
