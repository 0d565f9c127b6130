import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { CONTROL_PLANE_DEFAULTS } from "../defaults.ts";

/**
 * Who may steer the mock exchange through its control plane (`/__stampede/*`): the holder of the
 * instance's control token (`Authorization: Bearer <token>`), and while a drill holds the venue's
 * lease, only that drill may change it (`X-Stampede-Lease: <id>`). The token is random per
 * instance unless the operator gives one; a lease lapses `ttlMs` after it was taken or renewed,
 * so a drill that died frees the venue by itself. Time comes in through `now` (wall ms).
 */

/** The header naming the lease a state-changing control request acts under. */
export const LEASE_HEADER = "x-stampede-lease";

/** A fresh control token: hex of CONTROL_PLANE_DEFAULTS.tokenBytes random bytes. */
export function newControlToken(): string {
  return randomBytes(CONTROL_PLANE_DEFAULTS.tokenBytes).toString("hex");
}

/** Visible ASCII only: it travels in an HTTP header as it is. */
const TOKEN_CHARS = /^[\x21-\x7e]+$/;

/** Why an operator's token cannot be used, or undefined when it can. */
export function controlTokenProblem(token: string): string | undefined {
  if (!TOKEN_CHARS.test(token)) return "the control token must be visible ASCII characters (no spaces)";
  if (token.length < CONTROL_PLANE_DEFAULTS.minTokenLength)
    return `the control token must be at least ${CONTROL_PLANE_DEFAULTS.minTokenLength} characters`;
  return undefined;
}

/** The token of an `Authorization: Bearer <token>` header; undefined for any other shape. */
export function bearerToken(header: string | string[] | undefined): string | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined) return undefined;
  const m = /^Bearer[ ]+(\S+)[ ]*$/i.exec(value);
  return m?.[1];
}

export interface Lease {
  id: string;
  expiresAtMs: number;
}

/** What a lease request came to: the lease in force, or the one that stands in the way. */
export type LeaseOutcome = { ok: true; lease: Lease } | { ok: false; held: Lease | undefined };

export class ControlAccess {
  /** SHA-256 of the token: equal-length buffers for timingSafeEqual whatever the caller sends. */
  private readonly tokenDigest: Buffer;
  private lease: Lease | undefined;

  constructor(
    token: string,
    private readonly now: () => number,
    readonly ttlMs: number = CONTROL_PLANE_DEFAULTS.leaseTtlMs,
  ) {
    this.tokenDigest = digest(token);
  }

  /** True when the Authorization header carries this instance's token (constant-time compare). */
  authorized(authorization: string | string[] | undefined): boolean {
    const token = bearerToken(authorization);
    return token !== undefined && timingSafeEqual(digest(token), this.tokenDigest);
  }

  /** The lease in force (taken and not lapsed), if any. */
  current(): Lease | undefined {
    if (this.lease !== undefined && this.lease.expiresAtMs <= this.now()) this.lease = undefined;
    return this.lease;
  }

  /**
   * The lease that forbids a state-changing request presenting `leaseId`, or undefined when the
   * request may go ahead (no lease in force, or it presents the one in force).
   */
  blocking(leaseId: string | undefined): Lease | undefined {
    const lease = this.current();
    return lease === undefined || lease.id === leaseId ? undefined : lease;
  }

  /** POST: a new lease when none is in force; the holder's own id renews it instead. */
  acquire(leaseId: string | undefined): LeaseOutcome {
    const lease = this.current();
    if (lease !== undefined && lease.id !== leaseId) return { ok: false, held: lease };
    if (lease !== undefined) return this.renew(lease.id);
    this.lease = { id: randomBytes(16).toString("hex"), expiresAtMs: this.now() + this.ttlMs };
    return { ok: true, lease: { ...this.lease } };
  }

  /** PUT: extends the lease in force when `leaseId` is its id. */
  renew(leaseId: string | undefined): LeaseOutcome {
    const lease = this.current();
    if (lease === undefined || lease.id !== leaseId) return { ok: false, held: lease };
    lease.expiresAtMs = this.now() + this.ttlMs;
    return { ok: true, lease: { ...lease } };
  }

  /** DELETE: gives the lease in force up when `leaseId` is its id. */
  release(leaseId: string | undefined): LeaseOutcome {
    const lease = this.current();
    if (lease === undefined || lease.id !== leaseId) return { ok: false, held: lease };
    this.lease = undefined;
    return { ok: true, lease: { ...lease, expiresAtMs: this.now() } };
  }
}

function digest(token: string): Buffer {
  return createHash("sha256").update(token, "utf8").digest();
}
