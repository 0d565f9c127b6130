/**
 * How traffic is named and how a response is counted: the traffic classes, the reasons a request
 * is refused, and the one classification of a response into served or a reason. The k6 script
 * tags its samples with it, the mock exchange's timeline and metrics count with it, the reporter
 * reads it back, so client and server count rejects the same way.
 */

/** Traffic classes, see docs/architecture.md "Vocabulary". */
export const TRAFFIC_CLASSES = ["order", "position", "depth"] as const;
export type TrafficClass = (typeof TRAFFIC_CLASSES)[number];

/** Reject reasons, see docs/architecture.md "Vocabulary". */
export const REJECT_REASONS = [
  "rate_limited", // 429
  "banned", // 418
  "overloaded", // 503 -1008
  "timeout", // 503 -1007, 408, or the client's own timeout
  "order_rejected", // 400 from the engine (unknown order, would-immediately-trigger, ...)
  "error", // anything else: other 5xx, connection errors
] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];

/**
 * How a response is counted: served (undefined), or rejected for one reason (docs/architecture.md "Vocabulary").
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
