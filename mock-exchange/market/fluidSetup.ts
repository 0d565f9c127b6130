import type { SymbolSpec } from "../engine/types.ts";
import { collateralSpotSpec } from "./collateralAccounts.ts";
import { FluidBook } from "./fluidBook.ts";
import { FluidMakers } from "./fluidMakers.ts";
import type { MakerTally } from "./maker.ts";
import type { MarketConfig } from "./marketConfig.ts";

/**
 * The fluid cascade's books as the market model seeds them (market/marketModel.ts
 * seedRestingDepth, seedBackstop, addMakers), and the perpetuals' median mark
 * (engine/markPrice.ts): market/fluidCascade.ts plays them.
 */

/** The engine's basis window (engine/markPrice.ts basisWindow). */
const BASIS_WINDOW = 12;

/** A perpetual in the fluid cascade: its book, makers, index and mark (USDT). */
export interface PerpState {
  spec: SymbolSpec;
  book: FluidBook;
  makers: FluidMakers;
  index: number;
  mark: number;
  /** The basis samples (mid - index, USDT), oldest first, and when the last was taken (wall ms). */
  basis: number[];
  lastBasisSampleMs: number;
}

/** A perpetual's book at reset: the resting depth on both sides, then its makers' ladders around the reference. */
export function perpState(spec: SymbolSpec, market: MarketConfig, tally: MakerTally): PerpState {
  const m = market.makers;
  const ts = Number(spec.tickSize);
  const ref = spec.referencePriceTicks * ts;
  const book = new FluidBook(ref);
  const r = market.restingDepth;
  for (let k = 0; k < r.levels; k++) {
    const pct = r.fromPct + ((r.toPct - r.fromPct) * k) / Math.max(1, r.levels - 1);
    for (const side of ["BUY", "SELL"] as const) {
      const priceTicks = Math.round(spec.referencePriceTicks * (1 + ((side === "BUY" ? -1 : 1) * pct) / 100));
      book.add(side, priceTicks * ts, lotQty(spec, r.notionalPerLevelUsdt, priceTicks), "fixed");
    }
  }
  const makers = new FluidMakers(
    makerSpec(
      spec,
      m.perSymbol,
      m.levelSpacingBps,
      m.notionalPerLevelUsdt,
      m.maxInventoryUsdt,
      m.anchorToIndex,
    ),
    m,
    tally,
  );
  makers.seed(book, 0, ref);
  // The engine's first mark samples a basis of 0 (the index set at reset, the book at the reference).
  return { spec, book, makers, index: ref, mark: ref, basis: [0], lastBasisSampleMs: 0 };
}

/** The collateral's spot book at reset: the redemption backstop's bids and floor, then its makers' ladders. */
export function spotBook(market: MarketConfig, tally: MakerTally): { book: FluidBook; makers: FluidMakers } {
  const m = market.makers;
  const c = market.collateral;
  const spec = collateralSpotSpec(c);
  const book = new FluidBook(1);
  const levels = Math.max(1, c.backstopLevels);
  for (let k = 0; k < levels; k++) {
    const pct = c.backstopTopPct + ((c.backstopBottomPct - c.backstopTopPct) * k) / Math.max(1, levels - 1);
    const priceTicks = Math.round(spec.referencePriceTicks * (1 - pct / 100));
    const notional = k === levels - 1 ? c.backstopFloorNotionalUsdt : c.backstopNotionalPerLevelUsdt;
    book.add("BUY", priceTicks * Number(spec.tickSize), lotQty(spec, notional, priceTicks), "fixed");
  }
  const makers = new FluidMakers(
    makerSpec(
      spec,
      m.perCollateral,
      m.levelSpacingBps,
      c.makerNotionalPerLevelUsdt,
      c.makerMaxInventoryUsdt,
      0,
    ),
    m,
    tally,
  );
  makers.seed(book, 0, undefined);
  return { book, makers };
}

/** A shock's slices in wall time, as market/shockSeller.ts sends them; `done` counts those sent. */
export interface ShockSlices {
  market: string;
  startMs: number;
  slices: number;
  perSliceUsdt: number;
  done: number;
}

/** The market's shocks: natural start and length to wall ms through the time scale, one slice every shockSliceMs. */
export function shockSlices(market: MarketConfig, timeScale: number): ShockSlices[] {
  return market.shocks.map((s) => {
    const slices = Math.max(1, Math.round((s.overS * 1000) / timeScale / market.shockSliceMs));
    return {
      market: s.market,
      startMs: (s.atS * 1000) / timeScale,
      slices,
      perSliceUsdt: s.notionalUsdt / slices,
      done: 0,
    };
  });
}

/**
 * The engine's median mark after a trade or an index move at `t` (wall ms): the basis sampled if
 * `basisSampleMs` has passed since the last sample, then the median of the index, the last price
 * and the index plus the mean basis, in whole ticks.
 */
export function remark(s: PerpState, t: number, basisSampleMs: number): void {
  if (t - s.lastBasisSampleMs >= basisSampleMs) {
    s.basis.push(s.book.mid() - s.index);
    if (s.basis.length > BASIS_WINDOW) s.basis.shift();
    s.lastBasisSampleMs = t;
  }
  const avg = s.basis.length === 0 ? 0 : s.basis.reduce((a, b) => a + b, 0) / s.basis.length;
  const ts = Number(s.spec.tickSize);
  s.mark = Math.round(median3(s.index, s.book.lastPrice, s.index + avg) / ts) * ts;
}

/** Base units of `notionalUsdt` at `priceTicks`, whole lots (at least one), as the engine's seeding rounds. */
export function lotQty(spec: SymbolSpec, notionalUsdt: number, priceTicks: number): number {
  const step = Number(spec.stepSize);
  const lots = Math.max(1, Math.round(notionalUsdt / (priceTicks * Number(spec.tickSize) * step)));
  return lots * step;
}

function makerSpec(
  spec: SymbolSpec,
  count: number,
  spacingBps: number,
  perLevelUsdt: number,
  maxInventoryUsdt: number,
  anchorToIndex: number,
) {
  const step = Number(spec.stepSize);
  const lotUsdt = spec.referencePriceTicks * Number(spec.tickSize) * step;
  return {
    count,
    tickSize: Number(spec.tickSize),
    spacingTicks: Math.max(1, Math.round((spec.referencePriceTicks * spacingBps) / 10_000)),
    levelQty: Math.max(1, Math.round(perLevelUsdt / lotUsdt)) * step,
    maxInventoryQty: Math.max(1, Math.round(maxInventoryUsdt / lotUsdt)) * step,
    anchorToIndex,
  };
}

function median3(a: number, b: number, c: number): number {
  return Math.max(Math.min(a, b), Math.min(Math.max(a, b), c));
}
