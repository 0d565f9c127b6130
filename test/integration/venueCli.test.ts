import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { controlFetch } from "./fixture.ts";

/** `venue init`, `--venue` and `calibrate` as a user runs them, through bin/stampede.js. */

const run = promisify(execFile);
const CLI = join(import.meta.dirname, "..", "..", "bin", "stampede.js");

async function stampede(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], { timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === "number" ? e.code : -1, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
  }
}

let served: ChildProcess | undefined;
afterEach(() => {
  served?.kill("SIGTERM");
  served = undefined;
});

describe("venue files on the command line", () => {
  it("venue init writes a file, refuses to overwrite it (exit 2) and overwrites with --force", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "stampede-venue-cli-")), "venue.yaml");
    expect((await stampede(["venue", "init", path])).code).toBe(0);
    expect(readFileSync(path, "utf8")).toContain("baselineInstances: 3");
    const again = await stampede(["venue", "init", path]);
    expect([again.code, again.stderr]).toEqual([2, expect.stringContaining("[E_FILE_EXISTS]")]);
    expect((await stampede(["venue", "init", path, "--force"])).code).toBe(0);
  }, 60_000);

  it("a bad --venue is exit 2 (E_BAD_VENUE) naming the field, on drill, simulate, compare and serve, before anything runs", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "stampede-venue-cli-")), "bad.yaml");
    writeFileSync(path, "capacity: { tiers: { gateway: { baselineInstances: 0 } } }\n");
    for (const args of [
      ["drill", "--venue", path],
      ["simulate", "--venue", path],
      ["compare", "--profile", "smoke", "--simulate", "--venue", path],
      ["serve", "--venue", path],
    ]) {
      const r = await stampede(args);
      expect([args[0], r.code]).toEqual([args[0], 2]);
      expect(r.stderr).toContain("capacity.tiers.gateway.baselineInstances");
      expect(r.stderr).toContain("[E_BAD_VENUE]");
    }
  }, 120_000);

  it("serve --venue runs the file's venue", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "stampede-venue-cli-")), "venue.yaml");
    writeFileSync(
      path,
      "capacity: { strategy: fixed, tiers: { read: { baselineInstances: 5 } }, maxQueue: 7 }\n",
    );
    served = spawn(process.execPath, [CLI, "serve", "--venue", path], { stdio: ["ignore", "pipe", "pipe"] });
    const printed = await new Promise<string>((resolve, reject) => {
      let out = "";
      served?.stdout?.on("data", (b: Buffer) => {
        out += b.toString();
        if (out.split("\n").length > 2) resolve(out.trim());
      });
      served?.once("exit", (code) => reject(new Error(`serve exited ${code}`)));
    });
    const [url, controlToken] = printed.split("\n") as [string, string];
    const { config } = (await (await controlFetch({ url, controlToken }, "/__stampede/config")).json()) as {
      config: {
        capacity: { strategy: string; maxQueue: number; tiers: { read: { baselineInstances: number } } };
      };
    };
    expect(config.capacity).toMatchObject({
      strategy: "fixed",
      maxQueue: 7,
      tiers: { read: { baselineInstances: 5 } },
    });
  }, 30_000);

  it("calibrate off loopback without --i-own-this-target is exit 2", async () => {
    const r = await stampede(["calibrate", "--target", "https://staging.example", "--max-rps", "10"]);
    expect([r.code, r.stderr]).toEqual([2, expect.stringContaining("[E_USAGE]")]);
  }, 30_000);
});
