import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { startVenueServer, type VenueServer } from "../../mock-exchange/api/server.ts";
import { CONTROL_PLANE_DEFAULTS } from "../../mock-exchange/defaults.ts";
import { ControlPlane, LeaseKeeper, requestNoRedirect } from "../../scripts/controlPlane.ts";
import type { StampedeError } from "../../scripts/errors.ts";
import { controlAccounts, controlFetch, fastExchangeConfig } from "./fixture.ts";

/**
 * The control plane on a real socket: only the instance's token opens it (401 -9901 otherwise,
 * the OpenAPI document excepted), a drill's lease keeps everyone else from resetting the venue
 * (409 -9902) until it is released or lapses, reset takes only a JSON object, /metrics holds no
 * secret, and the orchestrator's client sees a reset it did not make.
 */

let exchange: VenueServer | undefined;
const servers: Server[] = [];
afterEach(async () => {
  await exchange?.close();
  exchange = undefined;
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }
});

/** A venue whose clock the test moves (lease lapses without waiting). */
async function start(controlToken?: string) {
  const clock = { offsetMs: 0, now: () => Date.now() + clock.offsetMs };
  exchange = await startVenueServer({
    port: 0,
    config: fastExchangeConfig(),
    now: clock.now,
    ...(controlToken === undefined ? {} : { controlToken }),
  });
  return { ex: exchange, clock };
}

/** Every control request but the public document, with a body where the method takes one. */
const REQUESTS: Array<{ method: string; path: string }> = [
  { method: "GET", path: "/__stampede/accounts" },
  { method: "GET", path: "/__stampede/config" },
  { method: "GET", path: "/__stampede/timeline" },
  { method: "POST", path: "/__stampede/reset" },
  { method: "POST", path: "/__stampede/lease" },
  { method: "PUT", path: "/__stampede/lease" },
  { method: "DELETE", path: "/__stampede/lease" },
];

async function send(
  ex: VenueServer,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string,
) {
  const res = await fetch(`${ex.url}${path}`, { method, headers, ...(body === undefined ? {} : { body }) });
  const text = await res.text();
  return { status: res.status, text, json: text.startsWith("{") ? JSON.parse(text) : undefined };
}

describe("control token", () => {
  it("answers 401 -9901 to every control request without the token or with a wrong one", async () => {
    const { ex } = await start();
    expect(ex.controlToken).toMatch(/^[0-9a-f]{64}$/);
    const originMs = ex.venue.originMs;
    const wrong: Array<Record<string, string>> = [
      {},
      { Authorization: `Bearer ${ex.controlToken.slice(0, -1)}x` },
      { Authorization: `Bearer ${ex.controlToken}0` },
      { Authorization: "Bearer short" },
      { Authorization: `Basic ${ex.controlToken}` },
      { Authorization: ex.controlToken },
    ];
    for (const { method, path } of REQUESTS)
      for (const headers of wrong) {
        const res = await send(ex, method, path, headers, method === "POST" ? "{}" : undefined);
        expect(res.status, `${method} ${path} ${JSON.stringify(headers)}`).toBe(401);
        expect(res.json).toMatchObject({ code: -9901 });
        // Nothing of the venue leaks into a refusal.
        for (const a of ex.venue.accounts) expect(res.text).not.toContain(a.apiSecret);
      }
    // No refused request changed the venue or took a lease.
    expect(ex.venue.originMs).toBe(originMs);
    expect((await controlFetch(ex, "/__stampede/lease", { method: "POST" })).status).toBe(200);
  });

  it("answers 200 with the right token; the OpenAPI document and /metrics stay open and hold no secret", async () => {
    const { ex } = await start("operator-chosen-token-123");
    expect(ex.controlToken).toBe("operator-chosen-token-123");
    const accounts = await controlAccounts(ex);
    expect(accounts.length).toBeGreaterThan(0);
    const lowercase = await send(ex, "GET", "/__stampede/config", {
      Authorization: "bearer operator-chosen-token-123",
    });
    expect(lowercase.status).toBe(200);
    expect(lowercase.json).toMatchObject({
      instanceId: ex.instanceId,
      originMs: ex.venue.originMs,
      resets: 0,
    });
    const timeline = await controlFetch(ex, "/__stampede/timeline");
    expect(timeline.status).toBe(200);
    expect(timeline.headers.get("x-stampede-instance")).toBe(ex.instanceId);
    expect((await send(ex, "GET", "/__stampede/openapi.json")).status).toBe(200);
    const lease = (await (await controlFetch(ex, "/__stampede/lease", { method: "POST" })).json()) as {
      leaseId: string;
    };
    const metrics = await send(ex, "GET", "/metrics");
    expect(metrics.status).toBe(200);
    for (const secret of [
      ex.controlToken,
      lease.leaseId,
      ...accounts.flatMap((a) => [a.apiKey, a.apiSecret]),
    ])
      expect(metrics.text).not.toContain(secret);
    // Unknown control paths are 404 as in the dialect, token or not.
    expect((await send(ex, "GET", "/__stampede/nothing")).json).toMatchObject({ code: -1000 });
  });

  it("refuses a token given to the server that is short or not header-safe", async () => {
    await expect(startVenueServer({ port: 0, controlToken: "short" })).rejects.toThrow(/at least/);
    await expect(startVenueServer({ port: 0, controlToken: "has a space in it!!" })).rejects.toThrow(
      /visible/,
    );
    expect(CONTROL_PLANE_DEFAULTS.minTokenLength).toBe(16);
  });
});

describe("lease", () => {
  it("keeps everyone but its holder from resetting the venue until released or lapsed", async () => {
    const { ex, clock } = await start();
    const reset = (lease?: string) =>
      controlFetch(ex, "/__stampede/reset", {
        method: "POST",
        ...(lease === undefined ? {} : { headers: { "X-Stampede-Lease": lease } }),
      });
    expect((await reset()).status).toBe(200);
    const taken = await controlFetch(ex, "/__stampede/lease", { method: "POST" });
    expect(taken.status).toBe(200);
    const lease = (await taken.json()) as { leaseId: string; expiresAtMs: number; ttlMs: number };
    expect(lease.ttlMs).toBe(CONTROL_PLANE_DEFAULTS.leaseTtlMs);
    // Another caller with the token but not the lease: refused, saying until when.
    const refused = await reset();
    expect(refused.status).toBe(409);
    const body = (await refused.json()) as { code: number; msg: string };
    expect(body.code).toBe(-9902);
    expect(body.msg).toContain(new Date(lease.expiresAtMs).toISOString());
    expect((await reset("not-the-lease")).status).toBe(409);
    expect((await controlFetch(ex, "/__stampede/lease", { method: "POST" })).status).toBe(409);
    // The holder resets; a renewal moves the expiry with the clock.
    expect((await reset(lease.leaseId)).status).toBe(200);
    clock.offsetMs += 10_000;
    const renewed = await controlFetch(ex, "/__stampede/lease", {
      method: "PUT",
      headers: { "X-Stampede-Lease": lease.leaseId },
    });
    expect(((await renewed.json()) as { expiresAtMs: number }).expiresAtMs).toBeGreaterThan(
      lease.expiresAtMs,
    );
    // Released: anyone with the token may reset again.
    const released = await controlFetch(ex, "/__stampede/lease", {
      method: "DELETE",
      headers: { "X-Stampede-Lease": lease.leaseId },
    });
    expect(released.status).toBe(200);
    expect((await reset()).status).toBe(200);
    // A lease nobody renews lapses after its TTL: the venue is free again.
    const second = (await (await controlFetch(ex, "/__stampede/lease", { method: "POST" })).json()) as {
      leaseId: string;
    };
    expect((await reset()).status).toBe(409);
    clock.offsetMs += CONTROL_PLANE_DEFAULTS.leaseTtlMs + 1;
    expect((await reset()).status).toBe(200);
    const lapsed = await controlFetch(ex, "/__stampede/lease", {
      method: "PUT",
      headers: { "X-Stampede-Lease": second.leaseId },
    });
    expect(lapsed.status).toBe(409);
    expect(((await lapsed.json()) as { code: number }).code).toBe(-9903);
  });

  it("lets the drill's client see a reset it did not make and a venue that restarted", async () => {
    const { ex, clock } = await start();
    const lines: string[] = [];
    const control = new ControlPlane(ex.url, ex.controlToken);
    const lease = await control.takeLease();
    const keeper = new LeaseKeeper(control, lease, lease.ttlMs, (l) => lines.push(l));
    await keeper.renewNow();
    expect(keeper.resetDetected).toBe(false);
    // The drill stalls past its lease; someone else resets the venue meanwhile.
    clock.offsetMs += lease.ttlMs + 1;
    expect((await controlFetch(ex, "/__stampede/reset", { method: "POST" })).status).toBe(200);
    await keeper.renewNow();
    expect(keeper.resetDetected).toBe(true);
    expect(lines.join("\n")).toMatch(/venue reset detected: the venue was reset/);
    await keeper.stop();
  });

  it("sees nothing when nobody else touched the venue, and takes a lapsed lease again", async () => {
    const { ex, clock } = await start();
    const lines: string[] = [];
    const control = new ControlPlane(ex.url, ex.controlToken);
    const lease = await control.takeLease();
    const keeper = new LeaseKeeper(control, lease, lease.ttlMs, (l) => lines.push(l));
    clock.offsetMs += lease.ttlMs + 1;
    await keeper.renewNow();
    expect(keeper.resetDetected).toBe(false);
    expect(lines.join("\n")).toMatch(/took its lease on the venue again/);
    // Held again: a reset without it is refused.
    expect((await controlFetch(ex, "/__stampede/reset", { method: "POST" })).status).toBe(409);
    await keeper.stop();
    expect(keeper.resetDetected).toBe(false);
    expect((await controlFetch(ex, "/__stampede/reset", { method: "POST" })).status).toBe(200);
  });
});

describe("reset body", () => {
  it("takes only a JSON object sent as application/json", async () => {
    const { ex } = await start();
    const post = (body: string, type?: string) =>
      send(
        ex,
        "POST",
        "/__stampede/reset",
        {
          Authorization: `Bearer ${ex.controlToken}`,
          ...(type === undefined ? {} : { "Content-Type": type }),
        },
        body,
      );
    for (const [body, type] of [
      ["[]", "application/json"],
      ['"fixed"', "application/json"],
      ["null", "application/json"],
      ["1", "application/json"],
      ['{"strategy":"fixed"}', "text/plain"],
      ['{"strategy":"fixed"}', undefined],
      ['{"strategy":"fixed"}', "application/x-www-form-urlencoded"],
    ] as const) {
      const res = await post(body, type);
      expect(res.status, `${body} as ${type}`).toBe(400);
      expect(res.json).toMatchObject({ code: -1130 });
    }
    expect(ex.venue.config.capacity.strategy).toBe("fixed");
    expect((await post('{"strategy":"overprovisioned"}', "application/json; charset=utf-8")).status).toBe(
      200,
    );
    expect(ex.venue.config.capacity.strategy).toBe("overprovisioned");
    expect((await post("{}", "application/json")).status).toBe(200);
    // No body at all: a plain reset, no Content-Type needed.
    expect((await post("")).status).toBe(200);
  });
});

describe("the orchestrator's control-plane client", () => {
  /** A loopback server answering every request with `status` and `headers`; counts requests. */
  async function answering(host: string, status: number, headers: Record<string, string> = {}) {
    const seen: string[] = [];
    const server = createServer((req, res) => {
      seen.push(`${req.method} ${req.url}`);
      req.resume();
      res.writeHead(status, { "Content-Type": "application/json", ...headers });
      res.end('{"code":0,"msg":"x"}');
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, host, () => r()));
    return { url: `http://${host}:${(server.address() as AddressInfo).port}`, seen };
  }
  const failure = (p: Promise<unknown>) =>
    p.then(
      () => undefined,
      (err: unknown) => err as StampedeError,
    );

  it("follows no redirect: a 3xx is E_TARGET_REDIRECT naming status and Location, the other address untouched", async () => {
    const other = await answering("127.0.0.2", 200);
    const moving = await answering("127.0.0.1", 307, { Location: `${other.url}/__stampede/config` });
    const err = await failure(new ControlPlane(moving.url, "a-token-of-sixteen").probe());
    expect(err?.code).toBe("E_TARGET_REDIRECT");
    expect(err?.exitCode).toBe(2);
    expect(err?.message).toContain("307");
    expect(err?.message).toContain(`${other.url}/__stampede/config`);
    expect(moving.seen).toEqual(["GET /__stampede/config"]);
    expect(other.seen).toEqual([]);
  });

  it("tells a control plane that wants a token (401) from none at all (404, nothing listening)", async () => {
    const locked = await answering("127.0.0.1", 401);
    const err = await failure(new ControlPlane(locked.url, undefined).probe());
    expect(err?.code).toBe("E_CONTROL_TOKEN");
    expect(err?.message).toContain("STAMPEDE_CONTROL_TOKEN");
    const venue = await answering("127.0.0.1", 404);
    expect((await new ControlPlane(venue.url, undefined).probe()).kind).toBe("absent");
    // A port nobody listens at any more.
    const gone = await answering("127.0.0.1", 200);
    const s = servers.pop() as Server;
    await new Promise<void>((r) => s.close(() => r()));
    expect((await new ControlPlane(gone.url, undefined).probe()).kind).toBe("absent");
    const refused = await failure(requestNoRedirect(`${gone.url}/fapi/v1/ping`, "GET"));
    expect(refused?.code).toBe("E_TARGET_UNREACHABLE");
    expect(refused?.message).toContain("connection refused");
    expect(refused?.message).toContain(`${gone.url}/fapi/v1/ping`);
  });
});
