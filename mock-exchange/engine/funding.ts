/**
 * Funding of a perpetual, as Binance USDⓈ-M computes it ("Introduction to Binance Futures
 * Funding Rates"):
 *
 *   Premium Index P_k = [max(0, Impact Bid − Index) − max(0, Index − Impact Ask)] / Index,
 *     sampled every 5 s; Impact Bid/Ask = the average price of selling/buying the Impact Margin
 *     Notional (200 USDT of margin at the maximum leverage's initial margin rate) on the book.
 *   Average Premium P = (1·P_1 + 2·P_2 + … + n·P_n) / (1 + 2 + … + n) over the interval's
 *     n samples (5,760 in 8 h): time-weighted, later samples count more.
 *   Funding Rate F = P + clamp(I − P, −0.05%, +0.05%), I = 0.01% per 8 h interval (0.03% a day),
 *     then capped to ±cap (0.75% here, defaults.ts; Binance sets a cap per contract).
 *   At each funding time, every position pays (F > 0: longs pay shorts) notional at the mark x F.
 *
 * Pure: time comes in as `nowMs`, the state through the `premium` callback; no I/O. Rates are
 * integers in units of 1e-8 (Binance shows funding rates with 8 decimals).
 */

export const RATE_UNITS_PER_ONE = 100_000_000;

export interface FundingRule {
  /** Interest rate per interval, 1e-8 units (0.01% = 10_000). */
  interestE8: number;
  /** Half-width of the clamp on (I − P), 1e-8 units (0.05% = 50_000). */
  clampE8: number;
  /** Cap and floor of the funding rate, 1e-8 units (0.75% = 750_000). */
  capE8: number;
}

/**
 * One premium sample. A side of the book with no liquidity has no impact price: its term is 0
 * (an empty bid side cannot bid above the index, an empty ask side cannot offer below it).
 */
export function premiumIndex(
  impactBidTicks: number | undefined,
  impactAskTicks: number | undefined,
  indexTicks: number,
): number {
  if (!(indexTicks > 0)) return 0;
  const above = impactBidTicks === undefined ? 0 : Math.max(0, impactBidTicks - indexTicks);
  const below = impactAskTicks === undefined ? 0 : Math.max(0, indexTicks - impactAskTicks);
  return (above - below) / indexTicks;
}

/** F = P + clamp(I − P, ±clamp), capped to ±cap; rounded to 1e-8, as an integer of 1e-8 units. */
export function fundingRateE8(averagePremium: number, rule: FundingRule): number {
  const p = averagePremium * RATE_UNITS_PER_ONE;
  const damped = p + Math.min(rule.clampE8, Math.max(-rule.clampE8, rule.interestE8 - p));
  const capped = Math.min(rule.capE8, Math.max(-rule.capE8, damped));
  // Math.round(-0.5) is -0: normalise so a zero rate serialises as "0".
  return Math.round(capped) + 0;
}

/**
 * One symbol's funding clock: premium samples at wall time originMs + k·samplePeriodNaturalMs /
 * timeScale (k >= 1; natural periods compressed by the drill's time scale, docs/architecture.md "Two
 * clocks"), a settlement after every `samplesPerInterval`-th sample. `advance` is lazy: called before anything changes
 * the state the premium reads, it records every sample due since the last call with the current
 * premium (the state cannot have changed in between), so it costs nothing between samples and
 * needs no timer. Samples exactly at a funding time belong to the interval that ends there.
 */
export class FundingClock {
  /** Index of the next sample to take. */
  private nextK = 1;
  /** Index of the last sample of the current interval (its funding time). */
  private intervalEndK: number;
  /** Σ weights and Σ weight x premium of the current interval; weights 1, 2, 3, … */
  private sumW = 0;
  private sumWP = 0;
  private count = 0;
  /** Rate of the last settlement (1e-8 units); 0 before the first. */
  lastRateE8 = 0;

  constructor(
    private readonly originMs: number,
    /** Natural ms between samples (Binance: 5,000). */
    private readonly samplePeriodNaturalMs: number,
    /** Natural ms per wall ms. */
    private readonly timeScale: number,
    readonly samplesPerInterval: number,
    private readonly rule: FundingRule,
  ) {
    if (
      !(samplePeriodNaturalMs > 0 && timeScale > 0) ||
      !Number.isInteger(samplesPerInterval) ||
      samplesPerInterval < 1
    )
      throw new Error(
        `bad funding clock: sample every ${samplePeriodNaturalMs} natural ms, ${samplesPerInterval} per interval`,
      );
    this.intervalEndK = samplesPerInterval;
  }

  /** Wall ms of sample k (the multiplication first, so whole results stay exact). */
  private sampleMs(k: number): number {
    return this.originMs + (k * this.samplePeriodNaturalMs) / this.timeScale;
  }

  /** Wall ms of the next sample: `advance` has nothing to do before it. */
  get nextSampleMs(): number {
    return this.sampleMs(this.nextK);
  }

  /** Wall ms of the next funding time (rounded up to a whole ms). */
  get nextFundingMs(): number {
    return Math.ceil(this.sampleMs(this.intervalEndK));
  }

  /** Samples taken so far in the current interval. */
  get samples(): number {
    return this.count;
  }

  /**
   * The rate the next settlement would pay if no more samples came: from the average premium
   * so far, or from `premiumNow` before the interval's first sample.
   */
  estimateE8(premiumNow: number): number {
    return fundingRateE8(this.count === 0 ? premiumNow : this.sumWP / this.sumW, this.rule);
  }

  /**
   * Takes every sample due at `nowMs` and settles every funding time passed, in time order;
   * `premium` is read again after each settlement (a settlement may liquidate and move the book).
   */
  advance(nowMs: number, premium: () => number, settle: (rateE8: number, fundingMs: number) => void): void {
    const due = Math.floor(((nowMs - this.originMs) * this.timeScale) / this.samplePeriodNaturalMs);
    while (this.nextK <= due) {
      const p = premium();
      const end = Math.min(due, this.intervalEndK);
      // m equal samples with weights count+1 … count+m: Σ = m·count + m(m+1)/2.
      const m = end - this.nextK + 1;
      const w = m * this.count + (m * (m + 1)) / 2;
      this.sumW += w;
      this.sumWP += w * p;
      this.count += m;
      this.nextK = end + 1;
      if (end === this.intervalEndK) {
        this.lastRateE8 = fundingRateE8(this.sumWP / this.sumW, this.rule);
        this.sumW = 0;
        this.sumWP = 0;
        this.count = 0;
        this.intervalEndK += this.samplesPerInterval;
        settle(this.lastRateE8, Math.ceil(this.sampleMs(end)));
      }
    }
  }
}
