import { type ChildProcess, execFile, spawn } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { folderOutput } from "../../scripts/cliOutput.ts";
import { controlFetch } from "./fixture.ts";

/**
 * The CLI's hygiene, through bin/stampede.js as a user runs it: arguments are checked before k6
 * is looked for, --json prints JSON alone on stdout, a missing install is exit 3 with what to
 * do, and `serve`'s options configure the venue (or are refused with exit 2).
 */

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, "..", "..");
const CLI = join(ROOT, "bin", "stampede.js");

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

async function stampede(args: string[], env: NodeJS.ProcessEnv = process.env, cli = CLI): Promise<Result> {
  try {
    const { stdout, stderr } = await run(process.execPath, [cli, ...args], { env, timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === "number" ? e.code : -1, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
  }
}

/** No k6 anywhere and no Go to build one: K6_BIN names nothing, PATH holds node alone. */
const NO_K6: NodeJS.ProcessEnv = {
  ...process.env,
  K6_BIN: join(tmpdir(), "stampede-no-such-k6"),
  PATH: dirname(process.execPath),
};

const temps: string[] = [];
let served: ChildProcess | undefined;

afterEach(() => {
  if (served?.exitCode === null) served.kill("SIGKILL");
  served = undefined;
  for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  temps.push(dir);
  return dir;
}

describe("arguments before k6", () => {
  it("refuses a bad drill argument with exit 2 and its own code, though k6 is missing and Go too", async () => {
    const cases: Array<[string[], string]> = [
      [["drill", "--profile", "nope"], "E_UNKNOWN_PROFILE"],
      [["drill", "--strategy", "nope"], "E_UNKNOWN_STRATEGY"],
      [["drill", "--duration", "1"], "E_USAGE"],
      [["drill", "--rate-scale", "0"], "E_USAGE"],
      [["drill", "--generators", "0"], "E_USAGE"],
      [["drill", "--target", "https://staging.example"], "E_USAGE"],
    ];
    for (const [args, code] of cases) {
      const r = await stampede(args, NO_K6);
      expect({ args, code: r.code, error: /\[(E_[A-Z_0-9]+)\]/.exec(r.stderr)?.[1] }).toEqual({
        args,
        code: 2,
        error: code,
      });
    }
    // Valid arguments get as far as k6, which this machine (as the test sets it up) lacks.
    const ok = await stampede(["drill", "--profile", "smoke", "--out", tempDir("stampede-cli-")], NO_K6);
    expect([ok.code, /\[(E_[A-Z_0-9]+)\]/.exec(ok.stderr)?.[1]]).toEqual([2, "E_K6_MISSING"]);
  });
});

describe("--json", () => {
  it("puts the run folder inside the JSON and nothing else on stdout", () => {
    const summary = { requests: 12, latencyMs: { p99: 3 } };
    const json = folderOutput(true, summary, { key: "runDir", path: "runs/x-smoke/" });
    expect(JSON.parse(json)).toEqual({ requests: 12, latencyMs: { p99: 3 }, runDir: "runs/x-smoke/" });
    expect(folderOutput(false, summary, { key: "runDir", path: "runs/x-smoke/" })).toBe("runs/x-smoke/\n");
    const table = folderOutput(false, {}, { key: "dir", path: "runs/compare-1/" }, "a table\n");
    expect(table).toBe("a table\nruns/compare-1/\n");
    expect(JSON.parse(folderOutput(true, { rows: [] }, { key: "dir", path: "d/" }))).toEqual({
      rows: [],
      dir: "d/",
    });
  });

  it("simulate --json prints one JSON document whose requests is a number", { timeout: 90_000 }, async () => {
    const out = tempDir("stampede-cli-json-");
    const r = await stampede([
      "simulate",
      "--profile",
      "smoke",
      "--method",
      "aggregate",
      "--out",
      out,
      "--json",
    ]);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as { requests: unknown; runDir: string };
    expect(typeof doc.requests).toBe("number");
    expect(doc.runDir.startsWith(out)).toBe(true);
  });
});

describe("a missing install", () => {
  it("says to run npm install and exits 3, without tsx or without the CLI's packages", async () => {
    // Without node_modules at all: tsx itself is missing.
    const bare = tempDir("stampede-bare-");
    cpSync(join(ROOT, "bin"), join(bare, "bin"), { recursive: true });
    cpSync(join(ROOT, "package.json"), join(bare, "package.json"));
    const noTsx = await stampede(["drill"], process.env, join(bare, "bin", "stampede.js"));
    expect(noTsx.code).toBe(3);
    expect(noTsx.stderr).toContain(`stampede: dependencies are missing; run \`npm install\` in ${bare}`);
    expect(noTsx.stderr).not.toMatch(/\n\s+at /);
    // tsx installed, the CLI's own packages (yargs, ...) not.
    const half = tempDir("stampede-half-");
    for (const dir of ["bin", "scripts", "loadtests", "mock-exchange", "reports"])
      cpSync(join(ROOT, dir), join(half, dir), { recursive: true });
    cpSync(join(ROOT, "package.json"), join(half, "package.json"));
    mkdirSync(join(half, "node_modules"));
    symlinkSync(join(ROOT, "node_modules", "tsx"), join(half, "node_modules", "tsx"));
    const noYargs = await stampede(["drill"], process.env, join(half, "bin", "stampede.js"));
    expect(noYargs.code).toBe(3);
    expect(noYargs.stderr).toContain(`stampede: dependencies are missing; run \`npm install\` in ${half}`);
    expect(noYargs.stderr).toContain("yargs");
  });
});

describe("serve", () => {
  it("--profile, --strategy and --capacity unlimited configure the venue", { timeout: 30_000 }, async () => {
    served = spawn(
      process.execPath,
      [CLI, "serve", "--profile", "smoke", "--strategy", "fixed", "--capacity", "unlimited"],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    let stderr = "";
    served.stderr?.on("data", (b: Buffer) => {
      stderr += b.toString();
    });
    const printed = await new Promise<string>((resolve, reject) => {
      let out = "";
      served?.stdout?.on("data", (b: Buffer) => {
        out += b.toString();
        // The URL line, then the control token's line.
        if (out.split("\n").length > 2) resolve(out.trim());
      });
      served?.once("exit", (code) => reject(new Error(`serve exited ${code}: ${stderr}`)));
    });
    const [url, tokenLine] = printed.split("\n") as [string, string];
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(tokenLine).toMatch(/^[0-9a-f]{64}$/);
    const controlToken = tokenLine;
    const configRes = await controlFetch({ url, controlToken }, "/__stampede/config");
    const { config } = (await configRes.json()) as {
      config: {
        timeScale: number;
        accounts: number;
        trustProxy: boolean;
        capacity: { enabled: boolean; strategy: string };
      };
    };
    // smoke's drill venue: its time scale and its 100 clients' accounts; no model, so no queue.
    expect(config).toMatchObject({ timeScale: 60, accounts: 100, trustProxy: false });
    expect(config.capacity).toMatchObject({ enabled: false, strategy: "fixed" });
    expect(stderr).toMatch(/strategy fixed has no effect/);
    const exited = new Promise<number | null>((resolve) => served?.once("exit", resolve));
    served.kill("SIGTERM");
    expect(await exited).toBe(0);
  });

  it("refuses an unknown profile, strategy or capacity mode with exit 2, naming the known ones", async () => {
    const profile = await stampede(["serve", "--profile", "nope"]);
    expect([profile.code, profile.stderr]).toEqual([
      2,
      expect.stringMatching(/known: smoke,.*\[E_UNKNOWN_PROFILE\]/),
    ]);
    const strategy = await stampede(["serve", "--strategy", "nope"]);
    expect([strategy.code, strategy.stderr]).toEqual([
      2,
      expect.stringMatching(/fixed, overprovisioned, reactive.*\[E_UNKNOWN_STRATEGY\]/),
    ]);
    const capacity = await stampede(["serve", "--capacity", "infinite"]);
    expect([capacity.code, capacity.stderr]).toEqual([
      2,
      expect.stringMatching(/modelled, unlimited.*\[E_USAGE\]/),
    ]);
  });
});
