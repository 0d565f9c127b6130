import { Counter } from "k6/metrics";
import { blockedUntilMs, REQUEST } from "../lib/behaviours.ts";
import type { DrillSymbol, Session } from "./session.ts";

// Iterations a session did not send because the venue had asked it to wait (Retry-After).
const backoffSkips = new Counter("stampede_backoff_skips");

/**
 * patient-checker: reads its position like a panicked checker, but honours Retry-After: while
 * its session is blocked (a 429 or 418 told it to wait) the iteration sends nothing and counts a
 * skip instead. Refused again and again, it waits longer each time: Retry-After doubled for
 * every refusal in a row before, up to 8x (PATIENT, loadtests/lib/behaviours.ts, says why); a
 * served read resets that.
 *
 * The bookkeeping is per VU (k6 VUs share no state): a client's VUs all run its behaviour
 * (clientBehaviour), so every VU of a patient client is patient, and each learns of the limit or
 * the ban from its own 429/418. That is how a client of several independent sessions behind one
 * IP behaves (a multi-process bot, users behind one NAT), and realistic enough; its cost is that
 * the IP collects up to one refusal per session before all of them wait, so a client of many
 * sessions can still pass the venue's ban trigger (refusals per IP, limits/banList.ts).
 */
export function patientChecker(s: Session): void {
  if (Date.now() < s.state.blockedUntilMs) {
    backoffSkips.add(1, { class: REQUEST.positionRisk.cls, name: REQUEST.positionRisk.endpoint });
    return;
  }
  const symbol = (s.symbols[Math.floor(s.rand() * s.symbols.length)] as DrillSymbol).symbol;
  const res = s.send(REQUEST.positionRisk, `symbol=${symbol}`);
  // served() notes Retry-After as sent; the back-off stretches it by the refusals before this one.
  if (s.served(res, REQUEST.positionRisk)) s.state.refusedInARow = 0;
  else if (res.status === 429 || res.status === 418) {
    s.state.blockedUntilMs = blockedUntilMs(
      s.state.blockedUntilMs,
      res.status,
      res.headers["Retry-After"],
      Date.now(),
      s.state.refusedInARow,
    );
    s.state.refusedInARow++;
  }
}
