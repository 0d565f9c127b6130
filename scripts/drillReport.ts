import { readFile } from "node:fs/promises";
import { join, relative } from "node:path";
import type { Summary } from "../reports/model.ts";
import { renderRun } from "../reports/report.ts";
import type { RunRecord } from "./drillRunRecord.ts";
import { EXIT, StampedeError } from "./errors.ts";

/**
 * The drill's last step: the report of the run folder, the drill's exit code (k6's failure, a
 * redirecting venue), and the lines that tell the user how it went.
 */

/** The report of runDir; any failure that is not already a StampedeError becomes E_REPORT_FAILED. */
export async function renderDrillReport(runDir: string): Promise<Summary> {
  return renderRun(runDir).catch((err: unknown) => {
    throw err instanceof StampedeError
      ? err
      : new StampedeError(
          "E_REPORT_FAILED",
          `report of ${runDir} failed: ${err instanceof Error ? err.message : String(err)}`,
        );
  });
}

/** The run folder as the user should see it: relative when inside the working directory (runs/<id>/), absolute otherwise. */
export function shownRunDir(runDir: string): string {
  const fromCwd = relative(process.cwd(), runDir);
  return fromCwd === "" || fromCwd.startsWith("..") ? runDir : fromCwd;
}

/**
 * The drill's exit code, with the reason logged: k6's failure (unless a signal stopped it), or
 * a venue that answered the drill's own traffic with redirects (k6 followed none of them).
 */
export async function drillExitCode(
  run: RunRecord,
  runDir: string,
  k6Exit: number,
  log: (line: string) => void,
): Promise<number> {
  const generators = run.k6.generators;
  let exitCode: number = k6Exit === 0 || run.interrupted ? EXIT.ok : EXIT.harness;
  if (exitCode !== EXIT.ok) {
    const failed = generators.find((g) => g.exitCode !== 0) ?? generators[0];
    log(`k6 exited with code ${k6Exit}; see ${join(shownRunDir(runDir), failed?.log ?? "k6.log")}`);
  }
  const redirect = await redirectInK6Logs(generators.map((g) => join(runDir, g.log)));
  if (redirect !== undefined) {
    const err = new StampedeError(
      "E_TARGET_REDIRECT",
      `the target answered k6's ${redirect.request} with ${redirect.status} redirecting to ${redirect.location}; no redirect was followed and those requests count as errors: give --target the venue's own URL`,
    );
    log(`stampede: ${err.message} [${err.code}]`);
    exitCode = err.exitCode;
  }
  return exitCode;
}

/** The warnings and the closing line of a drill. */
export function logDrillOutcome(run: RunRecord, summary: Summary, log: (line: string) => void): void {
  if (run.venueResetDetected)
    log("warning: the venue was reset by someone else during the drill (run.json venueResetDetected)");
  for (const w of summary.generator.warnings) log(`warning: ${w}`);
  if (summary.complete === false) log(`incomplete run: ${summary.incompleteReason ?? "no reason given"}`);
  const pct = (rate: number | undefined) => `${((rate ?? 0) * 100).toFixed(1)}%`;
  log(
    `done: ${summary.requests} requests, served p99 ${summary.served?.latencyMs.p99 ?? "-"} ms, refused by policy ${pct(summary.rejected.policy?.rate)}, for capacity ${pct(summary.rejected.capacity?.rate)}, ` +
      `p99 ${summary.latencyMs.p99} ms (all), stale reads ${summary.staleReads.count}/${summary.staleReads.checked}, dropped iterations ${summary.droppedIterations}`,
  );
}

/** What loadtests/drillRequests.ts logs when a response of the drill's own traffic is a redirect. */
const REDIRECT_MARK = /stampede-redirect (\d{3}) ([A-Z]+ \S+) -> ([^\s"\\]+)/;

/** The first redirect k6 logged in any generator's log, or undefined. */
async function redirectInK6Logs(
  logs: string[],
): Promise<{ status: number; request: string; location: string } | undefined> {
  for (const path of logs) {
    const text = await readFile(path, "utf8").catch(() => "");
    const m = REDIRECT_MARK.exec(text);
    // The Location's query (a signed request's parameters) is left out of the message.
    if (m !== null)
      return {
        status: Number(m[1]),
        request: m[2] as string,
        location: (m[3] as string).split("?")[0] as string,
      };
  }
  return undefined;
}
