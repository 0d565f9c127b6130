/**
 * One account's own fills on one symbol, for GET /fapi/v1/userTrades: a ring buffer of the last
 * `capacity` fills, so a soak run's memory stays bounded (Binance keeps six months; the mock
 * keeps the newest N, N from defaults.ts). Fields live in one Float64Array, FIELDS numbers per
 * fill, so recording a fill on the matching hot path allocates nothing (the array doubles up to
 * the capacity, then wraps). Every value is an integer well inside 2^53.
 */

/** A fill as userTrades reports it; cash amounts in the engine's cash units. */
export interface TradeRecord {
  /** Trade id, per symbol; the buyer's and the seller's record of one fill share it. */
  id: number;
  orderId: number;
  priceTicks: number;
  lots: number;
  /** price x quantity, cash units. */
  quoteCash: number;
  /** PnL this fill realised against the position's entry (before fees), cash units. */
  realizedCash: number;
  /** Fee paid on this fill, cash units (>= 0). */
  commissionCash: number;
  time: number;
  buyer: boolean;
  maker: boolean;
}

/** What to return (Binance "Account Trade List"); the caller validated the combination. */
export interface TradeQuery {
  orderId?: number;
  /** Trades with id >= fromId, oldest first. */
  fromId?: number;
  startTime?: number;
  endTime?: number;
  limit: number;
  /** With a time window: true = the oldest `limit` in it (startTime given), false = the newest. */
  oldestFirst: boolean;
}

const FIELDS = 9;
const BUYER = 1;
const MAKER = 2;
const INITIAL_ROWS = 16;

export class TradeRing {
  private data: Float64Array;
  /** Rows the buffer holds now (grows by doubling up to capacity). */
  private rows: number;
  /** Index of the oldest record once the buffer wrapped (0 before). */
  private head = 0;
  private count = 0;

  constructor(readonly capacity: number) {
    this.rows = Math.min(capacity, INITIAL_ROWS);
    this.data = new Float64Array(this.rows * FIELDS);
  }

  get size(): number {
    return this.count;
  }

  push(
    id: number,
    orderId: number,
    priceTicks: number,
    lots: number,
    quoteCash: number,
    realizedCash: number,
    commissionCash: number,
    time: number,
    buyer: boolean,
    maker: boolean,
  ): void {
    if (this.count === this.rows && this.rows < this.capacity) {
      // Grow before wrapping: records are still in order from index 0.
      this.rows = Math.min(this.capacity, this.rows * 2);
      const bigger = new Float64Array(this.rows * FIELDS);
      bigger.set(this.data);
      this.data = bigger;
    }
    let slot: number;
    if (this.count < this.rows) {
      slot = this.count++;
    } else {
      slot = this.head;
      this.head = (this.head + 1) % this.rows;
    }
    const d = this.data;
    const o = slot * FIELDS;
    d[o] = id;
    d[o + 1] = orderId;
    d[o + 2] = priceTicks;
    d[o + 3] = lots;
    d[o + 4] = quoteCash;
    d[o + 5] = realizedCash;
    d[o + 6] = commissionCash;
    d[o + 7] = time;
    d[o + 8] = (buyer ? BUYER : 0) | (maker ? MAKER : 0);
  }

  /** The i-th oldest record kept (0 = oldest). */
  at(i: number): TradeRecord {
    const d = this.data;
    const o = ((this.head + i) % this.rows) * FIELDS;
    const flags = d[o + 8] as number;
    return {
      id: d[o] as number,
      orderId: d[o + 1] as number,
      priceTicks: d[o + 2] as number,
      lots: d[o + 3] as number,
      quoteCash: d[o + 4] as number,
      realizedCash: d[o + 5] as number,
      commissionCash: d[o + 6] as number,
      time: d[o + 7] as number,
      buyer: (flags & BUYER) !== 0,
      maker: (flags & MAKER) !== 0,
    };
  }

  private idAt(i: number): number {
    return this.data[((this.head + i) % this.rows) * FIELDS] as number;
  }

  private timeAt(i: number): number {
    return this.data[((this.head + i) % this.rows) * FIELDS + 7] as number;
  }

  private orderAt(i: number): number {
    return this.data[((this.head + i) % this.rows) * FIELDS + 1] as number;
  }

  /**
   * The records matching `q`, oldest first, at most q.limit: from fromId on (the oldest ones),
   * else in [startTime, endTime] (the oldest ones when q.oldestFirst, else the newest).
   * Records are kept in id and time order, so a scan from the right end stops at `limit`.
   */
  query(q: TradeQuery): TradeRecord[] {
    const out: TradeRecord[] = [];
    const matches = (i: number) => {
      if (q.orderId !== undefined && this.orderAt(i) !== q.orderId) return false;
      if (q.fromId !== undefined && this.idAt(i) < q.fromId) return false;
      const t = this.timeAt(i);
      if (q.startTime !== undefined && t < q.startTime) return false;
      if (q.endTime !== undefined && t > q.endTime) return false;
      return true;
    };
    if (q.fromId !== undefined || q.oldestFirst) {
      for (let i = 0; i < this.count && out.length < q.limit; i++) if (matches(i)) out.push(this.at(i));
      return out;
    }
    for (let i = this.count - 1; i >= 0 && out.length < q.limit; i--) if (matches(i)) out.push(this.at(i));
    return out.reverse();
  }
}
