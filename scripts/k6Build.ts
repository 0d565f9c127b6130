import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { ROOT } from "./paths.ts";

/**
 * The k6 that drills run is k6 with stampede's output extension built in (loadtests/k6-output/:
 * its own go.mod, a `main` in cmd/k6 that xk6 would generate). Its build folder is named after
 * a hash of the extension's sources, so a changed extension is a new folder and a rebuild.
 */

/** The Go module of the extension. */
export const EXTENSION_DIR = join(ROOT, "loadtests", "k6-output");
/** The `--out` name the extension registers. */
export const EXTENSION_OUTPUT = "stampede";

/** Files that go into the binary: go.mod, go.sum and non-test Go sources (not testdata). */
function buildInputs(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const path = join(d, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== "testdata") walk(path);
      } else if (
        entry.name === "go.mod" ||
        entry.name === "go.sum" ||
        (entry.name.endsWith(".go") && !entry.name.endsWith("_test.go"))
      )
        out.push(path);
    }
  };
  walk(dir);
  return out.sort();
}

/** First 12 hex digits of a SHA-256 over the build inputs' paths and contents. */
export function extensionHash(dir: string = EXTENSION_DIR): string {
  const hash = createHash("sha256");
  for (const file of buildInputs(dir)) {
    hash.update(relative(dir, file));
    hash.update("\0");
    hash.update(readFileSync(file));
    hash.update("\0");
  }
  return hash.digest("hex").slice(0, 12);
}

/**
 * True when `k6 version` lists the extension's output. k6 v1.x prints each built-in extension
 * under "Extensions:", e.g. `  github.com/stampede/k6-output.New , stampede [output]`.
 */
export function hasStampedeOutput(versionText: string): boolean {
  return new RegExp(`^\\s+\\S.*,\\s*${EXTENSION_OUTPUT} \\[output\\]\\s*$`, "m").test(versionText);
}

/** `go build` arguments and environment for the binary, run inside EXTENSION_DIR. */
export function goBuildCommand(
  outPath: string,
  env: NodeJS.ProcessEnv,
): { args: string[]; env: NodeJS.ProcessEnv } {
  return {
    args: ["build", "-trimpath", "-o", outPath, "./cmd/k6"],
    // -mod=mod: a fresh clone resolves modules from go.sum through the module proxy.
    env: { ...env, GOFLAGS: "-mod=mod -buildvcs=false", CGO_ENABLED: "0" },
  };
}
