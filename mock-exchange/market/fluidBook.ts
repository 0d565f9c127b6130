/**
 * One book of the fluid cascade (market/fluidCascade.ts): depth against price as continuous
 * quantities, no orders and no matching engine. Each side is a list of price levels holding a
 * quantity (base units, fractional), tagged by who rests there: the makers, whose part is
 * refilled as their quote updates get through, or fixed depth (the perpetuals' resting orders,
 * the collateral's backstop), consumed and never refilled, as in the per-request model.
 *
 * A sale walks the bids from the best down to its limit price (a market order: no limit) and
 * fills at each level's price; the last fill is the book's last price, as on the engine. Bids
 * never cross asks: a fresh maker quote replaces the makers' stale quotes it would cross, and is
 * dropped if it would cross fixed depth (post-only, -5022).
 */

export type LevelKind = "maker" | "fixed";

interface Level {
  price: number;
  qty: number;
  kind: LevelKind;
}

/** What a walk filled: quantity and its notional (USDT at the fill prices). */
export interface Fill {
  qty: number;
  notionalUsdt: number;
}

/** Quantities below this are dust, dropped (a continuous quantity never reaches 0 by scaling). */
const DUST_QTY = 1e-9;

export class FluidBook {
  /** Best first: bids high to low, asks low to high. */
  private readonly bids: Level[] = [];
  private readonly asks: Level[] = [];
  /** The makers' inventory, base units (+ long): their bids bought it. */
  makerInventoryQty = 0;
  /** Whether a trade printed since the last look (the engine recomputes the mark after a trade). */
  traded = false;

  constructor(public lastPrice: number) {}

  /** Rests `qty` at `price` on a side (post-only: a maker's quote that would cross is dropped). */
  add(side: "BUY" | "SELL", price: number, qty: number, kind: LevelKind): void {
    if (!(qty > DUST_QTY) || !(price > 0)) return;
    if (kind === "maker") {
      // The makers' own stale quotes it would cross go first: each maker replaces all its quotes
      // within a requote cycle (per request its crossing quote is rejected for that one cycle).
      this.cancelMakersCrossing(side, price);
      const ask = this.bestAsk();
      const bid = this.bestBid();
      if (side === "BUY" && ask !== undefined && price >= ask) return;
      if (side === "SELL" && bid !== undefined && price <= bid) return;
    }
    const levels = side === "BUY" ? this.bids : this.asks;
    const better = side === "BUY" ? (a: number, b: number) => a > b : (a: number, b: number) => a < b;
    let i = 0;
    while (i < levels.length && better((levels[i] as Level).price, price)) i++;
    const same = levels[i];
    if (same !== undefined && same.price === price && same.kind === kind) same.qty += qty;
    else levels.splice(i, 0, { price, qty, kind });
  }

  /** Sells up to `qty` into the bids down to `limitPrice` (0: at market). */
  sell(qty: number, limitPrice = 0): Fill {
    return this.walk(this.bids, qty, (p) => p >= limitPrice, 1);
  }

  /** Buys up to `qty` from the asks up to `limitPrice` (Infinity: at market). */
  buy(qty: number, limitPrice = Number.POSITIVE_INFINITY): Fill {
    return this.walk(this.asks, qty, (p) => p <= limitPrice, -1);
  }

  /** Sells `notionalUsdt` worth at market, sized at the last price (as the shock seller does), in whole lots of `lotQty`. */
  sellNotional(notionalUsdt: number, lotQty: number): Fill {
    const lots = Math.floor(notionalUsdt / (this.lastPrice * lotQty));
    if (lots < 1) return { qty: 0, notionalUsdt: 0 };
    return this.sell(lots * lotQty);
  }

  bestBid(): number | undefined {
    return this.bids[0]?.price;
  }

  bestAsk(): number | undefined {
    return this.asks[0]?.price;
  }

  /** The mid (bid and ask), one side's best, or the last price: what the mark's basis samples. */
  mid(): number {
    const bid = this.bestBid();
    const ask = this.bestAsk();
    if (bid !== undefined && ask !== undefined) return (bid + ask) / 2;
    return bid ?? ask ?? this.lastPrice;
  }

  /** Resting notional within `band` (fraction) of the mid on each side, USDT (MarketSymbolSecond depth). */
  depthUsdt(band: number): { bidUsdt: number; askUsdt: number } {
    const mid = this.mid();
    let bidUsdt = 0;
    for (const l of this.bids) {
      if (l.price < mid * (1 - band)) break;
      bidUsdt += l.price * l.qty;
    }
    let askUsdt = 0;
    for (const l of this.asks) {
      if (l.price > mid * (1 + band)) break;
      askUsdt += l.price * l.qty;
    }
    return { bidUsdt, askUsdt };
  }

  /** Keeps `1 - share` of the makers' resting quotes (a share of them cancelled). */
  cancelMakers(share: number): void {
    if (!(share > 0)) return;
    for (const levels of [this.bids, this.asks]) {
      for (const l of levels) if (l.kind === "maker") l.qty *= 1 - Math.min(1, share);
      prune(levels);
    }
  }

  private cancelMakersCrossing(side: "BUY" | "SELL", price: number): void {
    const opposite = side === "BUY" ? this.asks : this.bids;
    const crosses = (p: number) => (side === "BUY" ? p <= price : p >= price);
    for (let i = opposite.length - 1; i >= 0; i--) {
      const l = opposite[i] as Level;
      if (l.kind === "maker" && crosses(l.price)) opposite.splice(i, 1);
    }
  }

  /** Whether the makers have anything resting. */
  makersResting(): boolean {
    return this.bids.some((l) => l.kind === "maker") || this.asks.some((l) => l.kind === "maker");
  }

  private walk(
    levels: Level[],
    qty: number,
    within: (price: number) => boolean,
    inventorySign: number,
  ): Fill {
    let left = qty;
    let notionalUsdt = 0;
    while (left > DUST_QTY && levels.length > 0) {
      const l = levels[0] as Level;
      if (!within(l.price)) break;
      const take = Math.min(left, l.qty);
      left -= take;
      l.qty -= take;
      notionalUsdt += take * l.price;
      if (l.kind === "maker") this.makerInventoryQty += inventorySign * take;
      this.lastPrice = l.price;
      this.traded = true;
      if (l.qty <= DUST_QTY) levels.shift();
    }
    return { qty: qty - Math.max(0, left), notionalUsdt };
  }
}

function prune(levels: Level[]): void {
  for (let i = levels.length - 1; i >= 0; i--) if ((levels[i] as Level).qty <= DUST_QTY) levels.splice(i, 1);
}
