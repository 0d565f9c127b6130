import { type DrillSymbol, ENDPOINT, type Session } from "./session.ts";

/** book-watcher: reads the top of a book (depth, limit 5, weight 2). */
export function bookWatcher(s: Session): void {
  const sym = s.symbols[Math.floor(s.rand() * s.symbols.length)] as DrillSymbol;
  const res = s.get("depth", ENDPOINT.depth, "/fapi/v1/depth", `symbol=${sym.symbol}&limit=5`);
  s.served(res, "depth", ENDPOINT.depth);
}
