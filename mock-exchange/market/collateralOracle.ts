import type { OracleMode } from "../../loadtests/vocabulary/market.ts";
import type { Random } from "../random.ts";
import type { CollateralConfig } from "./marketConfig.ts";

/**
 * The collateral's price by each oracle mode (docs/facts.md "Collateral oracles"), all three
 * computed every step so a run shows what the others would have said:
 * - `internal-spot`: the venue's own spot book, its last trade;
 * - `index-twap`: the median of `externalSources` external venues, averaged over the last
 *   `twapWindowNaturalS` of natural time (a sample per step, weighted by the time it held);
 * - `conversion-rate`: the redemption rate times the underlying dollar.
 * The external venues hold the peg within `externalSpreadBps` (on 10 Oct 2025 the dump was on one
 * venue's book; the asset traded near par elsewhere), each with its own seeded jitter.
 */
export class CollateralOracle {
  /** TWAP samples: natural ms, the median then, and how long it held (natural ms), oldest first. */
  private readonly samples: Array<{ atNaturalMs: number; price: number }> = [];
  private readonly sourceOffsets: number[];
  spot = 1;
  indexTwap = 1;
  readonly conversionRate: number;

  constructor(
    private readonly config: CollateralConfig,
    private readonly random: Random,
  ) {
    const n = Math.max(1, config.externalSources);
    // Spread evenly over [-spread, +spread]: the median source sits at par.
    this.sourceOffsets = Array.from({ length: n }, (_, k) =>
      n === 1 ? 0 : ((2 * k) / (n - 1) - 1) * (config.externalSpreadBps / 10_000),
    );
    this.conversionRate = config.redemptionRate;
  }

  /** The price margin uses under `mode`. */
  price(mode: OracleMode): number {
    switch (mode) {
      case "internal-spot":
        return this.spot;
      case "index-twap":
        return this.indexTwap;
      case "conversion-rate":
        return this.conversionRate;
    }
  }

  /** Takes the spot book's price and a sample of the external venues at `naturalMs`. */
  update(naturalMs: number, spot: number): void {
    this.spot = spot;
    const quotes = this.sourceOffsets.map((offset) => 1 + offset * (0.5 + this.random()));
    quotes.sort((a, b) => a - b);
    const median = quotes[Math.floor(quotes.length / 2)] as number;
    const samples = this.samples;
    samples.push({ atNaturalMs: naturalMs, price: median });
    const windowMs = this.config.twapWindowNaturalS * 1000;
    while (samples.length > 1 && (samples[1] as { atNaturalMs: number }).atNaturalMs <= naturalMs - windowMs)
      samples.shift();
    this.indexTwap = timeWeighted(samples, naturalMs);
  }
}

/** Each sample weighted by how long it held until the next one (the last: 1 ms, so a single sample counts). */
function timeWeighted(samples: ReadonlyArray<{ atNaturalMs: number; price: number }>, nowMs: number): number {
  let weighted = 0;
  let total = 0;
  for (let i = 0; i < samples.length; i++) {
    const s = samples[i] as { atNaturalMs: number; price: number };
    const until =
      i + 1 < samples.length ? (samples[i + 1] as { atNaturalMs: number }).atNaturalMs : nowMs + 1;
    const heldMs = Math.max(0, until - s.atNaturalMs);
    weighted += s.price * heldMs;
    total += heldMs;
  }
  return total > 0 ? weighted / total : (samples[samples.length - 1]?.price ?? 1);
}
