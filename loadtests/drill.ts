/**
 * The drill: the request scenarios of loadtests/drillRequests.ts (one open-model scenario per
 * traffic class, each iteration its client's behaviour) and, when the profile has them,
 * liquidation-stream watchers, a scenario of their own (WebSocket connections).
 *
 * The orchestrator plans the drill and hands k6 the plan as a file (loadtests/lib/k6Plan.ts says
 * why), and runs the script bundled into one module (scripts/drillBundle.ts; this file when the
 * profile has watchers, drillRequests.ts alone when not): both land in the run folder, so plain
 * k6 reproduces a run:
 *   k6 run -e STAMPEDE_BASE_URL=http://127.0.0.1:PORT -e STAMPEDE_PLAN_FILE=$PWD/runs/<id>/k6-plan.json \
 *     runs/<id>/drill.js
 */
import { baseUrl, client, params, plan, rand, type SetupData, SYMBOLS } from "./drillRequests.ts";
import { liquidationWatcher } from "./scenarios/liquidationWatcher.ts";

export { depth, options, order, position, setup } from "./drillRequests.ts";

/** One liquidation-stream watcher: a WebSocket on a symbol's forceOrder stream, held for the profile's hold. */
export function liquidationWatchers(data: SetupData): void {
  const holdMs = plan.watcherHoldWallMs;
  if (holdMs === undefined) return;
  const c = client(data);
  const symbol = (SYMBOLS[Math.floor(rand() * SYMBOLS.length)] as (typeof SYMBOLS)[number]).symbol;
  const wsBase = baseUrl.replace(/^http/, "ws");
  const headers = params("stream", "WS forceOrder", c, false).headers as Record<string, string>;
  liquidationWatcher(`${wsBase}/ws/${symbol.toLowerCase()}@forceOrder`, symbol, headers, holdMs);
}
