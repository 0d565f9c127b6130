import { PANICKED, REQUEST } from "../lib/behaviours.ts";
import type { DrillSymbol, Session } from "./session.ts";

/**
 * panicked-checker: reads its position again and again, whatever the venue answers: a 429's
 * Retry-After is ignored, and a read refused at once (429 or 418) is sent again at once
 * (PANICKED.retries times at most). Past the refusals its IP may collect in a weight window
 * (mock-exchange/limits/banList.ts) the IP is banned (418), and while banned it keeps asking.
 */
export function panickedChecker(s: Session): void {
  const symbol = (s.symbols[Math.floor(s.rand() * s.symbols.length)] as DrillSymbol).symbol;
  for (let attempt = 0; attempt <= PANICKED.retries; attempt++) {
    const res = s.send(REQUEST.positionRisk, `symbol=${symbol}`);
    if (s.served(res, REQUEST.positionRisk)) return;
    if (res.status !== 429 && res.status !== 418) return;
  }
}
