import type { RejectReason } from "../../reports/model.ts";

/**
 * How a response is counted: served, or rejected for one reason (design.md "Vocabulary").
 * Pure and k6-free: the k6 script tags its samples with it, the mock exchange's timeline uses it,
 * so client and server count rejects the same way.
 */

/**
 * @param status HTTP status; 0 when the request never got a response (k6 network error/timeout).
 * @param code the dialect's error code from the body (`{code,msg}`), if any.
 * @param trafficClass the request's class: a 4xx on an order is a business refusal.
 */
export function rejectReason(
  status: number,
  code: number | undefined,
  trafficClass: string | undefined,
): RejectReason | undefined {
  // Only 2xx is served: a 3xx is the target's error (drills follow no redirect).
  if (status >= 200 && status < 300) return undefined;
  if (status === 429) return "rate_limited";
  if (status === 418) return "banned";
  if (status === 408) return "timeout";
  if (status === 503) return code === -1008 ? "overloaded" : "timeout";
  if (status >= 400 && status < 500) return trafficClass === "order" ? "order_rejected" : "error";
  return "error";
}
