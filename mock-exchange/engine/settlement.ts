/**
 * Settlement of fills: fees, cash and positions of both sides, the TRADE order updates, each
 * account's trade history, and the shrinking of resting reduce-only orders that a fill left
 * larger than the position.
 */
import { Accounts } from "./accounts.ts";
import type { AccountSymbol, SymbolState } from "./engineCore.ts";
import type { Fill, Order, OrderFillInfo } from "./types.ts";

export abstract class Settlement extends Accounts {
  /** Trade ids, one per fill, assigned whether or not anybody listens (deterministic). */
  protected nextTradeId = 1;
  /** Reused for every TRADE update: no allocation per fill. */
  protected readonly fillInfo: OrderFillInfo = {
    tradeId: 0,
    lots: 0,
    priceTicks: 0,
    executedLots: 0,
    cumQuoteTicksLots: 0,
    maker: false,
    feeCash: 0,
    realizedCash: 0,
  };

  /** Takes an open order out of the book / stop list and gives it a final status (order entry). */
  protected abstract finish(
    state: SymbolState,
    order: Order,
    status: "CANCELED" | "EXPIRED",
    now: number,
  ): void;

  /** Drops fully filled makers from their open sets, then applies the fills to positions and cash. */
  protected settle(state: SymbolState, takerOrder: Order, fills: readonly Fill[], now: number): void {
    const takerSign = takerOrder.side === "BUY" ? 1 : -1;
    const accounts = state.accounts;
    const firstTradeId = this.nextTradeId;
    this.nextTradeId += fills.length;
    const report = this.orderListeners.length > 0;
    // The taker's executed lots and quote before these fills (a modified order may have traded before).
    let takerExecuted = takerOrder.executedLots;
    let takerQuote = takerOrder.cumQuoteTicksLots;
    if (report)
      for (let i = 0; i < fills.length; i++) {
        const f = fills[i] as Fill;
        takerExecuted -= f.lots;
        takerQuote -= f.lots * f.priceTicks;
      }
    // Before any listener runs: a listener that re-enters the engine would reuse filledMakers.
    const done = state.book.filledMakers;
    for (let i = 0; i < done.length; i++) {
      const maker = done[i] as Order;
      accounts.get(maker.accountId)?.open.delete(maker.orderId);
      this.retire(maker);
    }
    const c = state.cashPerTickLot;
    let trim = false;
    for (let i = 0; i < fills.length; i++) {
      const fill = fills[i] as Fill;
      const takerAcc = accounts.get(fill.takerAccountId) as AccountSymbol;
      const makerAcc = accounts.get(fill.makerAccountId) as AccountSymbol;
      const notional = fill.lots * fill.priceTicks * c;
      const takerFee = Math.floor((notional * this.takerFeePpm) / 1e6);
      const makerFee = Math.floor((notional * this.makerFeePpm) / 1e6);
      takerAcc.wallet.cash -= takerFee;
      makerAcc.wallet.cash -= makerFee;
      this.fees += takerFee + makerFee;
      const taker = takerAcc.position;
      const maker = makerAcc.position;
      let takerRealized = 0;
      let makerRealized = 0;
      if (taker === maker) {
        // Self-trade: the account buys and sells the same lots at the same price, which nets
        // to nothing. Applying the sides one after the other would not: the intermediate
        // state would move the entry and realise PnL. Both sides are still reported.
        taker.updateTime = now;
        this.notify(fill.takerAccountId, taker);
        this.notify(fill.makerAccountId, maker);
      } else {
        const takerCash = takerAcc.wallet.cash;
        this.applyCash(takerAcc, takerSign * fill.lots, fill.priceTicks, c);
        takerRealized = takerAcc.wallet.cash - takerCash;
        this.fillPosition(takerAcc, takerSign * fill.lots, fill.priceTicks, now);
        this.notify(fill.takerAccountId, taker);
        const makerCash = makerAcc.wallet.cash;
        this.applyCash(makerAcc, -takerSign * fill.lots, fill.priceTicks, c);
        makerRealized = makerAcc.wallet.cash - makerCash;
        this.fillPosition(makerAcc, -takerSign * fill.lots, fill.priceTicks, now);
        this.notify(fill.makerAccountId, maker);
        if (takerAcc.hasReduceOnly || makerAcc.hasReduceOnly) trim = true;
      }
      if (report) {
        takerExecuted += fill.lots;
        takerQuote += fill.lots * fill.priceTicks;
        const tradeId = firstTradeId + i;
        this.tradeUpdate(
          takerOrder,
          tradeId,
          fill,
          takerExecuted,
          takerQuote,
          false,
          takerFee,
          takerRealized,
        );
        // A maker order meets the taker once per match: its totals are those after this fill.
        const mo = this.orderById(fill.makerOrderId) as Order;
        this.tradeUpdate(
          mo,
          tradeId,
          fill,
          mo.executedLots,
          mo.cumQuoteTicksLots,
          true,
          makerFee,
          makerRealized,
        );
      }
      if (this.tradeHistory > 0) {
        const tradeId = firstTradeId + i;
        const buy = takerSign > 0;
        const { priceTicks, lots } = fill;
        this.tradesOf(takerAcc).push(
          tradeId,
          fill.takerOrderId,
          priceTicks,
          lots,
          notional,
          takerRealized,
          takerFee,
          now,
          buy,
          false,
        );
        this.tradesOf(makerAcc).push(
          tradeId,
          fill.makerOrderId,
          priceTicks,
          lots,
          notional,
          makerRealized,
          makerFee,
          now,
          !buy,
          true,
        );
      }
    }
    if (trim)
      for (const account of accounts.values())
        if (account.hasReduceOnly) this.trimReduceOnly(state, account, now);
  }

  /** Shrinks or cancels resting reduce-only orders so that they never exceed the position. */
  protected trimReduceOnly(state: SymbolState, account: AccountSymbol, now: number): void {
    const amount = account.position.amountLots;
    let allowed = Math.abs(amount);
    let found = false;
    for (const o of [...account.open.values()]) {
      if (o.reduceOnly !== true || o.type !== "LIMIT") continue;
      found = true;
      const reduces = amount !== 0 && amount > 0 !== (o.side === "BUY");
      const rem = o.origLots - o.executedLots;
      if (!reduces || allowed === 0) this.finish(state, o, "EXPIRED", now);
      else if (rem > allowed) {
        state.book.resize(o.orderId, o.executedLots + allowed);
        allowed = 0;
      } else allowed -= rem;
    }
    account.hasReduceOnly = found;
  }

  protected tradeUpdate(
    order: Order,
    tradeId: number,
    fill: Fill,
    executedLots: number,
    cumQuoteTicksLots: number,
    maker: boolean,
    feeCash: number,
    realizedCash: number,
  ): void {
    const info = this.fillInfo;
    info.tradeId = tradeId;
    info.lots = fill.lots;
    info.priceTicks = fill.priceTicks;
    info.executedLots = executedLots;
    info.cumQuoteTicksLots = cumQuoteTicksLots;
    info.maker = maker;
    info.feeCash = feeCash;
    info.realizedCash = realizedCash;
    this.orderUpdate("TRADE", order, info);
  }
}
