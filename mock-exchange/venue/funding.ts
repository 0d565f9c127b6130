import type { ExchangeConfig } from "../defaults.ts";
import { FundingClock, premiumIndex, RATE_UNITS_PER_ONE } from "../engine/funding.ts";
import type { SymbolSpec } from "../engine/types.ts";
import { usdtToCash } from "./cash.ts";
import type { Engine } from "./rooms.ts";

/**
 * The venue's funding: one clock per symbol (engine/funding.ts) sampling the premium index and
 * settling funding times, and the premiumIndex route's view of it.
 */
export class VenueFunding {
  /** One funding clock per symbol, in config order. */
  private readonly clocks: FundingClock[];
  /** Wall ms of the next premium sample: the venue has no funding work before it. */
  dueMs: number;
  private readonly impactNotionalCash: number;

  constructor(
    private readonly config: ExchangeConfig,
    private readonly engine: Engine,
    originMs: number,
  ) {
    // Funding periods are natural time: compressed by the time scale like the limit windows and
    // aligned to the clock origin, so a re-run meets the same funding times.
    const f = config.funding;
    const rule = { interestE8: f.interestPpm * 100, clampE8: f.clampPpm * 100, capE8: f.capPpm * 100 };
    const samples = f.intervalNaturalMs / f.samplePeriodNaturalMs;
    this.clocks = config.symbols.map(
      () => new FundingClock(originMs, f.samplePeriodNaturalMs, config.timeScale, samples, rule),
    );
    this.dueMs = this.clocks[0]?.nextSampleMs ?? Number.POSITIVE_INFINITY;
    this.impactNotionalCash = usdtToCash(f.impactNotionalUsdt, engine.cashDecimals);
  }

  /** Takes the premium samples due and settles every funding time passed, each symbol in turn. */
  advance(now: number): void {
    this.config.symbols.forEach((spec, i) => {
      (this.clocks[i] as FundingClock).advance(
        now,
        () => this.premiumNow(spec.symbol),
        (rateE8) => {
          this.engine.settleFunding(spec.symbol, rateE8);
        },
      );
    });
    this.dueMs = (this.clocks[0] as FundingClock).nextSampleMs;
  }

  /**
   * `lastFundingRate` is the rate the next funding time would settle at from the premium samples
   * taken so far in the interval (what Binance's premiumIndex shows as it moves, engine/funding.ts);
   * `nextFundingTime` is in the venue's clock (wall ms; natural 8 h / time scale apart).
   */
  premiumIndexJson(spec: SymbolSpec, symbolIndex: number, now: number): string {
    const mark = this.engine.markPriceTicks(spec.symbol);
    const index = this.engine.indexPriceTicks(spec.symbol) ?? mark;
    const tick = Number(spec.tickSize);
    const clock = this.clocks[symbolIndex] as FundingClock;
    const rate = clock.estimateE8(this.premiumNow(spec.symbol));
    return JSON.stringify({
      symbol: spec.symbol,
      markPrice: (mark * tick).toFixed(8),
      indexPrice: (index * tick).toFixed(8),
      estimatedSettlePrice: (index * tick).toFixed(8),
      lastFundingRate: (rate / RATE_UNITS_PER_ONE).toFixed(8),
      interestRate: (this.config.funding.interestPpm / 1e6).toFixed(8),
      nextFundingTime: clock.nextFundingMs,
      time: now,
    });
  }

  /**
   * Binance's premium index now: impact bid/ask for the Impact Margin Notional against the index.
   * The venue has no spot index unless one is set (engine.setIndexPrice): the index is then the
   * mark, as premiumIndex reports it, and only a book whose impact prices cross it has a premium.
   */
  private premiumNow(symbol: string): number {
    const index = this.engine.indexPriceTicks(symbol) ?? this.engine.markPriceTicks(symbol);
    const bid = this.engine.impactPriceTicks(symbol, "bids", this.impactNotionalCash);
    const ask = this.engine.impactPriceTicks(symbol, "asks", this.impactNotionalCash);
    return premiumIndex(bid, ask, index);
  }
}
