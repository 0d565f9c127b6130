/**
 * Liquidation: checked accounts whose maintenance margin reaches their margin balance are
 * closed at their bankruptcy price; the surplus goes to the insurance fund and a shortfall
 * comes from it; what the book cannot take is auto-deleveraged against the opposite positions.
 * Collateral is seized first and turned into cash (the seizer sells it on its spot market), so
 * the positions close against a cash-only margin.
 */
import { collateralCash } from "./accounts.ts";
import type { AccountSymbol, MatchingEngineOptions, PlaceResult, SymbolState, Wallet } from "./engineCore.ts";
import { Settlement } from "./settlement.ts";
import type {
  CollateralSeizer,
  LiquidationEvent,
  LiquidationListener,
  Order,
  Side,
  TimeInForce,
} from "./types.ts";

export abstract class Liquidation extends Settlement {
  protected readonly liquidationListeners: LiquidationListener[] = [];
  protected readonly liquidationBandPpm: number;

  constructor(opts: MatchingEngineOptions) {
    super(opts);
    this.liquidationBandPpm = opts.liquidationBandPpm ?? 0;
  }
  protected seizer: CollateralSeizer | undefined;

  /**
   * Matches an order at `limit`, rests or expires the rest, settles and cascades (order entry):
   * a liquidation closes through the book like any order.
   */
  protected abstract execute(
    state: SymbolState,
    account: AccountSymbol,
    order: Order,
    limit: number,
    now: number,
  ): PlaceResult;

  /** Liquidation and ADL closes, in the order they happen. Must not call back into the engine. */
  onLiquidation(listener: LiquidationListener): void {
    this.liquidationListeners.push(listener);
  }

  /**
   * Registers the one seizer of liquidated accounts' collateral (a later call replaces it).
   * `seize(accountId, asset, units)` sells the units outside this engine and returns what that
   * raised, cash units (an integer >= 0); it must not call back into the engine, except
   * setCollateralPrice (a spot oracle the sale moved), which only revalues during a liquidation.
   * Without a seizer, seized units are converted at the oracle price.
   */
  onCollateralSeized(seize: CollateralSeizer): void {
    this.seizer = seize;
  }

  /**
   * Closes every checked account whose maintenance margin reaches its margin balance, in
   * account creation order. Only accounts holding a position can (a flat one has no
   * maintenance margin), so only those are looked at: the at-risk bits are read as the scan
   * goes, so an account that a liquidation's fills open a position for is still visited if it
   * comes later, as a scan of every account would.
   */
  protected liquidateAll(trigger: SymbolState | undefined): void {
    for (let seq = this.nextAtRisk(0); seq >= 0; seq = this.nextAtRisk(seq + 1)) {
      const w = this.walletsBySeq[seq] as Wallet;
      if (this.maintenanceBreached(w)) this.liquidate(w, trigger);
    }
  }

  /**
   * account()'s marginBalance <= maintenanceMargin (> 0), with the same sums in the same order
   * (collateral at its cached value),
   * without account()'s pass over the open orders (initial margin is not needed here: the
   * house account alone rests hundreds of orders).
   */
  protected maintenanceBreached(w: Wallet): boolean {
    let unrealized = 0;
    let mm = 0;
    for (const { state, account } of w.symbols) {
      const c = state.cashPerTickLot;
      const mark = state.markTicks;
      unrealized += (account.position.amountLots * mark - account.cost) * c;
      const posNotional = Math.abs(account.position.amountLots) * mark * c;
      mm += Math.ceil((posNotional * this.maintenancePpm) / 1e6);
    }
    return mm !== 0 && w.cash + w.collateralValue + unrealized <= mm;
  }

  /**
   * The forced order's limit. At the bankruptcy price the account's loss stops at its margin; a
   * book that bids nothing there (a gap, or collateral that sold for less than it was valued)
   * would hand the whole position to ADL and never move the price. So while the insurance fund
   * can pay, the order may sell past the bankruptcy price into the book (a long below it, a short
   * above), down to `liquidationBandPpm` from the mark, and no further than the fund covers for
   * the whole position: then the fund takes the shortfall and the forced selling moves the price,
   * as on a venue whose liquidation engine sells at market. An empty fund, or a band of 0 (the
   * default), keeps the bankruptcy price; what remains is auto-deleveraged.
   */
  private liquidationLimit(state: SymbolState, amount: number, bankrupt: number): number {
    if (this.liquidationBandPpm === 0 || this.fund <= 0) return bankrupt;
    const lots = Math.abs(amount);
    const coveredTicks = Math.floor(this.fund / (lots * state.cashPerTickLot));
    const band = (state.markTicks * this.liquidationBandPpm) / 1e6;
    if (amount > 0)
      return Math.max(
        1,
        Math.min(bankrupt, Math.max(Math.ceil(state.markTicks - band), bankrupt - coveredTicks)),
      );
    return Math.max(bankrupt, Math.min(Math.floor(state.markTicks + band), bankrupt + coveredTicks));
  }

  /**
   * Cancels the account's orders, seizes its collateral, then closes each position through the
   * book at the bankruptcy price and auto-deleverages the rest. `trigger` is the symbol whose
   * mark move set it off (undefined for a collateral price move: events carry the own mark).
   */
  protected liquidate(w: Wallet, trigger: SymbolState | undefined): void {
    const now = this.now();
    for (const { state, account } of w.symbols)
      for (const o of [...account.open.values()]) this.finish(state, o, "CANCELED", now);
    if (w.collateral !== undefined) this.seizeCollateral(w);
    for (const { state, account } of w.symbols) {
      const amount = account.position.amountLots;
      if (amount === 0) continue;
      const side: Side = amount > 0 ? "SELL" : "BUY";
      // Bankruptcy price: where this account's margin balance reaches zero.
      const mb = this.account(w.accountId).marginBalance;
      const raw = state.markTicks - mb / (amount * state.cashPerTickLot);
      const bankrupt = Math.max(1, amount > 0 ? Math.ceil(raw) : Math.floor(raw));
      const limit = this.liquidationLimit(state, amount, bankrupt);
      const order: Order = {
        orderId: this.nextOrderId++,
        clientOrderId: "",
        accountId: w.accountId,
        symbol: state.spec.symbol,
        side,
        type: "LIMIT",
        timeInForce: "IOC" as TimeInForce,
        priceTicks: bankrupt,
        origLots: Math.abs(amount),
        executedLots: 0,
        cumQuoteTicksLots: 0,
        status: "NEW",
        reduceOnly: true,
        closePosition: false,
        stopPriceTicks: 0,
        liquidation: true,
        time: now,
        updateTime: now,
      };
      order.clientOrderId = `autoclose-${order.orderId}`;
      this.orders.append(order.orderId, order);
      if (this.orderListeners.length > 0) this.orderUpdate("NEW", order, undefined);
      this.execute(state, account, order, limit, now);
      if (order.executedLots > 0)
        this.emit({
          kind: "LIQUIDATION",
          accountId: w.accountId,
          symbol: state.spec.symbol,
          side,
          lots: order.executedLots,
          avgPriceTicks: order.cumQuoteTicksLots / order.executedLots,
          priceTicks: bankrupt,
          origLots: order.origLots,
          markPriceTicks: (trigger ?? state).markTicks,
          time: now,
        });
      const left = account.position.amountLots;
      if (left !== 0) this.autoDeleverage(state, account, bankrupt, now);
    }
    // Surplus to the insurance fund, shortfall from it (as far as it goes).
    if (w.cash > 0) {
      this.fund += w.cash;
      w.cash = 0;
    } else if (w.cash < 0) {
      const cover = Math.min(-w.cash, Math.max(0, this.fund));
      this.fund -= cover;
      w.cash += cover;
    }
  }

  /**
   * Every collateral holding of the wallet turned into cash: the seizer's proceeds (or the
   * units' value at the oracle price) credited to its cash and counted in `deposits`, as cash
   * entering the futures ledger from the spot market. The units leave the wallet before the
   * seizer runs, so a revaluation it sets off (setCollateralPrice) no longer counts them.
   */
  protected seizeCollateral(w: Wallet): void {
    const held = w.collateral as Map<string, number>;
    for (const [asset, units] of [...held]) {
      const c = this.collateralAsset(asset);
      held.delete(asset);
      c.holders.delete(w);
      w.collateralValue -= collateralCash(units, c.cashPerUnit);
      const proceeds =
        this.seizer === undefined
          ? collateralCash(units, c.cashPerUnit)
          : this.seizer(w.accountId, asset, units);
      if (!Number.isSafeInteger(proceeds) || proceeds < 0)
        throw new Error(`collateral seizer returned ${proceeds} for ${units} ${asset}`);
      w.cash += proceeds;
      this.deposits += proceeds;
    }
    // Σ of what was removed, exactly: anything else is a bookkeeping error, not rounding.
    if (w.collateralValue !== 0) throw new Error(`collateral value ${w.collateralValue} left after seizure`);
  }

  /**
   * What the book could not take at the bankruptcy price is closed against the opposite
   * positions with the highest ADL rank (profit% x leverage), at the bankruptcy price.
   */
  protected autoDeleverage(state: SymbolState, loser: AccountSymbol, price: number, now: number): void {
    const amount = loser.position.amountLots;
    const ranked: Array<{ acc: AccountSymbol; rank: number }> = [];
    for (const acc of state.accounts.values()) {
      const p = acc.position.amountLots;
      if (acc === loser || p === 0 || p > 0 === amount > 0) continue;
      const pnl = p * state.markTicks - acc.cost;
      const lev = acc.wallet.leverage.get(state.spec.symbol) ?? this.defaultLeverage;
      ranked.push({ acc, rank: acc.cost === 0 ? 0 : (pnl / Math.abs(acc.cost)) * lev });
    }
    ranked.sort((a, b) => b.rank - a.rank || a.acc.wallet.accountId - b.acc.wallet.accountId);
    const c = state.cashPerTickLot;
    let left = Math.abs(amount);
    const loserSign = amount > 0 ? -1 : 1;
    for (const { acc } of ranked) {
      if (left === 0) break;
      const lots = Math.min(left, Math.abs(acc.position.amountLots));
      left -= lots;
      this.applyCash(loser, loserSign * lots, price, c);
      this.fillPosition(loser, loserSign * lots, price, now);
      this.notify(loser.wallet.accountId, loser.position);
      this.applyCash(acc, -loserSign * lots, price, c);
      this.fillPosition(acc, -loserSign * lots, price, now);
      this.notify(acc.wallet.accountId, acc.position);
      const common = {
        symbol: state.spec.symbol,
        lots,
        avgPriceTicks: price,
        priceTicks: price,
        origLots: lots,
        markPriceTicks: state.markTicks,
        time: now,
      };
      this.emit({
        kind: "LIQUIDATION",
        accountId: loser.wallet.accountId,
        side: loserSign > 0 ? "BUY" : "SELL",
        ...common,
      });
      this.emit({
        kind: "ADL",
        accountId: acc.wallet.accountId,
        side: loserSign > 0 ? "SELL" : "BUY",
        ...common,
      });
      if (acc.hasReduceOnly) this.trimReduceOnly(state, acc, now);
    }
  }

  protected emit(event: LiquidationEvent): void {
    for (const l of this.liquidationListeners) l(event);
  }
}
