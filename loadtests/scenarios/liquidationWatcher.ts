import { Counter } from "k6/metrics";
import { setTimeout } from "k6/timers";
import { WebSocket } from "k6/websockets";

// Liquidation events received (the venue pushes at most one per symbol per second, docs/facts.md
// "forceOrder"), and connections that failed or were closed by the venue before the hold ended.
const forceOrders = new Counter("stampede_force_orders");
const streamErrors = new Counter("stampede_stream_errors");

/**
 * liquidation-watcher: opens `<ws base>/ws/<symbol>@forceOrder`, holds it `holdMs` wall ms and
 * counts the liquidation events it receives (stampede_force_orders, tagged with the symbol). The
 * iteration ends when the connection closes (k6/websockets runs on the VU's event loop), so a VU
 * holds one connection at a time and the scenario's VUs bound the open connections.
 */
export function liquidationWatcher(
  url: string,
  symbol: string,
  headers: Record<string, string>,
  holdMs: number,
): void {
  const tags = { name: "WS /ws/<symbol>@forceOrder", symbol };
  const ws = new WebSocket(url, null, { headers, tags });
  let closedByUs = false;
  let failed = false;
  let opened = false;
  ws.onopen = () => {
    opened = true;
    setTimeout(() => {
      closedByUs = true;
      ws.close();
    }, holdMs);
  };
  ws.onmessage = (e) => {
    if (typeof e?.data !== "string") return;
    try {
      if ((JSON.parse(e.data) as { e?: unknown }).e === "forceOrder") forceOrders.add(1, { symbol });
    } catch {
      // Not JSON: not a liquidation event.
    }
  };
  ws.onerror = () => {
    // Before onopen the upgrade failed (no such stream, refused, or no stream server at all).
    failed = true;
    streamErrors.add(1, { symbol, stage: opened ? "open" : "connect" });
  };
  ws.onclose = () => {
    if (!closedByUs && !failed) streamErrors.add(1, { symbol, stage: "closed-by-venue" });
  };
}
