import type {
  MarketCollateralSecond,
  MarketSecond,
  MarketSymbolSecond,
} from "../../loadtests/vocabulary/market.ts";
import type { MakerTally } from "./maker.ts";

/**
 * The market's counts for the wall second in progress, closed into a MarketSecond
 * (TimelinePoint.market) and started again. Prices and depth are read at the close by the model.
 */
export class MarketStats {
  readonly makers: MakerTally = { requests: 0, refused: 0 };
  shockNotionalUsdt = 0;
  seizedSoldUsdt = 0;
  adlEvents = 0;
  adlNotionalUsdt = 0;
  readonly adlAccounts = new Set<number>();
  readonly stops = { triggered: 0, filled: 0, refused: 0, late: 0, slippageBps: [] as number[] };
  readonly liquidations = new Map<string, { count: number; notionalUsdt: number }>();
  fundOpenUsdt: number;
  fundMinUsdt: number;

  constructor(fundUsdt: number) {
    this.fundOpenUsdt = fundUsdt;
    this.fundMinUsdt = fundUsdt;
  }

  /** `orders` liquidation orders (the fluid cascade counts a position's forced order and its ADL closes at once). */
  liquidated(symbol: string, notionalUsdt: number, orders = 1): void {
    let s = this.liquidations.get(symbol);
    if (s === undefined) {
      s = { count: 0, notionalUsdt: 0 };
      this.liquidations.set(symbol, s);
    }
    s.count += orders;
    s.notionalUsdt += notionalUsdt;
  }

  fundNow(fundUsdt: number): void {
    if (fundUsdt < this.fundMinUsdt) this.fundMinUsdt = fundUsdt;
  }

  /** The second's MarketSecond, from the model's closing prices; then counting starts again. */
  close(
    symbols: Record<string, Omit<MarketSymbolSecond, "liquidations" | "liquidatedNotionalUsdt">>,
    collateral: Record<string, Omit<MarketCollateralSecond, "seizedSoldUsdt">>,
    fundCloseUsdt: number,
    makersQuoting: number,
    makersTotal: number,
  ): MarketSecond {
    this.fundNow(fundCloseUsdt);
    const out: MarketSecond = {
      symbols: {},
      collateral: {},
      insuranceFund: {
        openUsdt: cents(this.fundOpenUsdt),
        minUsdt: cents(this.fundMinUsdt),
        closeUsdt: cents(fundCloseUsdt),
      },
      shockNotionalUsdt: cents(this.shockNotionalUsdt),
      makerRequests: this.makers.requests,
      makerRequestsRefused: this.makers.refused,
      makersQuoting,
      makersTotal,
      adlEvents: this.adlEvents,
      adlNotionalUsdt: cents(this.adlNotionalUsdt),
      adlAccounts: [...this.adlAccounts].sort((a, b) => a - b),
      stops: { ...this.stops, slippageBps: this.stops.slippageBps.map((b) => Math.round(b * 100) / 100) },
    };
    for (const [symbol, s] of Object.entries(symbols)) {
      const l = this.liquidations.get(symbol);
      out.symbols[symbol] = {
        ...s,
        liquidations: l?.count ?? 0,
        liquidatedNotionalUsdt: cents(l?.notionalUsdt ?? 0),
      };
    }
    for (const [asset, c] of Object.entries(collateral))
      out.collateral[asset] = { ...c, seizedSoldUsdt: cents(this.seizedSoldUsdt) };
    this.reset(fundCloseUsdt);
    return out;
  }

  private reset(fundUsdt: number): void {
    this.makers.requests = 0;
    this.makers.refused = 0;
    this.shockNotionalUsdt = 0;
    this.seizedSoldUsdt = 0;
    this.adlEvents = 0;
    this.adlNotionalUsdt = 0;
    this.adlAccounts.clear();
    this.stops.triggered = 0;
    this.stops.filled = 0;
    this.stops.refused = 0;
    this.stops.late = 0;
    this.stops.slippageBps = [];
    this.liquidations.clear();
    this.fundOpenUsdt = fundUsdt;
    this.fundMinUsdt = fundUsdt;
  }
}

function cents(usdt: number): number {
  return Math.round(usdt * 100) / 100;
}
