import type { SellShock } from "../../loadtests/vocabulary/market.ts";
import type { MatchingEngine } from "../engine/matchingEngine.ts";

/**
 * Sell pressure (loadtests/vocabulary/market.ts SellShock): each shock's notional sold at market
 * in even slices, one every `sliceMs` of wall time over the shock's wall duration, sized at the
 * price when the slice goes (a seller working an order by notional). What the book cannot take
 * is not sold: only fills count as shock notional, so a drained book caps the shock, as it would.
 * The seller's account is outside the clients' (no margin: it is the rest of the world).
 */
export class ShockSeller {
  private readonly slicesDone: number[];
  private readonly wall: Array<{ startMs: number; slices: number; notionalPerSlice: number }>;

  constructor(
    private readonly shocks: readonly SellShock[],
    private readonly engineFor: (market: string) => MatchingEngine,
    private readonly usdtPerTickLot: (market: string) => number,
    private readonly accountId: number,
    originMs: number,
    timeScale: number,
    private readonly sliceMs: number,
  ) {
    this.slicesDone = shocks.map(() => 0);
    this.wall = shocks.map((s) => {
      const slices = Math.max(1, Math.round((s.overS * 1000) / timeScale / sliceMs));
      return {
        startMs: originMs + (s.atS * 1000) / timeScale,
        slices,
        notionalPerSlice: s.notionalUsdt / slices,
      };
    });
  }

  /** Sends every slice due by `nowMs`; returns the USDT notional that filled. */
  advance(nowMs: number): number {
    let soldUsdt = 0;
    this.shocks.forEach((shock, i) => {
      const w = this.wall[i] as (typeof this.wall)[number];
      const due = Math.min(w.slices, Math.floor((nowMs - w.startMs) / this.sliceMs) + 1);
      while ((this.slicesDone[i] as number) < due) {
        this.slicesDone[i] = (this.slicesDone[i] as number) + 1;
        soldUsdt += this.sell(shock.market, w.notionalPerSlice);
      }
    });
    return soldUsdt;
  }

  private sell(market: string, notionalUsdt: number): number {
    const engine = this.engineFor(market);
    const perTickLot = this.usdtPerTickLot(market);
    const last = engine.lastPriceTicks(market);
    const lots = Math.floor(notionalUsdt / (last * perTickLot));
    if (lots < 1) return 0;
    const placed = engine.submitOrder({
      accountId: this.accountId,
      symbol: market,
      side: "SELL",
      type: "MARKET",
      timeInForce: "IOC",
      lots,
      priceTicks: 0,
      clientOrderId: "",
    });
    if ("error" in placed) return 0;
    return placed.order.cumQuoteTicksLots * perTickLot;
  }
}
