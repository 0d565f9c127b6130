import type { RejectReason } from "../loadtests/vocabulary/traffic.ts";

/**
 * Why a request was refused, in three kinds a provisioning decision can act on:
 * - `capacity`: the venue had no room (503 overloaded / timeout, 408, other 5xx and connection
 *   errors): more or earlier instances would have served it.
 * - `policy`: the venue's rules refused it (429 rate limited, 418 banned): a client that ignores
 *   Retry-After gets banned however many instances run.
 * - `business`: the engine refused the order itself (400); not a capacity question at all.
 * Computed from the per-reason counts every summary has, so old summaries split too.
 */
export type RejectKind = "capacity" | "policy" | "business";

export const REJECT_KIND: Readonly<Record<RejectReason, RejectKind>> = {
  rate_limited: "policy",
  banned: "policy",
  overloaded: "capacity",
  timeout: "capacity",
  error: "capacity",
  order_rejected: "business",
};

export type RejectSplit = Record<RejectKind, number>;

/** Counts by kind; reasons this version does not know are left out rather than guessed. */
export function splitRejects(byReason: Partial<Record<string, number>> | undefined): RejectSplit {
  const split: RejectSplit = { capacity: 0, policy: 0, business: 0 };
  for (const [reason, n] of Object.entries(byReason ?? {})) {
    const kind = REJECT_KIND[reason as RejectReason] as RejectKind | undefined;
    if (kind !== undefined && typeof n === "number" && Number.isFinite(n)) split[kind] += n;
  }
  return split;
}
