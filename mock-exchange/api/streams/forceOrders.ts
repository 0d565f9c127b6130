import type { LiquidationEvent } from "../../engine/types.ts";
import type { ForceOrderSnapshot } from "../../forceOrderThrottle.ts";
import type { Venue } from "../../venue.ts";
import { formatUnits } from "../params.ts";
import { type Conn, push } from "./connection.ts";

/**
 * The liquidation streams, `<symbol>@forceOrder` and `!forceOrder@arr`: one snapshot per symbol
 * per `forceOrderThrottleMs` carrying the window's latest liquidation (the venue's throttle,
 * forceOrderThrottle.ts), from the streams' shared timer.
 */
export class ForceOrderFeed {
  /** Reused by every drain: the throttle fills it, nothing keeps it. */
  private readonly due: ForceOrderSnapshot<Readonly<LiquidationEvent>>[] = [];

  /** Pushes the snapshots due by `t` to the subscribers in `market`. */
  push(v: Venue, t: number, market: ReadonlyMap<string, Set<Conn>>): void {
    // Drained whether or not anybody listens: the throttle keeps one pending snapshot per symbol.
    this.due.length = 0;
    for (const snap of v.forceOrders.due(t, this.due)) {
      const own = market.get(`${snap.symbol.toLowerCase()}@forceOrder`);
      const all = market.get("!forceOrder@arr");
      if (own === undefined && all === undefined) continue;
      const payload = forceOrderJson(v, snap.event, t);
      push(own, `${snap.symbol.toLowerCase()}@forceOrder`, payload);
      push(all, "!forceOrder@arr", payload);
    }
  }
}

function forceOrderJson(v: Venue, e: Readonly<LiquidationEvent>, t: number): string {
  const spec = v.spec(e.symbol);
  return JSON.stringify({
    e: "forceOrder",
    E: t,
    o: {
      s: e.symbol,
      S: e.side,
      o: "LIMIT",
      f: "IOC",
      q: formatUnits(e.origLots, spec.stepSize),
      p: formatUnits(e.priceTicks, spec.tickSize),
      ap: (e.avgPriceTicks * Number(spec.tickSize)).toFixed(8),
      // An IOC at the bankruptcy price: what the book did not take expired (and went to ADL).
      X: e.lots === e.origLots ? "FILLED" : "EXPIRED",
      l: formatUnits(e.lots, spec.stepSize),
      z: formatUnits(e.lots, spec.stepSize),
      T: e.time,
    },
  });
}
