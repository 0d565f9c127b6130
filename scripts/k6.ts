import { execFile, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { StampedeError } from "../loadtests/vocabulary/cliErrors.ts";
import { EXTENSION_DIR, extensionHash, goBuildCommand, hasStampedeOutput } from "./k6Build.ts";
import { ROOT } from "./paths.ts";

/** The one place the k6 version is pinned (v1.x flags, go >= 1.25; loadtests/k6-output/go.mod pins the same). */
export const K6_VERSION = "v1.8.1";
export const K6_MODULE = "go.k6.io/k6";
const GO_MIN_MINOR = 25;

const run = promisify(execFile);

export interface K6Binary {
  path: string;
  version: string;
  source: "K6_BIN" | "PATH" | ".tools" | "built";
  /** The binary has stampede's output extension (`--out stampede`); without it drills write a csv. */
  extension: boolean;
  buildSeconds?: number;
}

/** .tools/k6/<version>-stampede-<hash of the extension's sources>: a changed extension rebuilds. */
export function toolsDir(): string {
  return join(ROOT, ".tools", "k6", `${K6_VERSION}-stampede-${extensionHash()}`);
}

/** `k6 version`: its version and whether it lists the stampede output; undefined when it does not run. */
async function probe(bin: string): Promise<{ version: string | undefined; extension: boolean } | undefined> {
  try {
    const { stdout } = await run(bin, ["version"], { timeout: 20_000 });
    return { version: /k6 (v\d+\.\d+\.\d+)/.exec(stdout)?.[1], extension: hasStampedeOutput(stdout) };
  } catch {
    return undefined;
  }
}

async function onPath(name: string, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  for (const dir of (env.PATH ?? "").split(":")) {
    if (dir !== "" && existsSync(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

/**
 * Finds k6: K6_BIN, then PATH (only the pinned version with the stampede output), then .tools/,
 * else builds the pinned version with the extension (scripts/k6Build.ts) into .tools/ once. A
 * K6_BIN without the extension is used, with a warning: drills then write k6's csv instead. No
 * k6 and no Go: E_K6_MISSING (exit 2).
 */
export interface EnsureOptions {
  /** Where K6_BIN and PATH are read (tests pass their own). */
  env?: NodeJS.ProcessEnv;
  /** Folder of the cached build; default .tools/k6/<version> in the repository. */
  dir?: string;
}

export async function ensureK6(
  log: (line: string) => void = () => {},
  options: EnsureOptions = {},
): Promise<K6Binary> {
  const env = options.env ?? process.env;
  const dir = options.dir ?? toolsDir();
  const fromEnv = env.K6_BIN;
  if (fromEnv !== undefined && fromEnv !== "") {
    const found = await probe(fromEnv);
    const version = found?.version;
    if (found === undefined || version === undefined)
      throw new StampedeError(
        "E_K6_MISSING",
        `K6_BIN=${fromEnv} does not run as k6 ("${fromEnv} version" failed).`,
      );
    if (version !== K6_VERSION)
      log(`warning: K6_BIN is k6 ${version}; stampede is tested with ${K6_VERSION}`);
    if (!found.extension)
      log(
        `warning: K6_BIN has no stampede output extension ("${fromEnv} version" lists none): drills write k6's raw csv ` +
          `instead (slower, larger) and cannot measure lateness. Unset K6_BIN to build k6 with it (npm run k6:ensure).`,
      );
    return { path: fromEnv, version, source: "K6_BIN", extension: found.extension };
  }
  const pathK6 = await onPath("k6", env);
  if (pathK6 !== undefined) {
    const found = await probe(pathK6);
    if (found?.version === K6_VERSION && found.extension)
      return { path: pathK6, version: K6_VERSION, source: "PATH", extension: true };
  }
  const cached = join(dir, "k6");
  if (existsSync(cached)) {
    const found = await probe(cached);
    if (found?.version === K6_VERSION && found.extension)
      return { path: cached, version: K6_VERSION, source: ".tools", extension: true };
  }
  return buildK6(log, env, dir);
}

async function buildK6(log: (line: string) => void, env: NodeJS.ProcessEnv, dir: string): Promise<K6Binary> {
  const go = await onPath("go", env);
  if (go === undefined) {
    throw new StampedeError(
      "E_K6_MISSING",
      `k6 ${K6_VERSION} was not found and Go is not installed to build it. Either install k6 ${K6_VERSION} ` +
        `(https://grafana.com/docs/k6/latest/set-up/install-k6/) and put it on PATH or set K6_BIN=/path/to/k6, ` +
        `or install Go >= 1.${GO_MIN_MINOR} (https://go.dev/doc/install) and run this again.`,
    );
  }
  const { stdout } = await run(go, ["version"]);
  const minor = Number(/go1\.(\d+)/.exec(stdout)?.[1] ?? 0);
  if (minor < GO_MIN_MINOR) {
    throw new StampedeError(
      "E_GO_TOO_OLD",
      `k6 ${K6_VERSION} needs Go >= 1.${GO_MIN_MINOR}; found: ${stdout.trim()}.`,
    );
  }
  log(
    `building k6 ${K6_VERSION} with the stampede output (${EXTENSION_DIR}) using ${stdout.trim()} into ${dir} ` +
      `(once per change of the extension; a first build downloads modules and takes minutes)...`,
  );
  const started = Date.now();
  const path = join(dir, "k6");
  const build = goBuildCommand(path, env);
  const code = await new Promise<number>((resolve) => {
    const child = spawn(go, build.args, {
      cwd: EXTENSION_DIR,
      env: build.env,
      // Go's output to our stderr: stdout is for figures (`drill --json` prints JSON alone there).
      stdio: ["ignore", 2, "inherit"],
    });
    child.on("exit", (c) => resolve(c ?? 1));
    child.on("error", () => resolve(1));
  });
  const built = code === 0 ? await probe(path) : undefined;
  if (built?.version !== K6_VERSION || !built.extension) {
    throw new StampedeError(
      "E_K6_BUILD_FAILED",
      `go ${build.args.join(" ")} in ${EXTENSION_DIR} failed (exit ${code}); see the output above.`,
    );
  }
  const buildSeconds = Math.round((Date.now() - started) / 100) / 10;
  log(`built k6 ${K6_VERSION} with the stampede output in ${buildSeconds} s`);
  return { path, version: K6_VERSION, source: "built", extension: true, buildSeconds };
}
