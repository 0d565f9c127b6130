import { Counter } from "k6/metrics";
import { readPosition } from "./readPosition.ts";
import { type DrillSymbol, ENDPOINT, type Session } from "./session.ts";

// Iterations a session did not send because the venue had asked it to wait (Retry-After).
const backoffSkips = new Counter("stampede_backoff_skips");

/**
 * patient-checker: reads its position like a panicked checker, but honours Retry-After: while
 * its session is blocked (a 429 or 418 told it to wait) the iteration sends nothing and counts a
 * skip instead. The session is the VU: another VU of the same client learns of the limit only
 * from its own refusal.
 */
export function patientChecker(s: Session): void {
  if (Date.now() < s.state.blockedUntilMs) {
    backoffSkips.add(1, { class: "position", name: ENDPOINT.positionRisk });
    return;
  }
  readPosition(s, (s.symbols[Math.floor(s.rand() * s.symbols.length)] as DrillSymbol).symbol);
}
