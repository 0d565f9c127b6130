import { existsSync } from "node:fs";
import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { StampedeError } from "../loadtests/vocabulary/cliErrors.ts";
import type { TimelinePoint, WallPhase } from "../loadtests/vocabulary/runFolder.ts";
import { TRAFFIC_CLASSES } from "../loadtests/vocabulary/traffic.ts";
import { HLOG_FILE, readIngested, runHlogFiles, writeHgrmFiles, writeIngested } from "./hlog.ts";
import { type Histogram, type Ingested, ingestK6Csv } from "./ingest.ts";
import type { GeneratorPoint, ReportModel, Summary } from "./model.ts";
import { percentileSpectrum } from "./render/charts.ts";
import { renderReportHtml, reportCharts } from "./render/html.ts";
import { writeChartFiles } from "./render/png.ts";
import { SparseHistogram } from "./sparse.ts";
import { buildSummary, secondPoints } from "./summary.ts";

/**
 * The reporter's entry: reads only the files of `runs/<id>/` and writes summary.json,
 * report.html and charts/<chart>.svg|png next to them, so any run can be re-rendered later
 * (`stampede report <dir>`).
 */

/**
 * Spectrum of one rolled-up histogram. Its buckets are copied into a sparse histogram first:
 * the same buckets and percentiles, but each of the ~100 percentile reads walks only the
 * occupied buckets instead of all ~23,500 counts of an HdrHistogram.
 */
function spectrumOf(h: Histogram | undefined): Array<[number, number]> {
  if (h === undefined || h.totalCount === 0) return [];
  const sparse = new SparseHistogram();
  sparse.addHistogram(h);
  return percentileSpectrum(sparse);
}

function runSpectrum(ingested: Ingested): NonNullable<ReportModel["spectrum"]> {
  const byClass: NonNullable<ReportModel["spectrum"]>["byClass"] = {};
  for (const c of TRAFFIC_CLASSES) {
    const points = spectrumOf(ingested.byClass[c]?.latencyUs);
    if (points.length > 0) byClass[c] = points;
  }
  return { overall: spectrumOf(ingested.overall.latencyUs), byClass };
}

async function readJsonLines<T>(path: string): Promise<T[]> {
  if (!existsSync(path)) return [];
  const text = await readFile(path, "utf8");
  return text
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as T);
}

/** True when run.json says k6 wrote latency(-<i>).hlog itself and they are there. */
async function fromK6Extension(runDir: string, run: Record<string, unknown>): Promise<boolean> {
  const outputs = (run.k6 as { outputs?: unknown } | undefined)?.outputs;
  if (!Array.isArray(outputs) || !outputs.includes("stampede")) return false;
  return (await runHlogFiles(runDir)).length > 0;
}

async function readClientFiles(runDir: string, phases: readonly WallPhase[]): Promise<Ingested> {
  try {
    return await readIngested(runDir, phases);
  } catch (err) {
    throw new StampedeError(
      "E_REPORT_FAILED",
      `${runDir}: cannot read ${HLOG_FILE} / client.jsonl: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
}

export async function renderRun(runDir: string): Promise<Summary> {
  const runPath = join(runDir, "run.json");
  if (!existsSync(runPath))
    throw new StampedeError("E_RUN_NOT_FOUND", `${runDir} is not a run folder (no run.json).`);
  const run = JSON.parse(await readFile(runPath, "utf8")) as Record<string, unknown> & {
    id: string;
    plan: { phases: WallPhase[]; durationS: number };
    /** Simulated runs: t0 (unix ms), the same instant as latency.hlog's StartTime. */
    t0Ms?: unknown;
  };
  const csvFiles = (await readdir(runDir))
    .filter((f) => /^k6.*\.csv(\.gz)?$/.test(f))
    .map((f) => join(runDir, f));
  const phases = run.plan.phases;
  let ingested: Ingested;
  let t0Ms: number;
  if (await fromK6Extension(runDir, run)) {
    // k6 aggregated inside itself (--out stampede): its files are the source, even when the raw
    // samples were kept beside them (--raw-samples), and they are not rewritten.
    ingested = await readClientFiles(runDir, phases);
    await writeHgrmFiles(runDir, ingested);
    t0Ms = (ingested.t0Us ?? 0) / 1000;
  } else if (csvFiles.length > 0) {
    // A drill: k6's raw samples are the source; keep the per-second form next to them.
    ingested = await ingestK6Csv(csvFiles, phases);
    await writeIngested(runDir, ingested);
    t0Ms = (ingested.t0Us ?? 0) / 1000;
  } else if ((await runHlogFiles(runDir)).length > 0) {
    // A simulated run (or a drill whose csv was pruned): latency.hlog + client.jsonl.
    ingested = await readClientFiles(runDir, phases);
    const given = run.t0Ms;
    t0Ms = typeof given === "number" && Number.isFinite(given) ? given : (ingested.t0Us ?? 0) / 1000;
  } else {
    throw new StampedeError(
      "E_REPORT_FAILED",
      `${runDir} has no client data: neither k6 samples (k6*.csv.gz) nor ${HLOG_FILE}.`,
    );
  }
  const timeline = (await readJsonLines<TimelinePoint>(join(runDir, "timeline.jsonl"))).map((p) => ({
    ...p,
    t: (p.tsMs - 1000 - t0Ms) / 1000,
  }));
  const generator = (await readJsonLines<GeneratorPoint>(join(runDir, "generator.jsonl"))).map((g) => ({
    ...g,
    t: (g.tsMs - 1000 - t0Ms) / 1000,
  }));
  const seconds = secondPoints(ingested);
  const duringDrill = generator.filter((g) => g.t >= 0 && g.t < run.plan.durationS);
  const summary = buildSummary(ingested, phases, duringDrill, seconds.length, { run, timeline });
  const model: ReportModel = {
    runId: run.id,
    run,
    summary,
    seconds,
    timeline: timeline.filter((p) => p.t >= -1),
    generator: generator.filter((g) => g.t >= -1),
    phases: phases.map((p) => ({ ...p })),
    spectrum: runSpectrum(ingested),
  };
  await writeFile(join(runDir, "summary.json"), `${JSON.stringify(summary, null, 2)}\n`);
  // One set of figures for the page and for charts/*.svg|png: the same definitions, the same look.
  const figures = reportCharts(model);
  await writeFile(join(runDir, "report.html"), renderReportHtml(model, figures));
  await writeChartFiles(runDir, run.id, figures);
  return summary;
}
