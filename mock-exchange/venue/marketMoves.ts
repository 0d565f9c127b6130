import type { ExchangeConfig } from "../defaults.ts";
import { MarketPath } from "../marketEvents.ts";
import { HOUSE_ACCOUNT, quoteLadder } from "./houseLiquidity.ts";
import type { Engine } from "./rooms.ts";
import { SIDES } from "./symbolFilters.ts";

const REVERSED_SIDES = ["SELL", "BUY"] as const;

/**
 * The scripted price path (marketEvents.ts) played on the venue: each step moves the index,
 * re-quotes the house ladder around the new mid and prints one lot there ("ladder"). With the
 * market model ("index") the path is the external index alone: the venue's makers lean towards
 * it as fast as their updates get through (market/maker.ts), so the book follows the order flow.
 */
export type PathPlay = "ladder" | "index";

export class MarketMoves {
  /** Wall ms of the path's next step: the venue has no market work before it. */
  dueMs: number;
  /** The last step of the path applied, natural ms since the origin. */
  private stepMs = 0;
  /** The mid the house ladder is quoted around, per symbol in config order. */
  private readonly quotedMidTicks: number[];

  constructor(
    private readonly config: ExchangeConfig,
    private readonly engine: Engine,
    private readonly path: MarketPath,
    originMs: number,
    private readonly play: PathPlay,
  ) {
    this.quotedMidTicks = config.symbols.map((s) => s.referencePriceTicks);
    this.dueMs = path.nextDueMs(originMs);
  }

  /** The path of `config.marketEvents`, or undefined without any. */
  static of(
    config: ExchangeConfig,
    engine: Engine,
    originMs: number,
    play: PathPlay,
  ): MarketMoves | undefined {
    if (config.marketEvents.length === 0) return undefined;
    const path = new MarketPath(
      config.symbols,
      config.marketEvents,
      originMs,
      config.timeScale,
      config.marketEventStepNaturalMs,
    );
    return new MarketMoves(config, engine, path, originMs, play);
  }

  /** Plays every step due by `now` in turn (Venue.advanceMarket says why each one). */
  advance(now: number): void {
    const path = this.path;
    if (now < this.dueMs) return;
    this.dueMs = path.nextDueMs(now);
    const last = path.steppedNaturalMs(now);
    for (let t = this.stepMs + path.stepMs; t <= last; t += path.stepMs) this.step(t);
    this.stepMs = Math.max(this.stepMs, last);
  }

  private step(stepMs: number): void {
    this.config.symbols.forEach((spec, i) => {
      const mid = this.path.midTicksAtStep(i, stepMs, this.config.makerLevels + 1);
      const before = this.quotedMidTicks[i] as number;
      if (mid === before) return;
      this.quotedMidTicks[i] = mid;
      this.engine.setIndexPrice(spec.symbol, mid);
      if (this.play === "index") return;
      this.engine.cancelAll(HOUSE_ACCOUNT, spec.symbol);
      // The side the price moves towards first: a falling price's new asks may cross stale client
      // bids and set off liquidations, which then find the house bids already there.
      const down = mid < before;
      quoteLadder(this.engine, this.config, spec, mid, down ? SIDES : REVERSED_SIDES);
      this.engine.submitOrder({
        accountId: HOUSE_ACCOUNT,
        symbol: spec.symbol,
        side: down ? "SELL" : "BUY",
        type: "LIMIT",
        timeInForce: "IOC",
        lots: 1,
        priceTicks: down ? mid - 1 : mid + 1,
        clientOrderId: "",
      });
    });
  }
}
