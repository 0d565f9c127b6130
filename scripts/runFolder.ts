import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { ROOT } from "./paths.ts";

/** The run's start as it appears in folder names: `2026-11-23T18-10-06` (UTC, no colons). */
export function folderStamp(date = new Date()): string {
  return date.toISOString().slice(0, 19).replace(/:/g, "-");
}

/** `base`, or `base-2`, `base-3`, ... whichever does not exist yet in outDir. */
export function freeName(outDir: string, base: string): string {
  let name = base;
  for (let n = 2; existsSync(join(outDir, name)); n++) name = `${base}-${n}`;
  return name;
}

/** A new run folder's id: `<stamp>-<name>`, unique in outDir. */
export function runId(name: string, outDir: string): string {
  return freeName(outDir, `${folderStamp()}-${name}`);
}

/** stampede's own version, for run.json. */
export async function packageVersion(): Promise<string> {
  const pkg = JSON.parse(await readFile(join(ROOT, "package.json"), "utf8")) as { version: string };
  return pkg.version;
}
