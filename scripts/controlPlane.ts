import type { IncomingHttpHeaders } from "node:http";
import { Agent, request } from "undici";
import { StampedeError } from "./errors.ts";

/**
 * Every request the orchestrator makes to a venue outside k6: the dialect probe before a drill
 * and the mock's control plane (`/__stampede/*`: config, lease, reset, accounts, timeline).
 * Through undici's `request` on an Agent of our own, which follows no redirect: a 3xx is an
 * error naming the redirect (E_TARGET_REDIRECT), never a second request to the address it names,
 * which could be anyone's. No answer at all (connection refused, unknown host, TLS failure,
 * timeout) is E_TARGET_UNREACHABLE.
 * Every control request carries `Authorization: Bearer <token>`; while the drill holds the
 * venue's lease, also `X-Stampede-Lease`.
 */

export interface HttpAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

/** How a venue identifies itself on the control plane: another instance or originMs = a reset. */
export interface VenueIdentity {
  instanceId: string;
  originMs: number;
}

export interface LeaseAnswer extends VenueIdentity {
  leaseId: string;
  expiresAtMs: number;
  ttlMs: number;
}

const DEFAULT_TIMEOUT_MS = 5_000;
let agent: Agent | undefined;
/** One keep-alive pool for the process, never the global dispatcher (which others may configure). */
function dispatcher(): Agent {
  agent ??= new Agent({ connect: { timeout: DEFAULT_TIMEOUT_MS } });
  return agent;
}

function errorCode(err: unknown): string | undefined {
  const e = err as { code?: unknown; cause?: { code?: unknown } } | undefined;
  const code = typeof e?.code === "string" ? e.code : e?.cause?.code;
  return typeof code === "string" ? code : undefined;
}

/** Any failure to get an HTTP answer, as E_TARGET_UNREACHABLE naming the URL and why. */
function unreachable(url: string, err: unknown, timeoutMs: number): StampedeError {
  const u = new URL(url);
  const code = errorCode(err);
  const why =
    code === "ECONNREFUSED"
      ? "connection refused (nothing listens there)"
      : code === "ENOTFOUND" || code === "EAI_AGAIN"
        ? `host ${u.hostname} not found (DNS)`
        : code === "UND_ERR_HEADERS_TIMEOUT" || code === "UND_ERR_BODY_TIMEOUT"
          ? `no answer within ${timeoutMs} ms`
          : `no connection (${code ?? (err instanceof Error ? err.message : String(err))})`;
  return new StampedeError("E_TARGET_UNREACHABLE", `cannot reach ${u.origin}${u.pathname}: ${why}`);
}

/**
 * One request, no redirect followed. Throws E_TARGET_REDIRECT on a 3xx (status and Location
 * named), E_TARGET_UNREACHABLE when nothing answers; any other status is the caller's to judge.
 */
export async function requestNoRedirect(
  url: string,
  method: "GET" | "POST" | "PUT" | "DELETE",
  headers: Record<string, string> = {},
  body?: string,
  timeoutMs = DEFAULT_TIMEOUT_MS,
): Promise<HttpAnswer> {
  let answer: HttpAnswer;
  try {
    const res = await request(url, {
      method,
      headers,
      body: body ?? null,
      dispatcher: dispatcher(),
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
    answer = { status: res.statusCode, headers: res.headers, text: await res.body.text() };
  } catch (err) {
    throw unreachable(url, err, timeoutMs);
  }
  if (answer.status >= 300 && answer.status < 400) {
    const location = answer.headers.location;
    const u = new URL(url);
    throw new StampedeError(
      "E_TARGET_REDIRECT",
      `${method} ${u.origin}${u.pathname} answered ${answer.status} redirecting to ${String(location ?? "(no Location)")}: a drill follows no redirect (its signed orders and keys would go to another address); give --target the venue's own URL`,
    );
  }
  return answer;
}

/**
 * The dialect probe before k6 starts: GET /fapi/v1/ping must answer 2xx from the address itself.
 * A venue that redirects its traffic elsewhere is refused here, before a signed order is sent.
 */
export async function probeDialect(baseUrl: string): Promise<void> {
  const answer = await requestNoRedirect(`${baseUrl}/fapi/v1/ping`, "GET");
  if (answer.status < 200 || answer.status >= 300)
    throw new StampedeError(
      "E_USAGE",
      `${baseUrl}/fapi/v1/ping answered ${answer.status}: is this a Binance USDⓈ-M-compatible venue? ${answer.text.slice(0, 200)}`,
    );
}

/** What GET /__stampede/config says about the target's control plane. */
export type ControlProbe =
  | ({ kind: "present"; config: unknown } & VenueIdentity)
  | { kind: "absent"; reason: string };

export class ControlPlane {
  /** The lease this client holds, sent with every request while it is held. */
  leaseId: string | undefined;

  constructor(
    readonly baseUrl: string,
    private readonly token: string | undefined,
  ) {}

  /** A control-plane request with the token (and the lease when held). */
  send(method: "GET" | "POST" | "PUT" | "DELETE", path: string, body?: unknown): Promise<HttpAnswer> {
    const headers: Record<string, string> = {};
    if (this.token !== undefined) headers.Authorization = `Bearer ${this.token}`;
    if (this.leaseId !== undefined) headers["X-Stampede-Lease"] = this.leaseId;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    return requestNoRedirect(
      `${this.baseUrl}${path}`,
      method,
      headers,
      body === undefined ? undefined : JSON.stringify(body),
    );
  }

  /**
   * Is there a control plane? 200 with a config: yes. 401: yes, and the token is missing or
   * wrong (E_CONTROL_TOKEN, exit 2). 404, any other answer, or no connection: none (a venue that
   * is not a stampede mock). A redirect is an error like everywhere else.
   */
  async probe(): Promise<ControlProbe> {
    let answer: HttpAnswer;
    try {
      answer = await this.send("GET", "/__stampede/config");
    } catch (err) {
      if (err instanceof StampedeError && err.code === "E_TARGET_UNREACHABLE")
        return { kind: "absent", reason: err.message };
      throw err;
    }
    if (answer.status === 401)
      throw new StampedeError(
        "E_CONTROL_TOKEN",
        this.token === undefined
          ? `${this.baseUrl} has a stampede control plane that wants a token: set STAMPEDE_CONTROL_TOKEN (printed by stampede serve)`
          : `${this.baseUrl}'s control plane refused the token in STAMPEDE_CONTROL_TOKEN (401): set the one its stampede serve printed`,
      );
    if (answer.status !== 200) return { kind: "absent", reason: `GET /__stampede/config: ${answer.status}` };
    let parsed: { config?: unknown; instanceId?: unknown; originMs?: unknown };
    try {
      parsed = JSON.parse(answer.text) as typeof parsed;
    } catch {
      return { kind: "absent", reason: "GET /__stampede/config: not JSON" };
    }
    if (parsed.config === undefined) return { kind: "absent", reason: "GET /__stampede/config: no config" };
    return {
      kind: "present",
      config: parsed.config,
      instanceId: String(parsed.instanceId ?? ""),
      originMs: Number(parsed.originMs ?? Number.NaN),
    };
  }

  /** Takes the venue's lease; a drill already holding it is E_VENUE_LEASED (exit 2). */
  async takeLease(): Promise<LeaseAnswer> {
    const answer = await this.send("POST", "/__stampede/lease");
    if (answer.status === 409)
      throw new StampedeError(
        "E_VENUE_LEASED",
        `${this.baseUrl} is in use by another drill: ${messageOf(answer)}`,
      );
    const lease = this.expectJson<LeaseAnswer>(answer, "POST /__stampede/lease");
    this.leaseId = lease.leaseId;
    return lease;
  }

  /**
   * Renews the lease. "lost": it is no longer ours (lapsed, or the venue restarted);
   * "unauthorized": the venue no longer takes our token (another process answers).
   */
  async renewLease(): Promise<LeaseAnswer | "lost" | "unauthorized"> {
    const answer = await this.send("PUT", "/__stampede/lease");
    if (answer.status === 409) return "lost";
    if (answer.status === 401) return "unauthorized";
    return this.expectJson<LeaseAnswer>(answer, "PUT /__stampede/lease");
  }

  /** Gives the lease up; false when it was no longer ours. */
  async releaseLease(): Promise<boolean> {
    if (this.leaseId === undefined) return false;
    const answer = await this.send("DELETE", "/__stampede/lease");
    this.leaseId = undefined;
    return answer.status === 200;
  }

  /** Resets the venue under our lease; returns the new venue's identity. */
  async reset(body: object): Promise<VenueIdentity> {
    const answer = await this.send("POST", "/__stampede/reset", body);
    if (answer.status !== 200)
      throw new StampedeError(
        "E_USAGE",
        `the target's control plane refused the reset (${answer.status}): ${answer.text.slice(0, 500)}`,
      );
    return this.expectJson<VenueIdentity>(answer, "POST /__stampede/reset");
  }

  /** The provisioned accounts with their keys and secrets. */
  async accounts(): Promise<Array<{ accountId: number; apiKey: string; apiSecret: string }>> {
    const answer = await this.send("GET", "/__stampede/accounts");
    return this.expectJson<{ accounts: Array<{ accountId: number; apiKey: string; apiSecret: string }> }>(
      answer,
      "GET /__stampede/accounts",
    ).accounts;
  }

  /** Timeline seconds after `since` (NDJSON text) and the identity of the venue that served them. */
  async timeline(since: number): Promise<{ text: string; identity: VenueIdentity | undefined }> {
    const answer = await this.send("GET", `/__stampede/timeline?since=${since}`);
    if (answer.status !== 200)
      throw new StampedeError("E_EXCHANGE_FAILED", `GET /__stampede/timeline: ${answer.status}`);
    const instanceId = answer.headers["x-stampede-instance"];
    const originMs = Number(answer.headers["x-stampede-origin-ms"]);
    const identity =
      typeof instanceId === "string" && Number.isFinite(originMs) ? { instanceId, originMs } : undefined;
    return { text: answer.text, identity };
  }

  private expectJson<T>(answer: HttpAnswer, what: string): T {
    if (answer.status !== 200)
      throw new StampedeError("E_EXCHANGE_FAILED", `${what}: ${answer.status} ${messageOf(answer)}`);
    return JSON.parse(answer.text) as T;
  }
}

/** The `msg` of a `{code,msg}` body, else the start of the text. */
function messageOf(answer: HttpAnswer): string {
  try {
    const body = JSON.parse(answer.text) as { msg?: unknown };
    if (typeof body.msg === "string") return body.msg;
  } catch {
    // not JSON: the text itself
  }
  return answer.text.slice(0, 200);
}

/**
 * Holds a drill's lease while it runs: renews it every sixth of its time to live and watches the
 * venue's identity on every answer that carries it (renewals, timeline pulls, a last probe). A venue whose instance or origin is not the one the
 * drill started (a reset it did not make, or a restart) sets `resetDetected` and is logged once.
 */
export class LeaseKeeper {
  resetDetected = false;
  private timer: NodeJS.Timeout | undefined;
  private lost = false;

  /**
   * @param ttlMs the lease's time to live as the venue answered it: renewed every sixth of it,
   *   so a few failed renewals in a row still do not lose it.
   */
  constructor(
    private readonly control: ControlPlane,
    private readonly expected: VenueIdentity,
    private readonly ttlMs: number,
    private readonly log: (line: string) => void,
  ) {}

  /** Compares an observed identity with the drill's venue. */
  observe(seen: VenueIdentity | undefined): void {
    if (seen === undefined) return;
    if (seen.instanceId === this.expected.instanceId && seen.originMs === this.expected.originMs) return;
    this.detected(
      seen.instanceId !== this.expected.instanceId
        ? `another exchange process answers (origin ${this.expected.originMs} -> ${seen.originMs})`
        : `the venue was reset (origin ${this.expected.originMs} -> ${seen.originMs})`,
    );
  }

  private detected(what: string): void {
    if (this.resetDetected) return;
    this.resetDetected = true;
    this.log(`warning: venue reset detected: ${what}; the drill's figures mix two venues`);
  }

  start(): void {
    this.timer = setInterval(() => void this.renewNow(), Math.max(100, this.ttlMs / 6));
    this.timer.unref();
  }

  /** One renewal (what the timer does): extends the lease, or finds out who has the venue now. */
  async renewNow(): Promise<void> {
    try {
      const lease = await this.control.renewLease();
      if (lease === "unauthorized") {
        this.detected("the venue no longer accepts the drill's control token (another process answers)");
        return;
      }
      if (lease === "lost") {
        if (!this.lost)
          this.log("warning: the drill lost its lease on the venue (it lapsed or the venue restarted)");
        this.lost = true;
        // Whoever took the venue meanwhile, compare what answers now; the same venue, free
        // again, is leased again so nobody resets it under the rest of the drill.
        const probe = await this.control.probe();
        if (probe.kind !== "present") return;
        this.observe(probe);
        if (!this.resetDetected) {
          await this.control.takeLease();
          this.lost = false;
          this.log("the drill took its lease on the venue again");
        }
        return;
      }
      this.observe(lease);
    } catch {
      // A renewal that could not be sent is tried again at the next tick; the lease outlives a few.
    }
  }

  /** Stops renewing, checks the venue a last time and gives the lease up. */
  async stop(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    try {
      const probe = await this.control.probe();
      if (probe.kind === "present") this.observe(probe);
    } catch (err) {
      if (err instanceof StampedeError && err.code === "E_CONTROL_TOKEN")
        this.detected("the venue no longer accepts the drill's control token (another process answers)");
      // Otherwise the venue is gone: nothing left to check or release.
    }
    await this.control.releaseLease().catch(() => false);
  }
}
