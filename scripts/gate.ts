import { existsSync, statSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { basename, dirname, extname, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { tsImport } from "tsx/esm/api";
import {
  type CheckResult,
  evaluateGate,
  formatJUnit,
  formatMarkdown,
  formatTable,
  type GateConfig,
  type GateConfigOverrides,
  type GateMeta,
  type GateOutcome,
  parseGateConfig,
} from "../reports/gate.ts";
import { strategyName } from "../reports/summary.ts";
import { EXIT, StampedeError } from "./errors.ts";

/**
 * `stampede gate RUN --config gate.json [--baseline RUN] [--max-regression 10%] [--junit FILE]
 * [--markdown FILE] [--json]`: the file I/O around reports/gate.ts. Reads the run's (and the
 * baseline's) summary.json, and run.json only for the labels (id, profile) of the outputs.
 */

export interface GateOptions {
  /** A run folder (`runs/<id>/`), its summary.json, or a run id under ./runs. */
  run: string;
  /** gate.json, or a .ts/.mts/.js/.mjs module whose default export is the config. */
  config: string;
  baseline?: string | undefined;
  /** e.g. "10%"; wins over the config's maxRegression. */
  maxRegression?: string | undefined;
  /** Write JUnit XML here. */
  junit?: string | undefined;
  /** Write the Markdown summary here (replaced if it exists). */
  markdown?: string | undefined;
}

export interface GateJson {
  passed: boolean;
  exitCode: number;
  run: string;
  profile: string | null;
  strategy: string | null;
  baseline: string | null;
  maxRegression: number;
  results: CheckResult[];
  notes: string[];
}

export interface GateRunResult {
  /** EXIT.ok when every check passed, EXIT.gateFailed otherwise. */
  exitCode: number;
  /** The readable table for stdout. */
  table: string;
  results: CheckResult[];
  outcome: GateOutcome;
  meta: GateMeta;
  markdown: string;
  junit: string;
  /** What `--json` prints. */
  json: GateJson;
}

const MODULE_EXTENSIONS = new Set([".ts", ".mts", ".js", ".mjs"]);

/** Loads and validates the config once; any problem is E_BAD_GATE_CONFIG (exit 2). */
export async function loadGateConfig(path: string, overrides: GateConfigOverrides = {}): Promise<GateConfig> {
  const full = resolve(path);
  if (!existsSync(full) || !statSync(full).isFile())
    throw new StampedeError("E_BAD_GATE_CONFIG", `gate config ${path} not found`);
  let raw: unknown;
  if (MODULE_EXTENSIONS.has(extname(full))) {
    // tsImport transforms the file whether Node sees it as ESM or CommonJS (a .ts outside any
    // package with "type": "module" is CommonJS, which the ESM loader hook alone would not touch).
    let mod: Record<string, unknown>;
    try {
      mod = (await tsImport(pathToFileURL(full).href, import.meta.url)) as Record<string, unknown>;
    } catch (err) {
      throw new StampedeError(
        "E_BAD_GATE_CONFIG",
        `${path}: cannot load: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
    mod = unwrapInterop(mod);
    if (mod.default === undefined)
      throw new StampedeError(
        "E_BAD_GATE_CONFIG",
        `${path}: no default export (export default { thresholds: [...] })`,
      );
    raw = mod.default;
  } else {
    const text = await readFile(full, "utf8");
    try {
      raw = JSON.parse(text);
    } catch (err) {
      throw new StampedeError(
        "E_BAD_GATE_CONFIG",
        `${path}: not valid JSON: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
  }
  return parseGateConfig(raw, path, overrides);
}

/** A CommonJS module imported as ESM has its exports under `default` (with `__esModule`): unwrap once. */
function unwrapInterop(mod: Record<string, unknown>): Record<string, unknown> {
  const inner = mod.default;
  if (inner !== null && typeof inner === "object" && (inner as Record<string, unknown>).__esModule === true)
    return inner as Record<string, unknown>;
  return mod;
}

export interface RunSummary {
  dir: string;
  summary: Record<string, unknown>;
  meta: GateMeta;
}

/** Finds and reads `<run>/summary.json`; E_RUN_NOT_FOUND when there is none. */
export async function readRunSummary(run: string): Promise<RunSummary> {
  let dir = run;
  let summaryPath: string;
  if (existsSync(run) && statSync(run).isFile()) {
    summaryPath = run;
    dir = dirname(run);
  } else {
    if (!existsSync(run) && existsSync(join("runs", run))) dir = join("runs", run);
    summaryPath = join(dir, "summary.json");
  }
  if (!existsSync(summaryPath))
    throw new StampedeError(
      "E_RUN_NOT_FOUND",
      existsSync(dir)
        ? `${run} has no summary.json (render it with "stampede report ${run}")`
        : `${run} is not a run folder (not found)`,
    );
  let summary: unknown;
  try {
    summary = JSON.parse(await readFile(summaryPath, "utf8"));
  } catch (err) {
    throw new StampedeError(
      "E_RUN_NOT_FOUND",
      `${summaryPath} is not valid JSON: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  if (summary === null || typeof summary !== "object" || Array.isArray(summary))
    throw new StampedeError("E_RUN_NOT_FOUND", `${summaryPath} does not hold a summary object`);
  const s = summary as Record<string, unknown>;
  const label = await runLabel(dir);
  return {
    dir,
    summary: s,
    meta: {
      runId: label.id ?? (basename(resolve(dir)) || dir),
      profile: label.profile,
      // Older summaries lack the strategy; run.json has it.
      strategy: typeof s.strategy === "string" ? s.strategy : label.strategy,
    },
  };
}

/** The run's id, profile and strategy from run.json, for labels only; nothing is checked against it. */
async function runLabel(
  dir: string,
): Promise<{ id: string | null; profile: string | null; strategy: string | null }> {
  try {
    const run = JSON.parse(await readFile(join(dir, "run.json"), "utf8")) as Record<string, unknown>;
    const id = typeof run.id === "string" ? run.id : null;
    const p = run.profile;
    const plan = run.plan as Record<string, unknown> | undefined;
    const profile =
      typeof p === "string"
        ? p
        : p !== null && typeof p === "object" && typeof (p as Record<string, unknown>).name === "string"
          ? ((p as Record<string, unknown>).name as string)
          : typeof plan?.profile === "string"
            ? plan.profile
            : null;
    return { id, profile, strategy: strategyName(run) };
  } catch {
    return { id: null, profile: null, strategy: null };
  }
}

async function writeOutput(path: string, text: string, flag: string): Promise<void> {
  try {
    await mkdir(dirname(resolve(path)), { recursive: true });
    await writeFile(path, text);
  } catch (err) {
    throw new StampedeError(
      "E_USAGE",
      `cannot write ${flag} ${path}: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
}

export async function runGate(options: GateOptions): Promise<GateRunResult> {
  const config = await loadGateConfig(options.config, { maxRegression: options.maxRegression });
  if (config.thresholds.length === 0 && options.baseline === undefined)
    throw new StampedeError(
      "E_BAD_GATE_CONFIG",
      `${options.config}: nothing to check: no thresholds, and no --baseline to compare with`,
    );
  const current = await readRunSummary(options.run);
  const baseline = options.baseline === undefined ? undefined : await readRunSummary(options.baseline);
  const outcome = evaluateGate(current.summary, config, { baseline: baseline?.summary });
  const meta: GateMeta = { ...current.meta, baselineId: baseline?.meta.runId ?? null };
  const table = formatTable(outcome, meta);
  const junit = formatJUnit(outcome, meta, new Date());
  const markdown = formatMarkdown(outcome, meta, current.summary);
  if (options.junit !== undefined) await writeOutput(options.junit, junit, "--junit");
  if (options.markdown !== undefined) await writeOutput(options.markdown, markdown, "--markdown");
  const exitCode = outcome.passed ? EXIT.ok : EXIT.gateFailed;
  return {
    exitCode,
    table,
    results: outcome.results,
    outcome,
    meta,
    markdown,
    junit,
    json: {
      passed: outcome.passed,
      exitCode,
      run: meta.runId,
      profile: meta.profile,
      strategy: meta.strategy,
      baseline: meta.baselineId ?? null,
      maxRegression: config.maxRegression,
      results: outcome.results,
      notes: outcome.notes,
    },
  };
}
