import { readPosition } from "./readPosition.ts";
import type { DrillSymbol, Session } from "./session.ts";

/**
 * panicked-checker: reads its position again and again, whatever the venue answers; a 429's
 * Retry-After is ignored, so past the tolerated refusals its IP is banned (418).
 */
export function panickedChecker(s: Session): void {
  readPosition(s, (s.symbols[Math.floor(s.rand() * s.symbols.length)] as DrillSymbol).symbol);
}
