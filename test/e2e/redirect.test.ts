import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { naturalDurationS } from "../../loadtests/lib/plan.ts";
import { PROFILES } from "../../loadtests/profiles/index.ts";
import { startVenueServer, type VenueServer } from "../../mock-exchange/api/server.ts";
import { runDrill } from "../../scripts/drill.ts";
import { exchangeConfigFor } from "../../scripts/exchangeConfig.ts";
import { ensureK6 } from "../../scripts/k6.ts";
import { resolveProfile } from "../../scripts/profileSource.ts";

/**
 * A drill's traffic goes to the target it was given and nowhere else: a target that answers 307
 * to another loopback address is refused before k6 starts (the CLI exits 2 naming the
 * redirect), one that redirects only the orders gets no order re-sent anywhere (k6 follows no
 * redirect; the drill exits 2 naming it), and a target nobody listens at is "connection refused"
 * with no run folder left behind. The other address is 127.0.0.2, which counts what reaches it.
 */

const run = promisify(execFile);
const CLI = join(import.meta.dirname, "..", "..", "bin", "stampede.js");

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

async function stampede(args: string[], env: Record<string, string | undefined> = {}): Promise<CliResult> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], {
      timeout: 60_000,
      env: { ...process.env, CI: "true", ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === "number" ? e.code : -1, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
  }
}

const servers: Server[] = [];
let exchange: VenueServer | undefined;
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }
  await exchange?.close();
  exchange = undefined;
  delete process.env.STAMPEDE_CONTROL_TOKEN;
});

async function listen(
  host: string,
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<string> {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, host, () => r()));
  return `http://${host}:${(server.address() as AddressInfo).port}`;
}

/** The other address: counts every request that reaches it. */
async function startSink(): Promise<{ url: string; received: string[] }> {
  const received: string[] = [];
  const url = await listen("127.0.0.2", (req, res) => {
    received.push(`${req.method} ${req.url}`);
    req.resume();
    res.writeHead(200, { "Content-Type": "application/json" });
    res.end("{}");
  });
  return { url, received };
}

function redirect(res: ServerResponse, to: string): void {
  res.writeHead(307, { Location: to, "Content-Type": "application/json" });
  res.end('{"code":0,"msg":"moved"}');
}

describe("no redirect is ever followed", () => {
  it("refuses a target that redirects everything before k6 starts: exit 2, the redirect named, nothing sent there", {
    timeout: 60_000,
  }, async () => {
    const sink = await startSink();
    const target = await listen("127.0.0.1", (req, res) => {
      req.resume();
      redirect(res, `${sink.url}${req.url}`);
    });
    const out = join(mkdtempSync(join(tmpdir(), "stampede-redirect-")), "runs");
    const result = await stampede(["drill", "--target", target, "--duration", "5", "--out", out]);
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toContain("[E_TARGET_REDIRECT]");
    expect(result.stderr).toContain("307");
    expect(result.stderr).toContain(sink.url);
    expect(sink.received).toEqual([]);
    expect(existsSync(out)).toBe(false);
  });

  it("sends no order to where a target redirects its orders; the drill exits 2 naming the redirect", {
    timeout: 120_000,
  }, async () => {
    const smoke = PROFILES.smoke;
    if (smoke === undefined) throw new Error("no smoke profile");
    const durationS = 5;
    const config = exchangeConfigFor(smoke, {
      timeScale: naturalDurationS(smoke) / durationS,
      seed: 1,
      strategy: "fixed",
      scale: "drill",
    });
    exchange = await startVenueServer({ config });
    const upstream = new URL(exchange.url);
    const sink = await startSink();
    let redirected = 0;
    // The venue itself, except that every /fapi/v1/order request is sent elsewhere.
    const target = await listen("127.0.0.1", (req, res) => {
      if ((req.url ?? "").startsWith("/fapi/v1/order")) {
        redirected++;
        req.resume();
        return redirect(res, `${sink.url}${req.url}`);
      }
      const up = request(
        {
          host: upstream.hostname,
          port: upstream.port,
          method: req.method,
          path: req.url,
          headers: req.headers,
        },
        (upRes) => {
          res.writeHead(upRes.statusCode ?? 502, upRes.headers);
          upRes.pipe(res);
        },
      );
      up.on("error", () => res.destroy());
      req.pipe(up);
    });
    process.env.STAMPEDE_CONTROL_TOKEN = exchange.controlToken;
    const lines: string[] = [];
    const result = await runDrill({
      profile: resolveProfile("smoke"),
      durationS,
      rateScale: 0.3,
      seed: 1,
      outDir: mkdtempSync(join(tmpdir(), "stampede-redirect-")),
      strategy: "fixed",
      target: { url: target, iOwnThisTarget: false, maxRps: undefined },
      k6: await ensureK6(),
      log: (l) => lines.push(l),
      progress: "none",
    });
    expect(redirected).toBeGreaterThan(0);
    expect(sink.received).toEqual([]);
    expect(result.exitCode).toBe(2);
    const said = lines.join("\n");
    expect(said).toContain("[E_TARGET_REDIRECT]");
    expect(said).toMatch(/[A-Z]+ \/fapi\/v1\/order with 307/);
    expect(said).toContain(sink.url);
    // Each redirected order counts as an error of the target, not as served.
    const byReason = result.summary.rejected.byReason as Record<string, number | undefined>;
    expect(byReason.error ?? 0).toBeGreaterThanOrEqual(redirected);
    // The token went to k6 through its environment only.
    const runJson = readFileSync(join(result.runDir, "run.json"), "utf8");
    expect(runJson).not.toContain(exchange.controlToken);
    expect(readdirSync(result.runDir)).not.toContain("control-token");
  });

  it("reports a target nobody listens at as connection refused, exit 2, with no run folder", {
    timeout: 60_000,
  }, async () => {
    // A port that was free a moment ago: nothing listens there now.
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, "127.0.0.1", () => r()));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const out = mkdtempSync(join(tmpdir(), "stampede-refused-"));
    const result = await stampede([
      "drill",
      "--target",
      `http://127.0.0.1:${port}`,
      "--duration",
      "5",
      "--out",
      out,
    ]);
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toContain("[E_TARGET_UNREACHABLE]");
    expect(result.stderr).toContain("connection refused");
    expect(result.stderr).toContain(`http://127.0.0.1:${port}`);
    expect(readdirSync(out)).toEqual([]);
  });
});
