import type { MatchingEngine } from "../engine/matchingEngine.ts";
import { AGENT_ROUTES, type AgentGateway } from "./agentGateway.ts";

/**
 * A leveraged trader who defends a position with a client-side stop-loss (as most bots and many
 * users do: the stop lives in their program, not on the venue's book): once the mark has gone
 * `stopAtShareOfDistance` of the way from the entry price to the position's liquidation price,
 * it sends a reduce-only market order for the whole position through the venue's admission
 * (agentGateway.ts; reduce-only passes priority shedding, venue/request.ts isPriority), and sends
 * it again `retryMs` after each refusal or timeout. The infrastructure decides whether it gets out:
 * a close still refused or queued when the mark reaches the liquidation price is late, and the
 * position goes to the liquidation engine instead (docs/architecture.md "Market model").
 *
 * Its figures are the run's stop-losses (MarketSecond.stops): triggered (the mark crossed its
 * stop), refused (each refused or timed-out send), filled (closed, with the fill's slippage
 * against the stop price), late (liquidated first).
 */

/** market/marketConfig.ts MarketConfig.stopLossTraders, per trader. */
export interface StopLossPolicy {
  stopAtShareOfDistance: number;
  retryMs: number;
}

/** The run's stop-loss counts (market/marketStats.ts MarketStats.stops). */
export interface StopTally {
  triggered: number;
  filled: number;
  refused: number;
  late: number;
  slippageBps: number[];
}

/**
 * Whether the leveraged account at `index` of config.leveragedAccounts defends its position
 * (MarketConfig.stopLossTraders.everyNthGroup; the accounts come in groups of one long and one
 * short per symbol): the per-request market model and the fluid cascade pick the same ones.
 */
export function defendsWithStop(index: number, symbolCount: number, everyNthGroup: number): boolean {
  return Math.floor(index / (symbolCount * 2)) % everyNthGroup === 0;
}

/** The stop `share` of the way from the entry to the liquidation price (any unit, both the same). */
export function stopPriceOf(entry: number, liquidation: number, share: number): number {
  return entry + share * (liquidation - entry);
}

type State = "watching" | "closing" | "done";

export class StopLossTrader {
  private state: State = "watching";
  /** A close in flight: no new send until it is answered. */
  private busy = false;
  private nextSendMs = Number.NEGATIVE_INFINITY;
  private readonly long: boolean;
  /** The stop, ticks: where the mark sets it off. */
  readonly stopTicks: number;

  constructor(
    private readonly engine: MatchingEngine,
    private readonly gateway: AgentGateway,
    readonly accountId: number,
    private readonly clientKey: string,
    readonly symbol: string,
    private readonly policy: StopLossPolicy,
    private readonly tally: StopTally,
  ) {
    const position = engine.positions(accountId, symbol)[0];
    if (position === undefined || position.amountLots === 0)
      throw new Error(`stop-loss trader ${accountId} has no position on ${symbol}`);
    this.long = position.amountLots > 0;
    const entry = position.entryPriceTicks;
    const liquidation = engine.liquidationPriceTicks(accountId, symbol);
    this.stopTicks = Math.round(stopPriceOf(entry, liquidation, policy.stopAtShareOfDistance));
  }

  /** Watches the mark; sends (or sends again) its close when due. */
  act(nowMs: number): void {
    if (this.state === "done" || this.busy) return;
    const lots = this.positionLots();
    if (lots === 0) {
      // Liquidated before its close got through (or, never triggered, gapped past its stop).
      if (this.state === "closing") this.tally.late++;
      this.state = "done";
      return;
    }
    if (this.state === "watching") {
      const mark = this.engine.markPriceTicks(this.symbol);
      if (this.long ? mark > this.stopTicks : mark < this.stopTicks) return;
      this.state = "closing";
      this.tally.triggered++;
    }
    if (nowMs < this.nextSendMs) return;
    this.busy = true;
    const refused = (atMs: number): void => {
      this.tally.refused++;
      this.nextSendMs = atMs + this.policy.retryMs;
      this.busy = false;
    };
    const outcome = this.gateway.send(
      AGENT_ROUTES.newOrder,
      this.clientKey,
      this.accountId,
      true,
      nowMs,
      (dueMs) => this.close(dueMs),
      refused,
    );
    if (outcome === "refused") refused(nowMs);
  }

  /** The close reaches the engine: what is left of the position, at market. */
  private close(dueMs: number): void {
    this.busy = false;
    this.nextSendMs = dueMs + this.policy.retryMs;
    const lots = Math.abs(this.positionLots());
    if (lots === 0) return; // liquidated while the close waited: act() counts it late
    const placed = this.engine.submitOrder({
      accountId: this.accountId,
      symbol: this.symbol,
      side: this.long ? "SELL" : "BUY",
      type: "MARKET",
      timeInForce: "IOC",
      lots,
      priceTicks: 0,
      reduceOnly: true,
      clientOrderId: "",
    });
    if ("error" in placed || placed.order.executedLots === 0) return; // an empty book: sent again
    // Any part filled counts (as a venue's stop): what is left stays open to the liquidation engine.
    this.tally.filled++;
    this.state = "done";
    const avg = placed.order.cumQuoteTicksLots / placed.order.executedLots;
    const stop = this.stopTicks;
    // Adverse is positive: a sell filled below its stop, a buy above it.
    this.tally.slippageBps.push(((this.long ? stop - avg : avg - stop) / stop) * 10_000);
  }

  private positionLots(): number {
    return this.engine.positions(this.accountId, this.symbol)[0]?.amountLots ?? 0;
  }
}
