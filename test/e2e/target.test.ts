import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { naturalDurationS } from "../../loadtests/lib/plan.ts";
import { PROFILES } from "../../loadtests/profiles/index.ts";
import { startVenueServer, type VenueServer } from "../../mock-exchange/api/server.ts";
import { runDrill } from "../../scripts/drill.ts";
import type { StampedeError } from "../../scripts/errors.ts";
import { exchangeConfigFor } from "../../scripts/exchangeConfig.ts";
import { ensureK6 } from "../../scripts/k6.ts";
import { resolveProfile } from "../../scripts/profileSource.ts";

/**
 * `drill --target`: the same drill against an exchange this process did not start, once with
 * stampede's control plane answering (a `stampede serve` elsewhere) and once behind a proxy that
 * hides it, as a real venue would, so keys must come from the environment.
 */

const DURATION_S = 10;
const smoke = PROFILES.smoke;
if (smoke === undefined) throw new Error("no smoke profile");
const timeScale = naturalDurationS(smoke) / DURATION_S;

let exchange: VenueServer | undefined;
let proxy: Server | undefined;
afterEach(async () => {
  await exchange?.close();
  exchange = undefined;
  if (proxy !== undefined) {
    proxy.closeAllConnections();
    await new Promise<void>((r) => proxy?.close(() => r()));
    proxy = undefined;
  }
  delete process.env.STAMPEDE_API_KEYS;
  delete process.env.STAMPEDE_CONTROL_TOKEN;
});

async function startExchange(port = 0, controlToken?: string): Promise<VenueServer> {
  const config = exchangeConfigFor(smoke as NonNullable<typeof smoke>, {
    timeScale,
    seed: 1,
    strategy: "fixed",
    scale: "drill",
  });
  exchange = await startVenueServer({
    config,
    port,
    ...(controlToken === undefined ? {} : { controlToken }),
  });
  return exchange;
}

/** The drill against `url` as the tests run it; outDir a fresh temporary folder unless given. */
async function drill(
  url: string,
  durationS = DURATION_S,
  outDir?: string,
  log: (l: string) => void = () => {},
) {
  return runDrill({
    profile: resolveProfile("smoke"),
    durationS,
    rateScale: 0.3,
    seed: 1,
    outDir: outDir ?? mkdtempSync(join(tmpdir(), "stampede-target-e2e-")),
    strategy: "fixed",
    target: { url, iOwnThisTarget: false, maxRps: undefined },
    k6: await ensureK6(),
    log,
    progress: "none",
  });
}

describe("drill --target", () => {
  it("uses a target's control plane when it answers", { timeout: 120_000 }, async () => {
    const ex = await startExchange();
    process.env.STAMPEDE_CONTROL_TOKEN = ex.controlToken;
    const result = await drill(`${ex.url}/`);
    expect(result.exitCode).toBe(0);
    const runJson = readFileSync(join(result.runDir, "run.json"), "utf8");
    const run = JSON.parse(runJson);
    expect(run.exchange.url).toBe(ex.url);
    expect(run.exchange.target).toMatchObject({ loopback: true, controlPlane: true, keysFromEnv: 0 });
    expect(run.venueResetDetected).toBe(false);
    // The operator's token stays theirs: not in run.json, no copy in the run folder.
    expect(runJson).not.toContain(ex.controlToken);
    expect(existsSync(join(result.runDir, "control-token"))).toBe(false);
    // The drill gave its lease back: the venue is free for the next one.
    const lease = await fetch(`${ex.url}/__stampede/lease`, {
      method: "POST",
      headers: { Authorization: `Bearer ${ex.controlToken}` },
    });
    expect(lease.status).toBe(200);
    expect(existsSync(join(result.runDir, "timeline.jsonl"))).toBe(true);
    expect(result.summary.requests).toBeGreaterThan(50);
    // The drill's orders reached the exchange that was given, not one of its own.
    expect(ex.venue.timeline.since(0).reduce((a, p) => a + p.offered, 0)).toBeGreaterThan(50);
  });

  it("refuses a control plane it holds no token for, or one leased by another drill: exit 2, no run folder", {
    timeout: 60_000,
  }, async () => {
    const ex = await startExchange();
    const out = join(mkdtempSync(join(tmpdir(), "stampede-target-e2e-")), "runs");
    const refusal = (p: Promise<unknown>) =>
      p.then(
        () => undefined,
        (err: unknown) => err as StampedeError,
      );
    const none = await refusal(drill(ex.url, 5, out));
    expect(none?.code).toBe("E_CONTROL_TOKEN");
    expect(none?.exitCode).toBe(2);
    expect(none?.message).toContain("STAMPEDE_CONTROL_TOKEN");
    process.env.STAMPEDE_CONTROL_TOKEN = "not-the-venues-token";
    expect((await refusal(drill(ex.url, 5, out)))?.code).toBe("E_CONTROL_TOKEN");
    process.env.STAMPEDE_CONTROL_TOKEN = ex.controlToken;
    const held = await fetch(`${ex.url}/__stampede/lease`, {
      method: "POST",
      headers: { Authorization: `Bearer ${ex.controlToken}` },
    });
    expect(held.status).toBe(200);
    const originMs = ex.venue.originMs;
    const leased = await refusal(drill(ex.url, 5, out));
    expect(leased?.code).toBe("E_VENUE_LEASED");
    expect(leased?.exitCode).toBe(2);
    // Nobody reset the venue under the lease holder, and no folder was made for any refusal.
    expect(ex.venue.originMs).toBe(originMs);
    expect(existsSync(out)).toBe(false);
  });

  it("notices when the venue it loads is replaced mid-drill (run.json venueResetDetected)", {
    timeout: 120_000,
  }, async () => {
    const first = await startExchange();
    const port = Number(new URL(first.url).port);
    const token = first.controlToken;
    process.env.STAMPEDE_CONTROL_TOKEN = token;
    const lines: string[] = [];
    const running = drill(first.url, 5, undefined, (l) => lines.push(l));
    // Once k6's traffic arrives, another process takes the address: same port, same token.
    const deadline = Date.now() + 60_000;
    while (!first.venue.timeline.since(0).some((p) => p.offered > 0)) {
      if (Date.now() > deadline) throw new Error("no drill traffic within 60 s");
      await new Promise((r) => setTimeout(r, 100));
    }
    await first.close();
    exchange = undefined;
    await startExchange(port, token);
    const result = await running;
    const run = JSON.parse(readFileSync(join(result.runDir, "run.json"), "utf8"));
    expect(run.venueResetDetected).toBe(true);
    expect(lines.join("\n")).toMatch(/venue reset detected: another exchange process answers/);
  });

  it("takes keys from the environment when the target has no control plane", {
    timeout: 120_000,
  }, async () => {
    const ex = await startExchange();
    const upstream = new URL(ex.url);
    const seen = { controlPlane: 0, forwarded: 0, keyed: 0, total: 0 };
    // A venue-like front: the dialect passes, /__stampede/ does not exist.
    proxy = createServer((req, res) => {
      seen.total++;
      if (req.headers["x-forwarded-for"] !== undefined) seen.forwarded++;
      if (req.headers["x-mbx-apikey"] !== undefined) seen.keyed++;
      if ((req.url ?? "").startsWith("/__stampede/")) {
        seen.controlPlane++;
        res.writeHead(404, { "Content-Type": "application/json" });
        res.end('{"code":-1000,"msg":"not found"}');
        return;
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
    await new Promise<void>((r) => proxy?.listen(0, "127.0.0.1", () => r()));
    const port = (proxy.address() as AddressInfo).port;
    const accounts = ex.venue.accounts.slice(0, 4);
    process.env.STAMPEDE_API_KEYS = accounts.map((a) => `${a.apiKey}:${a.apiSecret}`).join(",");

    const out = mkdtempSync(join(tmpdir(), "stampede-target-e2e-"));
    const result = await runDrill({
      profile: resolveProfile("smoke"),
      durationS: DURATION_S,
      rateScale: 0.3,
      seed: 1,
      outDir: out,
      strategy: "fixed",
      target: { url: `http://127.0.0.1:${port}`, iOwnThisTarget: false, maxRps: 1000 },
      k6: await ensureK6(),
      log: () => {},
      progress: "none",
    });
    expect(result.exitCode).toBe(0);
    const runJson = readFileSync(join(result.runDir, "run.json"), "utf8");
    const run = JSON.parse(runJson);
    expect(run.exchange.target).toMatchObject({ controlPlane: false, keysFromEnv: 4, maxRps: 1000 });
    // Secrets never reach run.json.
    for (const a of accounts) expect(runJson).not.toContain(a.apiSecret);
    expect(existsSync(join(result.runDir, "timeline.jsonl"))).toBe(false);
    // Only the probe asked for the control plane; k6 did not send the mock's client-IP header.
    expect(seen.controlPlane).toBe(1);
    expect(seen.forwarded).toBe(0);
    expect(seen.keyed).toBeGreaterThan(0);
    expect(result.summary.requests).toBeGreaterThan(50);
    // Signed requests with the environment's keys were accepted (no 401/-1022 errors).
    const byReason = result.summary.rejected.byReason as Record<string, number | undefined>;
    expect(byReason.error ?? 0).toBe(0);
  });
});
