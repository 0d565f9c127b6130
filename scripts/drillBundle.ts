import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { build } from "esbuild";
import type { K6DrillPlan } from "../loadtests/lib/k6Plan.ts";
import { ROOT } from "./paths.ts";

/**
 * What k6 runs in a drill, written into the run folder before it starts: the drill script bundled
 * into one ES module (`drill.js`) and the plan it executes (`k6-plan.json`).
 *
 * Why a bundle: k6 instantiates every module of the script's graph in every VU, and each module
 * costs its own records and bindings. The drill's 20-odd files cost 0.96 MB of k6 RSS per VU, the
 * same code as one module 0.67, a bare script 0.26 (`npm run bench -- generator_drill_rss_mb_per_vu`,
 * 1,025 VUs at a flat 1,500 requests/s, 2026-12-04).
 * k6 modules (`k6`, `k6/*`) stay imports: k6 provides them.
 */

export const K6_BUNDLE_FILE = "drill.js";
export const K6_PLAN_FILE = "k6-plan.json";

/**
 * The drill script's entry: the whole drill when the plan has liquidation-stream watchers, else
 * its request scenarios alone, whose VUs then load no WebSocket module (loadtests/drillRequests.ts
 * says what that saves).
 */
export function drillEntry(plan: Pick<K6DrillPlan, "watcherHoldWallMs">): string {
  return join(ROOT, "loadtests", plan.watcherHoldWallMs === undefined ? "drillRequests.ts" : "drill.ts");
}

/** The drill script `entry` bundled (esbuild, ES module, k6 modules external); its text. */
export async function drillBundleText(entry: string): Promise<string> {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    format: "esm",
    platform: "neutral",
    target: "es2022",
    external: ["k6", "k6/*"],
    write: false,
    outfile: K6_BUNDLE_FILE,
    logLevel: "silent",
    // Readable in the run folder: a reader can follow what ran, file by file.
    minify: false,
    legalComments: "none",
  });
  const [out] = result.outputFiles;
  if (out === undefined) throw new Error(`esbuild wrote nothing for ${entry}`);
  return out.text;
}

/** The drill script `entry` bundled into `file`. */
export async function bundleDrillScript(file: string, entry: string): Promise<void> {
  await writeFile(file, await drillBundleText(entry));
}

/** Writes the bundle and the plan into `dir`; returns their paths. */
export async function writeK6Inputs(
  dir: string,
  plan: K6DrillPlan,
): Promise<{ script: string; plan: string }> {
  const script = join(dir, K6_BUNDLE_FILE);
  const planPath = join(dir, K6_PLAN_FILE);
  await Promise.all([
    bundleDrillScript(script, drillEntry(plan)),
    writeFile(planPath, `${JSON.stringify(plan, null, 2)}\n`),
  ]);
  return { script, plan: planPath };
}
