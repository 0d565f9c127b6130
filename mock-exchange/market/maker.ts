import type { MatchingEngine } from "../engine/matchingEngine.ts";
import type { Side } from "../engine/types.ts";
import { AGENT_ROUTES, type AgentGateway } from "./agentGateway.ts";
import type { MakerConfig } from "./marketConfig.ts";

/**
 * One market maker on one book: every `requoteMs` it places new quotes around its reference
 * price and then cancels its old ones, two requests through the venue's admission
 * (agentGateway.ts), the second sent when the first is answered. Its withdrawal policy (docs/architecture.md "Market
 * makers"):
 * - **pull** after `pullAfterRefusals` refusals or timeouts within `refusalWindowMs`: it sends a
 *   cancel (which may itself be refused: then its old quotes stay, stale, to be picked off) and
 *   stays out `pullForMs`, then tries again;
 * - **widen** its ladder `widenFactor` times while its reference moved more than
 *   `volatilityPct` within `volatilityWindowMs`;
 * - stop adding to a side once its inventory's notional reaches `maxInventoryUsdt`.
 * Quotes are priced when the update is sent, not when it runs: an update that waited in the
 * venue's queue through a move arrives stale (its post-only orders that would now take are
 * rejected, -5022). Its reference is the book's last price moved `anchorToIndex` of the way to
 * the external index: the venue's price follows the order flow and returns to the index only as
 * fast as its makers' updates get through.
 */

/** A maker's sizing and policy (market/marketConfig.ts MakerConfig, with the book's own size). */
export interface MakerPolicy
  extends Omit<
    MakerConfig,
    "perSymbol" | "perCollateral" | "levelSpacingBps" | "notionalPerLevelUsdt" | "maxInventoryUsdt"
  > {
  /** Distance of its first level from the reference, and between levels, ticks (>= 1). */
  firstLevelTicks: number;
  levelSpacingTicks: number;
  lotsPerLevel: number;
  maxInventoryLots: number;
}

/** What a maker's requests did (market/marketStats.ts sums them per second). */
export interface MakerTally {
  requests: number;
  refused: number;
}

export class Maker {
  private nextQuoteMs: number;
  private pulledUntilMs = Number.NEGATIVE_INFINITY;
  /** Times of recent refusals (wall ms), oldest first. */
  private readonly refusalTimes: number[] = [];
  /** Recent references: (wall ms, ticks) pairs, oldest first, for the volatility rule. */
  private readonly references: number[] = [];
  /** An update in flight: no new one until it is answered. */
  private busy = false;

  constructor(
    private readonly engine: MatchingEngine,
    private readonly gateway: AgentGateway,
    readonly accountId: number,
    private readonly clientKey: string,
    readonly symbol: string,
    private readonly policy: MakerPolicy,
    private readonly tally: MakerTally,
    startMs: number,
    /** The external index now, ticks, or undefined: the book's own price is the reference. */
    private readonly indexTicks: () => number | undefined,
  ) {
    this.nextQuoteMs = startMs;
  }

  /** Quotes placed at reset, outside admission (the book as it stood before the drill). */
  seed(nowMs: number): void {
    const reference = this.reference(nowMs);
    this.placeQuotes(this.quotesAround(reference, 1));
  }

  /** Whether it has quotes resting on the book. */
  get quoting(): boolean {
    return this.engine.openOrders(this.accountId, this.symbol).length > 0;
  }

  /** Acts if an update is due at `nowMs`. */
  act(nowMs: number): void {
    if (this.busy || nowMs < this.nextQuoteMs) return;
    this.nextQuoteMs = nowMs + this.policy.requoteMs;
    if (nowMs < this.pulledUntilMs) return;
    const reference = this.reference(nowMs);
    const widen = this.volatile(nowMs, reference) ? this.policy.widenFactor : 1;
    const quotes = this.quotesAround(reference, widen);
    this.busy = true;
    const done = (): void => {
      this.busy = false;
    };
    this.send(AGENT_ROUTES.batchOrders, false, nowMs, done, (answeredMs) => {
      // New quotes first, then the old ones cancelled once the batch is answered: a book never
      // goes blank between the two requests (cancel-then-place would, for a queue's wait).
      const old = this.engine.openOrders(this.accountId, this.symbol).map((o) => o.orderId);
      this.placeQuotes(quotes);
      if (old.length === 0) return done();
      this.send(AGENT_ROUTES.cancelBatch, true, answeredMs, done, () => {
        for (const orderId of old) this.engine.cancelOrder(this.accountId, this.symbol, { orderId });
        done();
      });
    });
  }

  /** Sends one request; `failed` runs when it is refused (now or, timed out, when answered). */
  private send(
    route: (typeof AGENT_ROUTES)[keyof typeof AGENT_ROUTES],
    priority: boolean,
    nowMs: number,
    failed: () => void,
    run: (dueMs: number) => void,
  ): void {
    this.tally.requests++;
    const outcome = this.gateway.send(
      route,
      this.clientKey,
      this.accountId,
      priority,
      nowMs,
      run,
      (dueMs) => {
        this.refused(dueMs);
        failed();
      },
    );
    if (outcome === "refused") {
      this.refused(nowMs);
      failed();
    }
  }

  private refused(nowMs: number): void {
    this.tally.refused++;
    const times = this.refusalTimes;
    times.push(nowMs);
    while (times.length > 0 && (times[0] as number) <= nowMs - this.policy.refusalWindowMs) times.shift();
    if (times.length < this.policy.pullAfterRefusals || nowMs < this.pulledUntilMs) return;
    times.length = 0;
    this.pulledUntilMs = nowMs + this.policy.pullForMs;
    // Pulling is a cancel through the same gateway: refused too, the stale quotes stay.
    this.tally.requests++;
    const outcome = this.gateway.send(
      AGENT_ROUTES.cancelAll,
      this.clientKey,
      this.accountId,
      true,
      nowMs,
      () => {
        this.engine.cancelAll(this.accountId, this.symbol);
      },
      () => {
        this.tally.refused++;
      },
    );
    if (outcome === "refused") this.tally.refused++;
  }

  private reference(nowMs: number): number {
    const last = this.engine.lastPriceTicks(this.symbol);
    const index = this.indexTicks();
    const reference =
      index === undefined ? last : Math.round(last + this.policy.anchorToIndex * (index - last));
    const refs = this.references;
    refs.push(nowMs, reference);
    while (refs.length > 2 && (refs[0] as number) < nowMs - this.policy.volatilityWindowMs) refs.splice(0, 2);
    return Math.max(1, reference);
  }

  private volatile(nowMs: number, reference: number): boolean {
    const refs = this.references;
    for (let i = 0; i < refs.length; i += 2) {
      if ((refs[i] as number) < nowMs - this.policy.volatilityWindowMs) continue;
      const then = refs[i + 1] as number;
      if ((Math.abs(reference - then) / then) * 100 > this.policy.volatilityPct) return true;
    }
    return false;
  }

  /** Prices and sides of a ladder around `reference`, leaving out a side its inventory is full on. */
  private quotesAround(reference: number, widen: number): Array<{ side: Side; priceTicks: number }> {
    const p = this.policy;
    const inventory = this.engine.positions(this.accountId, this.symbol)[0]?.amountLots ?? 0;
    const quotes: Array<{ side: Side; priceTicks: number }> = [];
    for (let level = 0; level < p.levels; level++) {
      const offset = Math.round((p.firstLevelTicks + level * p.levelSpacingTicks) * widen);
      if (inventory < p.maxInventoryLots) quotes.push({ side: "BUY", priceTicks: reference - offset });
      if (inventory > -p.maxInventoryLots) quotes.push({ side: "SELL", priceTicks: reference + offset });
    }
    return quotes.filter((q) => q.priceTicks >= 1);
  }

  private placeQuotes(quotes: ReadonlyArray<{ side: Side; priceTicks: number }>): void {
    for (const q of quotes)
      this.engine.submitOrder({
        accountId: this.accountId,
        symbol: this.symbol,
        side: q.side,
        type: "LIMIT",
        timeInForce: "GTX",
        lots: this.policy.lotsPerLevel,
        priceTicks: q.priceTicks,
        clientOrderId: "",
      });
  }
}
