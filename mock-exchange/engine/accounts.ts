/**
 * Accounts and margin: wallets (cash per account), each account's one-way position and integer
 * cost per symbol, cross-margin sums (initial and maintenance margin, available balance), the
 * pre-trade margin check, and the ledger (fees, insurance fund, deposits).
 *
 * Any account that trades gets a wallet (0 unless created). Margin checks (-2019) and the
 * liquidation engine apply only to accounts made with `createAccount` ("checked"); others (the
 * venue's house account, legacy callers) may go negative.
 *
 * Collateral: a wallet may also hold units of assets other than USDT (`defineCollateral`,
 * `depositCollateral`), valued at an oracle price in cash units per unit. Margin is
 * cash + collateral value + unrealized, the collateral value being Σ floor(units x cashPerUnit)
 * (rounded down per asset: margin never counts a fraction of a cash unit it could not raise).
 * The units stay outside the cash ledger until a liquidation seizes them (liquidation.ts).
 */
import {
  type AccountSymbol,
  flatPosition,
  type MatchingEngineOptions,
  type SymbolState,
  type Wallet,
} from "./engineCore.ts";
import { OrderStore } from "./orderStore.ts";
import { type TradeQuery, type TradeRecord, TradeRing } from "./tradeLog.ts";
import type { AccountSummary, Position, PositionListener, Side } from "./types.ts";

/**
 * One-way position update for a fill of `signedLots` (> 0 buy, < 0 sell) at `priceTicks`.
 * Increasing averages the entry; reducing realises PnL against the unchanged entry;
 * crossing zero realises the closed part and opens the rest at the fill price.
 */
export function applyFillToPosition(
  pos: Position,
  signedLots: number,
  priceTicks: number,
  now: number,
): void {
  const amount = pos.amountLots;
  const next = amount + signedLots;
  if (amount === 0 || amount > 0 === signedLots > 0) {
    pos.entryPriceTicks =
      (pos.entryPriceTicks * Math.abs(amount) + priceTicks * Math.abs(signedLots)) / Math.abs(next);
  } else {
    const closed = Math.min(Math.abs(amount), Math.abs(signedLots));
    pos.realizedTicksLots += (priceTicks - pos.entryPriceTicks) * closed * (amount > 0 ? 1 : -1);
    if (next === 0) pos.entryPriceTicks = 0;
    else if (next > 0 !== amount > 0) pos.entryPriceTicks = priceTicks;
  }
  pos.amountLots = next;
  pos.updateTime = now;
}

/** A collateral asset: its oracle price and the wallets holding units of it. */
export interface CollateralAsset {
  /** Cash units per unit (non-negative, may be fractional). */
  cashPerUnit: number;
  /** Wallets with units > 0: the ones a price change revalues. */
  holders: Set<Wallet>;
}

/** What `units` of an asset count for in margin at `cashPerUnit`: whole cash units, rounded down. */
export function collateralCash(units: number, cashPerUnit: number): number {
  return Math.floor(units * cashPerUnit);
}

function checkCashPerUnit(asset: string, cashPerUnit: number): void {
  if (!Number.isFinite(cashPerUnit) || cashPerUnit < 0)
    throw new Error(`bad price ${cashPerUnit} for collateral ${asset}`);
}

export abstract class Accounts extends OrderStore {
  protected readonly listeners: PositionListener[] = [];
  protected readonly wallets = new Map<number, Wallet>();
  /** Every wallet at index seq (creation order, = the Map's iteration order). */
  protected readonly walletsBySeq: Wallet[] = [];
  /**
   * One bit per wallet seq, set for checked wallets holding a position: the only ones the
   * liquidation engine can take (a flat account has no maintenance margin), so a mark move
   * looks at those instead of every account.
   */
  protected readonly atRisk: number[] = [];
  protected readonly makerFeePpm: number;
  protected readonly takerFeePpm: number;
  protected readonly maintenancePpm: number;
  protected readonly defaultLeverage: number;
  protected readonly tradeHistory: number;
  protected checkedAccounts = 0;
  /** Fees collected, in cash units. */
  protected fees = 0;
  protected fund: number;
  /** Σ createAccount + initial fund + Σ collateral conversion proceeds, cash units. */
  protected deposits: number;
  protected readonly collaterals = new Map<string, CollateralAsset>();

  constructor(opts: MatchingEngineOptions) {
    super(opts);
    this.makerFeePpm = opts.makerFeePpm ?? 200;
    this.takerFeePpm = opts.takerFeePpm ?? 500;
    this.maintenancePpm = opts.maintenancePpm ?? 4000;
    this.defaultLeverage = opts.defaultLeverage ?? 20;
    this.tradeHistory = opts.tradeHistoryPerSymbol ?? 0;
    this.fund = opts.insuranceFund ?? 0;
    this.deposits = this.fund;
  }

  /**
   * Registers a listener called once per position change (each account side of each fill),
   * in order: for each fill, the taker's change then the maker's. The position passed is
   * the live object: a listener must copy whatever it keeps. Listeners run synchronously
   * inside placeOrder and should not call back into the engine.
   */
  onPositionChange(listener: PositionListener): void {
    this.listeners.push(listener);
  }

  /**
   * Creates a checked (margin-checked, liquidatable) account with `balance` cash units, or
   * makes an existing wallet checked and adds the deposit.
   */
  createAccount(accountId: number, balance: number): void {
    if (!Number.isSafeInteger(balance) || balance < 0) throw new Error(`bad balance ${balance}`);
    const w = this.walletOf(accountId);
    if (!w.checked) this.checkedAccounts++;
    w.checked = true;
    this.updateRisk(w);
    w.cash += balance;
    this.deposits += balance;
  }

  /**
   * Defines a collateral asset and its oracle price, cash units per unit (non-negative,
   * finite, may be fractional). Once per asset: later prices come by setCollateralPrice.
   */
  defineCollateral(asset: string, cashPerUnit: number): void {
    checkCashPerUnit(asset, cashPerUnit);
    if (this.collaterals.has(asset))
      throw new Error(`collateral ${asset} already defined: use setCollateralPrice`);
    this.collaterals.set(asset, { cashPerUnit, holders: new Set() });
  }

  /**
   * Adds whole `units` (>= 0) of a defined collateral asset to the account's wallet (made if
   * need be, unchecked unless createAccount made it checked). Collateral is not cash: `deposits`
   * does not change; the margin does, by the units' value at the oracle price.
   */
  depositCollateral(accountId: number, asset: string, units: number): void {
    const c = this.collateralAsset(asset);
    if (!Number.isSafeInteger(units) || units < 0) throw new Error(`bad units ${units} of ${asset}`);
    const w = this.walletOf(accountId);
    const held = w.collateral?.get(asset) ?? 0;
    const next = held + units;
    const value = collateralCash(next, c.cashPerUnit);
    if (!Number.isSafeInteger(next) || !Number.isSafeInteger(value))
      throw new Error(`collateral ${asset} of account ${accountId} too large: ${next} units`);
    if (next === 0) return;
    w.collateral ??= new Map();
    w.collateral.set(asset, next);
    w.collateralValue += value - collateralCash(held, c.cashPerUnit);
    c.holders.add(w);
  }

  /** Units of `asset` the account holds (0 for an unknown account or asset). */
  collateralOf(accountId: number, asset: string): number {
    return this.wallets.get(accountId)?.collateral?.get(asset) ?? 0;
  }

  /** Leverage per account and symbol, 1..125. */
  setLeverage(accountId: number, symbol: string, leverage: number): void {
    this.stateOf(symbol);
    if (!Number.isInteger(leverage) || leverage < 1 || leverage > 125)
      throw new Error(`bad leverage ${leverage}`);
    this.walletOf(accountId).leverage.set(symbol, leverage);
  }

  leverage(accountId: number, symbol: string): number {
    return this.wallets.get(accountId)?.leverage.get(symbol) ?? this.defaultLeverage;
  }

  account(accountId: number): AccountSummary {
    const w = this.wallets.get(accountId);
    if (w === undefined)
      return {
        accountId,
        wallet: 0,
        collateralValue: 0,
        unrealized: 0,
        marginBalance: 0,
        initialMargin: 0,
        maintenanceMargin: 0,
        available: 0,
        checked: false,
      };
    let unrealized = 0;
    let im = 0;
    let mm = 0;
    for (const { state, account } of w.symbols) {
      const c = state.cashPerTickLot;
      const mark = state.markTicks;
      unrealized += (account.position.amountLots * mark - account.cost) * c;
      const lev = w.leverage.get(state.spec.symbol) ?? this.defaultLeverage;
      const posNotional = Math.abs(account.position.amountLots) * mark * c;
      let orderNotional = 0;
      for (const o of account.open.values())
        if (o.type === "LIMIT" && o.reduceOnly !== true)
          orderNotional += (o.origLots - o.executedLots) * o.priceTicks;
      im += Math.ceil((posNotional + orderNotional * c) / lev);
      mm += Math.ceil((posNotional * this.maintenancePpm) / 1e6);
    }
    const marginBalance = w.cash + w.collateralValue + unrealized;
    return {
      accountId,
      wallet: w.cash,
      collateralValue: w.collateralValue,
      unrealized,
      marginBalance,
      initialMargin: im,
      maintenanceMargin: mm,
      available: marginBalance - im,
      checked: w.checked,
    };
  }

  /**
   * The cash ledger, cash units: Σ wallets' cash, Σ unrealized, fees, insurance fund and
   * deposits (Σ createAccount + initial fund + Σ collateral conversion proceeds), for which
   * wallets + unrealized + fees + insuranceFund = deposits exactly (engineCore.ts).
   * `collateralValue` (Σ the collateral still held, at the oracle prices) is outside that
   * identity: informational.
   */
  ledger(): {
    fees: number;
    insuranceFund: number;
    deposits: number;
    wallets: number;
    unrealized: number;
    collateralValue: number;
  } {
    let wallets = 0;
    let unrealized = 0;
    let collateralValue = 0;
    for (const w of this.wallets.values()) {
      const a = this.account(w.accountId);
      wallets += a.wallet;
      unrealized += a.unrealized;
      collateralValue += a.collateralValue;
    }
    return {
      fees: this.fees,
      insuranceFund: this.fund,
      deposits: this.deposits,
      wallets,
      unrealized,
      collateralValue,
    };
  }

  /** The insurance fund now, cash units. */
  insuranceFundCash(): number {
    return this.fund;
  }

  /** Integer cost (Σ signed lots x price of the open lots) of a position, ticks x lots. */
  positionCost(accountId: number, symbol: string): number {
    return this.symbols.get(symbol)?.accounts.get(accountId)?.cost ?? 0;
  }

  /**
   * The account's own fills on `symbol` kept by the trade history (the newest
   * `tradeHistoryPerSymbol`), filtered by `q`, oldest first. Fills of auto-deleveraging have no
   * order and are not kept; liquidation orders' fills are.
   */
  userTrades(accountId: number, symbol: string, q: TradeQuery): TradeRecord[] {
    return this.symbols.get(symbol)?.accounts.get(accountId)?.trades?.query(q) ?? [];
  }

  /**
   * Cross-margin liquidation price (fractional ticks) of the account's one-way position on
   * `symbol`: the mark at which liquidateAll would take the account, with every other position
   * held at its current mark and collateral at its current oracle price. liquidateAll fires when
   * marginBalance <= maintenanceMargin, and with this symbol's mark at P (a = signed lots,
   * cost = Σ lots x price of the open lots, c = cash per tick x lot, m = maintenance rate,
   * K = collateral value):
   *   marginBalance(P) = wallet + K + U_other + (a·P − cost)·c
   *   maintenance(P)   = MM_other + |a|·P·c·m
   * equal at  P = (MM_other − wallet − K − U_other + cost·c) / (c·(a − |a|·m)).
   * Long: liquidated at or below P; short: at or above. 0 when flat, for accounts the liquidation
   * engine ignores (not created with createAccount), and when no positive price reaches it (a
   * long covered by its margin). The engine rounds each symbol's maintenance up to a cash unit,
   * so the true trigger can sit a fraction of a cash unit's worth of price above P (long).
   */
  liquidationPriceTicks(accountId: number, symbol: string): number {
    const w = this.wallets.get(accountId);
    const state = this.stateOf(symbol);
    const own = state.accounts.get(accountId);
    const a = own?.position.amountLots ?? 0;
    if (w === undefined || !w.checked || own === undefined || a === 0) return 0;
    let other = 0; // U_other − MM_other
    // Indexed: positionRisk calls this per row on the read path.
    for (let i = 0; i < w.symbols.length; i++) {
      const { state: s, account } = w.symbols[i] as (typeof w.symbols)[number];
      if (s === state) continue;
      const amount = account.position.amountLots;
      const c = s.cashPerTickLot;
      other += (amount * s.markTicks - account.cost) * c;
      other -= Math.ceil((Math.abs(amount) * s.markTicks * c * this.maintenancePpm) / 1e6);
    }
    const c = state.cashPerTickLot;
    const m = this.maintenancePpm / 1e6;
    const p = (own.cost * c - w.cash - w.collateralValue - other) / (c * (a - Math.abs(a) * m));
    return p > 0 && Number.isFinite(p) ? p : 0;
  }

  protected walletOf(accountId: number): Wallet {
    let w = this.wallets.get(accountId);
    if (w === undefined) {
      const seq = this.walletsBySeq.length;
      w = {
        accountId,
        cash: 0,
        checked: false,
        leverage: new Map(),
        symbols: [],
        seq,
        openPositions: 0,
        collateral: undefined,
        collateralValue: 0,
      };
      this.wallets.set(accountId, w);
      this.walletsBySeq.push(w);
    }
    return w;
  }

  protected collateralAsset(asset: string): CollateralAsset {
    const c = this.collaterals.get(asset);
    if (c === undefined) throw new Error(`unknown collateral ${asset}`);
    return c;
  }

  /** Sets an asset's oracle price and revalues every holder's collateral (no liquidation scan). */
  protected revalueCollateral(asset: string, cashPerUnit: number): void {
    checkCashPerUnit(asset, cashPerUnit);
    const c = this.collateralAsset(asset);
    const old = c.cashPerUnit;
    c.cashPerUnit = cashPerUnit;
    for (const w of c.holders) {
      const units = (w.collateral as Map<string, number>).get(asset) as number;
      w.collateralValue += collateralCash(units, cashPerUnit) - collateralCash(units, old);
    }
  }

  protected accountOf(state: SymbolState, accountId: number): AccountSymbol {
    let account = state.accounts.get(accountId);
    if (account === undefined) {
      const wallet = this.walletOf(accountId);
      account = {
        position: flatPosition(state.spec.symbol),
        open: new Map(),
        byClientId: new Map(),
        cost: 0,
        hasReduceOnly: false,
        wallet,
        trades: undefined,
      };
      state.accounts.set(accountId, account);
      wallet.symbols.push({ state, account });
    }
    return account;
  }

  /**
   * Whether a checked account can afford a new order of `lots` at `priceTicks` (or `extra`
   * ticks x lots of order notional): the part of an order that only reduces the position is
   * free; the rest needs notional / leverage of available margin (marginBalance − IM).
   */
  protected marginAllows(
    w: Wallet,
    state: SymbolState,
    account: AccountSymbol | undefined,
    side: Side,
    lots: number,
    priceTicks: number,
    extra = 0,
  ): boolean {
    const amount = account?.position.amountLots ?? 0;
    const reducible = amount !== 0 && amount > 0 !== (side === "BUY") ? Math.abs(amount) : 0;
    const charged = Math.max(0, lots - reducible) * priceTicks + extra;
    if (charged === 0) return true;
    const lev = w.leverage.get(state.spec.symbol) ?? this.defaultLeverage;
    const need = Math.ceil((charged * state.cashPerTickLot) / lev);
    return this.account(w.accountId).available >= need;
  }

  /** Integer cost accounting of one fill; realised PnL goes to the wallet. */
  protected applyCash(account: AccountSymbol, signedLots: number, priceTicks: number, c: number): void {
    const amount = account.position.amountLots;
    if (amount === 0 || amount > 0 === signedLots > 0) {
      account.cost += signedLots * priceTicks;
      return;
    }
    const closed = Math.min(Math.abs(amount), Math.abs(signedLots));
    const share = Math.trunc((account.cost * closed) / Math.abs(amount));
    const closedSigned = signedLots > 0 ? closed : -closed;
    account.wallet.cash += (-closedSigned * priceTicks - share) * c;
    account.cost -= share;
    const rest = signedLots - closedSigned;
    if (rest !== 0) account.cost += rest * priceTicks;
  }

  /** applyFillToPosition, keeping the wallet's count of positions and its at-risk bit. */
  protected fillPosition(account: AccountSymbol, signedLots: number, priceTicks: number, now: number): void {
    const position = account.position;
    const before = position.amountLots;
    applyFillToPosition(position, signedLots, priceTicks, now);
    const after = position.amountLots;
    if ((before === 0) === (after === 0)) return;
    const w = account.wallet;
    w.openPositions += after === 0 ? -1 : 1;
    // An unchecked wallet's bit is never set; createAccount sets it if positions are open then.
    if (w.checked) this.updateRisk(w);
  }

  protected updateRisk(w: Wallet): void {
    const word = w.seq >>> 5;
    const bit = 1 << (w.seq & 31);
    const bits = this.atRisk;
    while (bits.length <= word) bits.push(0);
    const words = bits[word] as number;
    bits[word] = w.checked && w.openPositions > 0 ? words | bit : words & ~bit;
  }

  /** The lowest at-risk seq >= from, or -1. */
  protected nextAtRisk(from: number): number {
    const bits = this.atRisk;
    let word = from >>> 5;
    if (word >= bits.length) return -1;
    let m = (bits[word] as number) & (-1 << (from & 31));
    while (m === 0) {
      if (++word >= bits.length) return -1;
      m = bits[word] as number;
    }
    return (word << 5) + 31 - Math.clz32(m & -m);
  }

  /** The account's fill history on a symbol, made on its first fill. */
  protected tradesOf(account: AccountSymbol): TradeRing {
    let ring = account.trades;
    if (ring === undefined) {
      ring = new TradeRing(this.tradeHistory);
      account.trades = ring;
    }
    return ring;
  }

  protected notify(accountId: number, position: Position): void {
    const listeners = this.listeners;
    for (let i = 0; i < listeners.length; i++) (listeners[i] as PositionListener)(accountId, position);
  }
}
