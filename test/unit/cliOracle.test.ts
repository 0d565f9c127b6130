import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { ORACLE_MODES } from "../../loadtests/vocabulary/market.ts";
import { resolveProfile } from "../../scripts/profileSource.ts";
import { serveConfig } from "../../scripts/serveConfig.ts";

/**
 * `--oracle` (drill, simulate, serve) and `compare --oracles`, checked at the CLI's edge: a bad
 * one is exit 2 with E_USAGE before anything runs (before k6 is looked for).
 */

const ROOT = join(import.meta.dirname, "..", "..");
const run = promisify(execFile);
const out = mkdtempSync(join(tmpdir(), "stampede-cli-oracle-"));
afterAll(() => rmSync(out, { recursive: true, force: true }));

/** No k6 anywhere and no Go to build one: an argument error must come first. */
const NO_K6: NodeJS.ProcessEnv = {
  ...process.env,
  K6_BIN: join(tmpdir(), "stampede-no-such-k6"),
  PATH: dirname(process.execPath),
};

const cli = (args: string[]) =>
  run(process.execPath, [join(ROOT, "bin", "stampede.js"), ...args], {
    cwd: out,
    env: NO_K6,
    timeout: 60_000,
  }).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({
      code: e.code,
      stdout: e.stdout,
      stderr: e.stderr,
    }),
  );

const errorCode = (stderr: string) => /\[(E_[A-Z_0-9]+)\]/.exec(stderr)?.[1];

describe("--oracle and --oracles at the CLI's edge", () => {
  it("refuses an unknown or unusable oracle with exit 2 and E_USAGE", { timeout: 240_000 }, async () => {
    const cases: string[][] = [
      ["drill", "--oracle", "median"],
      // smoke has no market model: there is no collateral for an oracle to value.
      ["drill", "--profile", "smoke", "--oracle", "index-twap"],
      ["simulate", "--oracle", "median", "--out", out],
      ["simulate", "--profile", "smoke", "--oracle", "conversion-rate", "--out", out],
      ["serve", "--oracle", "median"],
      ["serve", "--oracle", "index-twap"],
      ["compare", "--profile", "smoke", "--oracles", "index-twap,median", "--simulate", "--out", out],
      ["compare", "--oracles", "index-twap", "--strategies", "fixed", "--out", out],
      ["compare", "--profile", "smoke", "--oracles", "index-twap,index-twap", "--simulate", "--out", out],
      [
        "compare",
        "--profile",
        "smoke",
        "--oracles",
        "index-twap",
        "--simulate",
        "--strategies",
        "fixed",
        "--out",
        out,
      ],
    ];
    // Two at a time: the suite shares two cores, and each call starts a Node with tsx.
    const results: Array<Awaited<ReturnType<typeof cli>>> = [];
    for (let i = 0; i < cases.length; i += 2)
      results.push(...(await Promise.all(cases.slice(i, i + 2).map((args) => cli(args)))));
    expect(results.map((r, i) => ({ args: cases[i], code: r.code, error: errorCode(r.stderr) }))).toEqual(
      cases.map((args) => ({ args, code: 2, error: "E_USAGE" })),
    );
  });

  it("names the three modes in the help of drill, simulate, serve and compare", {
    timeout: 60_000,
  }, async () => {
    const helps = await Promise.all(["drill", "simulate", "serve", "compare"].map((c) => cli([c, "--help"])));
    for (const h of helps) {
      expect(h.code).toBe(0);
      for (const mode of ORACLE_MODES) expect(h.stdout).toContain(mode);
    }
  });

  it("serveConfig: an oracle needs a profile with a market model", () => {
    const base = { capacity: "modelled" as const, seed: 1, trustProxy: false };
    const code = (f: () => unknown) => {
      try {
        f();
        return "ok";
      } catch (err) {
        return (err as { code?: string }).code;
      }
    };
    expect(code(() => serveConfig({ ...base, oracle: "index-twap" }))).toBe("E_USAGE");
    expect(code(() => serveConfig({ ...base, profile: resolveProfile("smoke"), oracle: "index-twap" }))).toBe(
      "E_USAGE",
    );
    const smoke = resolveProfile("smoke");
    const withMarket = {
      ...smoke,
      profile: { ...smoke.profile, market: { oracle: "internal-spot" as const, shocks: [] } },
    };
    expect(serveConfig({ ...base, profile: withMarket, oracle: "index-twap" }).config.market?.oracle).toBe(
      "index-twap",
    );
    expect(serveConfig({ ...base, profile: withMarket }).config.market?.oracle).toBe("internal-spot");
  });
});
