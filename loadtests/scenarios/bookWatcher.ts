import { REQUEST } from "../lib/behaviours.ts";
import type { DrillSymbol, Session } from "./session.ts";

/** book-watcher: reads the top of a book (depth, limit 5, weight 2). */
export function bookWatcher(s: Session): void {
  const sym = s.symbols[Math.floor(s.rand() * s.symbols.length)] as DrillSymbol;
  const res = s.send(REQUEST.depth, `symbol=${sym.symbol}&${REQUEST.depth.weightQuery}`);
  s.served(res, REQUEST.depth);
}
