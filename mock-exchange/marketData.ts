import { formatUnits } from "./api/params.ts";
import type { SymbolSpec } from "./engine/types.ts";

/**
 * The venue's public market statistics, built from its own trades: per symbol, one candle per
 * natural minute that saw a trade, in a ring of bounded size (defaults.ts
 * `klineMinutesPerSymbol`), so a soak run's memory stays flat. Coarser intervals and the rolling
 * 24 h ticker are aggregated from those minutes on request; a request is rare next to a trade,
 * so the trade path only updates one row.
 *
 * Time: candles are natural time, as every slow loop of a drill (docs/architecture.md "Two clocks"). The
 * natural clock equals the venue's clock at its origin and runs `timeScale` times faster, so at
 * time scale 1 candles open on the epoch's minute boundaries as Binance's do; the times a client
 * sees (openTime, closeTime, startTime, endTime) are the venue's clock, like every other time it
 * sends.
 */

/** Binance USDⓈ-M kline intervals ("Kline/Candlestick Data", common definitions). */
export const KLINE_INTERVALS = [
  "1m",
  "3m",
  "5m",
  "15m",
  "30m",
  "1h",
  "2h",
  "4h",
  "6h",
  "8h",
  "12h",
  "1d",
  "3d",
  "1w",
  "1M",
] as const;
export type KlineInterval = (typeof KLINE_INTERVALS)[number];

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
const WEEK_MS = 7 * DAY_MS;
/** 1970-01-01 was a Thursday: weekly candles open on Mondays, 4 days after the epoch's week start. */
const MONDAY_OFFSET_MS = 4 * DAY_MS;
const TICKER_WINDOW_MS = DAY_MS;

/** Natural ms covered by a fixed interval; undefined for 1w and 1M (aligned by the calendar). */
function fixedIntervalMs(interval: KlineInterval): number | undefined {
  const n = Number(interval.slice(0, -1));
  switch (interval.slice(-1)) {
    case "m":
      return n * MINUTE_MS;
    case "h":
      return n * 3_600_000;
    case "d":
      return n * DAY_MS;
    default:
      return undefined;
  }
}

/** Start of the interval holding natural time `ms`. */
export function bucketStart(interval: KlineInterval, ms: number): number {
  const fixed = fixedIntervalMs(interval);
  if (fixed !== undefined) return Math.floor(ms / fixed) * fixed;
  if (interval === "1w") return Math.floor((ms - MONDAY_OFFSET_MS) / WEEK_MS) * WEEK_MS + MONDAY_OFFSET_MS;
  const d = new Date(ms);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
}

/** Start of the interval after the one starting at `start`. */
export function nextBucket(interval: KlineInterval, start: number): number {
  const fixed = fixedIntervalMs(interval);
  if (fixed !== undefined) return start + fixed;
  if (interval === "1w") return start + WEEK_MS;
  const d = new Date(start);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
}

/** Row layout of the minute ring (one Float64Array, ROW numbers per minute: no object per trade). */
const MINUTE = 0;
const OPEN = 1;
const HIGH = 2;
const LOW = 3;
const CLOSE = 4;
const VOLUME = 5;
const QUOTE = 6;
const COUNT = 7;
const TAKER_BUY_VOLUME = 8;
const TAKER_BUY_QUOTE = 9;
const FIRST_ID = 10;
const ROW = 11;
const INITIAL_ROWS = 64;

/** One candle as the venue aggregates it: prices in ticks, volumes in lots, quote in ticks x lots. */
export interface Candle {
  /** Natural ms of the interval's start and of the next interval's start. */
  startMs: number;
  endMs: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
  quote: number;
  count: number;
  takerBuyVolume: number;
  takerBuyQuote: number;
}

/** The minutes of one symbol that saw a trade, oldest first, the oldest dropped past `capacity`. */
class MinuteRing {
  private data: Float64Array;
  private rows: number;
  private head = 0;
  size = 0;
  lastTradeId = -1;
  lastLots = 0;

  constructor(private readonly capacity: number) {
    this.rows = Math.min(capacity, INITIAL_ROWS);
    this.data = new Float64Array(this.rows * ROW);
  }

  /** Offset of the i-th oldest row. */
  at(i: number): number {
    return ((this.head + i) % this.rows) * ROW;
  }

  get(i: number, field: number): number {
    return this.data[this.at(i) + field] as number;
  }

  record(minute: number, priceTicks: number, lots: number, takerBuy: boolean, tradeId: number): void {
    this.lastTradeId = tradeId;
    this.lastLots = lots;
    const d = this.data;
    // A clock step back keeps adding to the newest minute: rows stay in minute order.
    if (this.size > 0 && minute <= (d[this.at(this.size - 1) + MINUTE] as number)) {
      const o = this.at(this.size - 1);
      d[o + HIGH] = Math.max(d[o + HIGH] as number, priceTicks);
      d[o + LOW] = Math.min(d[o + LOW] as number, priceTicks);
      d[o + CLOSE] = priceTicks;
      d[o + VOLUME] = (d[o + VOLUME] as number) + lots;
      d[o + QUOTE] = (d[o + QUOTE] as number) + priceTicks * lots;
      d[o + COUNT] = (d[o + COUNT] as number) + 1;
      if (takerBuy) {
        d[o + TAKER_BUY_VOLUME] = (d[o + TAKER_BUY_VOLUME] as number) + lots;
        d[o + TAKER_BUY_QUOTE] = (d[o + TAKER_BUY_QUOTE] as number) + priceTicks * lots;
      }
      return;
    }
    const o = this.slot();
    const row = this.data;
    row[o + MINUTE] = minute;
    row[o + OPEN] = priceTicks;
    row[o + HIGH] = priceTicks;
    row[o + LOW] = priceTicks;
    row[o + CLOSE] = priceTicks;
    row[o + VOLUME] = lots;
    row[o + QUOTE] = priceTicks * lots;
    row[o + COUNT] = 1;
    row[o + TAKER_BUY_VOLUME] = takerBuy ? lots : 0;
    row[o + TAKER_BUY_QUOTE] = takerBuy ? priceTicks * lots : 0;
    row[o + FIRST_ID] = tradeId;
  }

  /** A row for a new minute: grows by doubling up to the capacity, then reuses the oldest. */
  private slot(): number {
    if (this.size === this.rows && this.rows < this.capacity) {
      // Grow before wrapping: rows are still in order from index 0.
      this.rows = Math.min(this.capacity, this.rows * 2);
      const bigger = new Float64Array(this.rows * ROW);
      bigger.set(this.data);
      this.data = bigger;
    }
    if (this.size < this.rows) return this.at(this.size++);
    const o = this.head * ROW;
    this.head = (this.head + 1) % this.rows;
    return o;
  }

  /** Index of the first row whose minute starts at or after natural ms `ms` (size when none). */
  firstAtOrAfter(ms: number): number {
    let lo = 0;
    let hi = this.size;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.get(mid, MINUTE) * MINUTE_MS < ms) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /**
   * The candle of [startMs, endMs) from the rows in it; with none, a flat candle at the close
   * before it (a venue's candles are contiguous: an interval without trades has volume 0).
   */
  candle(startMs: number, endMs: number): Candle {
    const first = this.firstAtOrAfter(startMs);
    const c: Candle = {
      startMs,
      endMs,
      open: 0,
      high: Number.NEGATIVE_INFINITY,
      low: Number.POSITIVE_INFINITY,
      close: 0,
      volume: 0,
      quote: 0,
      count: 0,
      takerBuyVolume: 0,
      takerBuyQuote: 0,
    };
    let i = first;
    for (; i < this.size && this.get(i, MINUTE) * MINUTE_MS < endMs; i++) {
      if (i === first) c.open = this.get(i, OPEN);
      c.high = Math.max(c.high, this.get(i, HIGH));
      c.low = Math.min(c.low, this.get(i, LOW));
      c.close = this.get(i, CLOSE);
      c.volume += this.get(i, VOLUME);
      c.quote += this.get(i, QUOTE);
      c.count += this.get(i, COUNT);
      c.takerBuyVolume += this.get(i, TAKER_BUY_VOLUME);
      c.takerBuyQuote += this.get(i, TAKER_BUY_QUOTE);
    }
    if (i === first) {
      const before = first > 0 ? this.get(first - 1, CLOSE) : 0;
      c.open = before;
      c.high = before;
      c.low = before;
      c.close = before;
    }
    return c;
  }
}

export interface KlineQuery {
  interval: KlineInterval;
  /** Venue-clock ms: candles opening at or after it, oldest first. */
  startTime?: number;
  /** Venue-clock ms: candles opening at or before it. */
  endTime?: number;
  limit: number;
}

/** The rolling 24 h statistics of one symbol (GET /fapi/v1/ticker/24hr), in engine units. */
export interface DayStats {
  open: number;
  high: number;
  low: number;
  volume: number;
  quote: number;
  count: number;
  firstId: number;
  lastId: number;
  lastLots: number;
  /** Venue-clock ms of the window's start. */
  openTime: number;
}

export class MarketData {
  private readonly rings: MinuteRing[];

  constructor(
    symbolCount: number,
    minutesPerSymbol: number,
    private readonly originMs: number,
    private readonly timeScale: number,
  ) {
    this.rings = Array.from({ length: symbolCount }, () => new MinuteRing(minutesPerSymbol));
  }

  /** Natural ms at venue-clock ms `wallMs`. */
  natural(wallMs: number): number {
    return this.originMs + (wallMs - this.originMs) * this.timeScale;
  }

  /** Venue-clock ms at natural ms `naturalMs`, whole ms as the venue sends times. */
  wall(naturalMs: number): number {
    return Math.round(this.originMs + (naturalMs - this.originMs) / this.timeScale);
  }

  /** One trade, as the taker's side saw it (takerBuy: the taker bought). */
  record(
    symbolIndex: number,
    priceTicks: number,
    lots: number,
    takerBuy: boolean,
    tradeId: number,
    wallMs: number,
  ): void {
    const minute = Math.floor(this.natural(wallMs) / MINUTE_MS);
    (this.rings[symbolIndex] as MinuteRing).record(minute, priceTicks, lots, takerBuy, tradeId);
  }

  /**
   * Candles of one symbol (Binance "Kline/Candlestick Data"): with startTime the oldest `limit`
   * from it on, else the newest up to endTime (or now); the current interval included, still
   * open. None before the oldest minute kept.
   */
  klines(symbolIndex: number, q: KlineQuery, nowMs: number): Candle[] {
    const ring = this.rings[symbolIndex] as MinuteRing;
    if (ring.size === 0) return [];
    const iv = q.interval;
    const earliest = bucketStart(iv, ring.get(0, MINUTE) * MINUTE_MS);
    let latest = bucketStart(iv, this.natural(nowMs));
    if (q.endTime !== undefined) latest = Math.min(latest, bucketStart(iv, this.natural(q.endTime)));
    const out: Candle[] = [];
    if (q.startTime !== undefined) {
      let b = Math.max(earliest, bucketStart(iv, this.natural(q.startTime)));
      if (this.wall(b) < q.startTime) b = nextBucket(iv, b);
      for (; b <= latest && out.length < q.limit; b = nextBucket(iv, b))
        out.push(ring.candle(b, nextBucket(iv, b)));
      return out;
    }
    for (let b = latest; b >= earliest && out.length < q.limit; b = bucketStart(iv, b - 1))
      out.push(ring.candle(b, nextBucket(iv, b)));
    return out.reverse();
  }

  /** The last 24 natural hours of one symbol, from the minutes kept. */
  dayStats(symbolIndex: number, nowMs: number): DayStats {
    const ring = this.rings[symbolIndex] as MinuteRing;
    const fromMs = this.natural(nowMs) - TICKER_WINDOW_MS;
    const c = ring.candle(Math.floor(fromMs / MINUTE_MS) * MINUTE_MS, Number.POSITIVE_INFINITY);
    const first = ring.firstAtOrAfter(Math.floor(fromMs / MINUTE_MS) * MINUTE_MS);
    const traded = c.count > 0;
    return {
      open: c.open,
      high: c.high,
      low: c.low,
      volume: c.volume,
      quote: c.quote,
      count: c.count,
      // No trade in the window: no trade ids to report.
      firstId: traded ? ring.get(first, FIRST_ID) : -1,
      lastId: traded ? ring.lastTradeId : -1,
      lastLots: ring.lastLots,
      openTime: this.wall(fromMs),
    };
  }
}

/** A kline row as Binance sends it: 12 fields, decimals as strings, the last one unused. */
export function klineJson(spec: SymbolSpec, c: Candle, market: MarketData): string {
  const tick = Number(spec.tickSize);
  const step = Number(spec.stepSize);
  const price = (t: number) => formatUnits(t, spec.tickSize);
  return (
    `[${market.wall(c.startMs)},"${price(c.open)}","${price(c.high)}","${price(c.low)}","${price(c.close)}"` +
    `,"${formatUnits(c.volume, spec.stepSize)}",${market.wall(c.endMs) - 1},"${(c.quote * tick * step).toFixed(8)}"` +
    `,${c.count},"${formatUnits(c.takerBuyVolume, spec.stepSize)}","${(c.takerBuyQuote * tick * step).toFixed(8)}","0"]`
  );
}

/**
 * GET /fapi/v1/ticker/24hr's object (Binance USDⓈ-M "24hr Ticker Price Change Statistics").
 * Without a trade in the window the statistics are those of a flat market at the last price.
 */
export function dayTickerJson(spec: SymbolSpec, s: DayStats, lastTicks: number, nowMs: number): string {
  const tick = Number(spec.tickSize);
  const step = Number(spec.stepSize);
  const price = (t: number) => formatUnits(t, spec.tickSize);
  const traded = s.count > 0;
  const open = traded ? s.open : lastTicks;
  const change = lastTicks - open;
  return JSON.stringify({
    symbol: spec.symbol,
    priceChange: formatUnits(change, spec.tickSize),
    priceChangePercent: open === 0 ? "0.000" : ((change / open) * 100).toFixed(3),
    weightedAvgPrice: (traded ? (s.quote / s.volume) * tick : lastTicks * tick).toFixed(8),
    lastPrice: price(lastTicks),
    lastQty: formatUnits(s.lastLots, spec.stepSize),
    openPrice: price(open),
    highPrice: price(traded ? s.high : lastTicks),
    lowPrice: price(traded ? s.low : lastTicks),
    volume: formatUnits(s.volume, spec.stepSize),
    quoteVolume: (s.quote * tick * step).toFixed(8),
    openTime: s.openTime,
    closeTime: nowMs,
    firstId: s.firstId,
    lastId: s.lastId,
    count: s.count,
  });
}
