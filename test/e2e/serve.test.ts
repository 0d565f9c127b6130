import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { deriveAccountKeys } from "../../mock-exchange/venue.ts";

/**
 * `stampede serve` through the real CLI: the URL line as before, the control token on the line
 * right after it (the one given with --token or STAMPEDE_CONTROL_TOKEN, else a random one), the
 * control plane open to that token only, --host on another loopback address, a warning for a
 * host that is not loopback, and keys derived only when --secrets-seed asks for it.
 */

const CLI = join(import.meta.dirname, "..", "..", "bin", "stampede.js");

const children: ChildProcess[] = [];
afterEach(async () => {
  for (const child of children.splice(0)) {
    if (child.exitCode !== null || child.signalCode !== null) continue;
    const exited = new Promise<void>((r) => child.once("exit", () => r()));
    child.kill("SIGTERM");
    await exited;
  }
});

interface Served {
  lines: string[];
  stderr: string;
  code: number | null;
}

/** Starts `stampede serve ARGS` and returns its first two stdout lines, or its exit when it fails. */
function serve(args: string[], env: Record<string, string | undefined> = {}): Promise<Served> {
  const child = spawn(process.execPath, [CLI, "serve", ...args], {
    env: { ...process.env, STAMPEDE_CONTROL_TOKEN: undefined, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  return new Promise((resolve, reject) => {
    let out = "";
    let stderr = "";
    const timer = setTimeout(() => reject(new Error(`serve printed nothing in 20 s: ${stderr}`)), 20_000);
    child.stderr?.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    child.stdout?.on("data", (d: Buffer) => {
      out += d.toString();
      const lines = out.split("\n");
      if (lines.length > 2) {
        clearTimeout(timer);
        resolve({ lines: lines.slice(0, 2), stderr, code: null });
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve({ lines: out.split("\n").filter((l) => l !== ""), stderr, code });
    });
  });
}

const get = (url: string, token?: string) =>
  fetch(url, token === undefined ? {} : { headers: { Authorization: `Bearer ${token}` } });

describe("stampede serve", () => {
  it("prints its URL, then the --token it was given; the control plane answers that token only", {
    timeout: 30_000,
  }, async () => {
    const token = "a-token-of-my-own-choosing";
    const served = await serve(["--port", "0", "--token", token]);
    const [url, tokenLine] = served.lines as [string, string];
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(tokenLine).toBe(token);
    expect(served.stderr).not.toMatch(/warning/);
    expect((await get(`${url}/__stampede/accounts`)).status).toBe(401);
    expect((await get(`${url}/__stampede/accounts`, `${token}x`)).status).toBe(401);
    expect((await get(`${url}/__stampede/accounts`, token)).status).toBe(200);
    expect((await get(`${url}/fapi/v1/ping`)).status).toBe(200);
  });

  it("without --token takes STAMPEDE_CONTROL_TOKEN, else makes a random one; keys are random unless --secrets-seed", {
    timeout: 30_000,
  }, async () => {
    const fromEnv = await serve([], { STAMPEDE_CONTROL_TOKEN: "token-from-the-environment" });
    expect(fromEnv.lines[1]).toBe("token-from-the-environment");
    const a = await serve([]);
    const b = await serve(["--secrets-seed", "5"]);
    const tokenOf = (s: Served) => s.lines[1] as string;
    expect(tokenOf(a)).toMatch(/^[0-9a-f]{64}$/);
    expect(tokenOf(b)).toMatch(/^[0-9a-f]{64}$/);
    expect(tokenOf(a)).not.toBe(tokenOf(b));
    const accounts = async (s: Served) =>
      (
        (await (await get(`${s.lines[0]}/__stampede/accounts`, tokenOf(s))).json()) as {
          accounts: Array<{ accountId: number; apiKey: string; apiSecret: string }>;
        }
      ).accounts;
    const seeded = await accounts(b);
    expect(seeded).toEqual(deriveAccountKeys(5, seeded.length));
    const random = await accounts(a);
    expect(random).not.toEqual(deriveAccountKeys(1, random.length));
    expect(random).not.toEqual(seeded);
  });

  it("listens on the --host given (another loopback address) and warns about a host that is not loopback", {
    timeout: 30_000,
  }, async () => {
    const other = await serve(["--host", "127.0.0.2"]);
    expect(other.lines[0]).toMatch(/^http:\/\/127\.0\.0\.2:\d+$/);
    expect(other.stderr).not.toMatch(/warning/);
    expect((await get(`${other.lines[0]}/fapi/v1/ping`)).status).toBe(200);
    // A documentation address (RFC 5737) this machine does not have: the warning comes first,
    // then the bind fails, so nothing ever listens off loopback here.
    const outside = await serve(["--host", "192.0.2.1"]);
    expect(outside.code).toBe(3);
    expect(outside.stderr).toMatch(/warning: --host 192\.0\.2\.1 is not loopback/);
    expect(outside.stderr).toContain("[E_EXCHANGE_FAILED]");
  });

  it("refuses a short --token with exit 2", { timeout: 30_000 }, async () => {
    const served = await serve(["--token", "short"]);
    expect(served.code).toBe(2);
    expect(served.stderr).toContain("[E_USAGE]");
    expect(served.lines).toEqual([]);
  });
});
