import type { MarketSecond } from "../../loadtests/vocabulary/market.ts";
import type { AdmissionState } from "../admission.ts";
import type { ExchangeConfig } from "../defaults.ts";
import { MatchingEngine } from "../engine/matchingEngine.ts";
import type { LiquidationEvent, Order, SymbolSpec } from "../engine/types.ts";
import { seededRandom } from "../random.ts";
import { usdtToCash } from "../venue/cash.ts";
import { HOUSE_ACCOUNT, leveragedPositionPlan, openLeveragedPositions } from "../venue/houseLiquidity.ts";
import { AgentGateway } from "./agentGateway.ts";
import { collateralSpotSpec, openCollateralAccounts, usdtPerTickLot } from "./collateralAccounts.ts";
import { CollateralOracle } from "./collateralOracle.ts";
import { Maker, type MakerPolicy } from "./maker.ts";
import type { MarketConfig } from "./marketConfig.ts";
import { MarketStats } from "./marketStats.ts";
import { ShockSeller } from "./shockSeller.ts";
import { defendsWithStop, StopLossTrader } from "./stopLossTrader.ts";

/**
 * The market a cascade feeds on (docs/architecture.md "Market model"): the venue's perpetual
 * engine with market makers instead of the house ladder, a collateral asset with its own thin
 * spot book (a second engine: spot has no margin), accounts margined by that collateral and
 * valued by the run's oracle, sell shocks, and the per-second figures. Pure: the clock comes in
 * through `advance`, randomness from the config's seed; the caller (the venue, or the
 * per-request simulator) gives the admission its makers' requests meet.
 *
 * The loop it closes: a shock drains a thin book -> the price falls (the collateral's spot
 * price, or a perpetual's last price, which is its mark) -> accounts past maintenance are
 * liquidated, their collateral sold on the spot book and their positions into the perpetual's
 * book -> the price falls further -> ... while the makers who would refill the books send their
 * updates through the same admission as everybody, and pull out when refused.
 */

/** Accounts of the market's own agents, numbered after everything the venue creates. */
interface AgentAccounts {
  collateralFirst: number;
  makersFirst: number;
  shockSeller: number;
  /** The venue's desk that sells seized collateral on the spot book. */
  seizureDesk: number;
}

const DEEP_MAKER_WALLET_USDT = 100_000_000;

export class MarketModel {
  readonly spot: MatchingEngine;
  private readonly gateway: AgentGateway;
  private readonly makers: Maker[] = [];
  private readonly stopLossTraders: StopLossTrader[] = [];
  private readonly oracle: CollateralOracle;
  private readonly shocks: ShockSeller;
  private readonly stats: MarketStats;
  private readonly accounts: AgentAccounts;
  private readonly spotSpec: SymbolSpec;
  private readonly specs = new Map<string, SymbolSpec>();
  private readonly cashPerUsdt: number;
  private readonly timeScale: number;
  private oracleCashPerUnit = 0;

  constructor(
    private readonly config: ExchangeConfig,
    private readonly market: MarketConfig,
    private readonly perp: MatchingEngine,
    admission: AdmissionState,
    private readonly originMs: number,
    now: () => number,
  ) {
    const random = seededRandom(config.seed ^ 0x3a4b7e7);
    this.timeScale = config.timeScale;
    this.cashPerUsdt = 10 ** perp.cashDecimals;
    for (const s of config.symbols) this.specs.set(s.symbol, s);
    const collateral = market.collateral;
    this.spotSpec = collateralSpotSpec(collateral);
    this.specs.set(this.spotSpec.symbol, this.spotSpec);
    this.spot = new MatchingEngine({ symbols: [this.spotSpec], now });
    this.gateway = new AgentGateway(admission);
    const first = config.accounts + 1 + config.leveragedAccounts.count;
    this.accounts = {
      collateralFirst: first,
      makersFirst: first + collateral.accounts.count,
      shockSeller: first + collateral.accounts.count + this.makerCount(),
      seizureDesk: first + collateral.accounts.count + this.makerCount() + 1,
    };
    this.oracle = new CollateralOracle(collateral, random);
    this.oracleCashPerUnit = this.cashOfUsdt(this.oracle.price(market.oracle));
    perp.defineCollateral(collateral.asset, this.oracleCashPerUnit);
    // The external index starts at the reference price (a scripted path moves it from there).
    for (const spec of config.symbols) perp.setIndexPrice(spec.symbol, spec.referencePriceTicks);
    // Collateral accounts first (they trade above the reference), then the leveraged accounts at it.
    openCollateralAccounts(perp, config, collateral, this.accounts.collateralFirst, random);
    openLeveragedPositions(perp, config);
    this.stats = new MarketStats(this.fundUsdt());
    this.addStopLossTraders();
    this.addMakers(originMs);
    this.seedBackstop();
    this.seedRestingDepth();
    this.listen();
    this.shocks = new ShockSeller(
      market.shocks,
      (m) => (m === this.spotSpec.symbol ? this.spot : perp),
      (m) => usdtPerTickLot(this.specs.get(m) as SymbolSpec),
      this.accounts.shockSeller,
      originMs,
      config.timeScale,
      market.shockSliceMs,
    );
  }

  /** Markets a shock may name: the perpetuals and the collateral's spot book. */
  static markets(config: ExchangeConfig, market: MarketConfig): string[] {
    return [...config.symbols.map((s) => s.symbol), market.collateral.spotSymbol];
  }

  /**
   * Plays the market up to `nowMs`: makers' requests whose service ended, makers' updates due,
   * shock slices due, then the oracle, whose move may liquidate (the engine's scan).
   */
  advance(nowMs: number): void {
    this.gateway.runDue(nowMs);
    for (const maker of this.makers) maker.act(nowMs);
    for (const trader of this.stopLossTraders) trader.act(nowMs);
    this.stats.shockNotionalUsdt += this.shocks.advance(nowMs);
    const spotTicks = this.spot.lastPriceTicks(this.spotSpec.symbol);
    this.oracle.update((nowMs - this.originMs) * this.timeScale, spotTicks * Number(this.spotSpec.tickSize));
    const cashPerUnit = this.cashOfUsdt(this.oracle.price(this.market.oracle));
    if (cashPerUnit !== this.oracleCashPerUnit) {
      this.oracleCashPerUnit = cashPerUnit;
      this.perp.setCollateralPrice(this.market.collateral.asset, cashPerUnit);
    }
    this.stats.fundNow(this.fundUsdt());
  }

  /** A stop placement the venue refused (rate limits, bans, shedding, queue timeout). */
  stopRefused(): void {
    this.stats.stops.refused++;
  }

  /** A stop placement that reached the engine after the mark had passed its stop (-2021). */
  stopLate(): void {
    this.stats.stops.late++;
  }

  /** The second's figures (TimelinePoint.market); counting starts again. */
  closeSecond(): MarketSecond {
    const band = this.market.depthBandPct / 100;
    const symbols: Parameters<MarketStats["close"]>[0] = {};
    for (const spec of this.config.symbols) {
      const ts = Number(spec.tickSize);
      const depth = bandDepth(this.perp, spec, band);
      symbols[spec.symbol] = {
        mark: round6(this.perp.markPriceTicks(spec.symbol) * ts),
        index: indexOf(this.perp, spec),
        bidDepthUsdt: Math.round(depth.bidUsdt),
        askDepthUsdt: Math.round(depth.askUsdt),
      };
    }
    const c = this.market.collateral;
    const spotDepth = bandDepth(this.spot, this.spotSpec, band);
    const collateral = {
      [c.asset]: {
        spot: round6(this.oracle.spot),
        indexTwap: round6(this.oracle.indexTwap),
        conversionRate: round6(this.oracle.conversionRate),
        oracle: round6(this.oracle.price(this.market.oracle)),
        bidDepthUsdt: Math.round(spotDepth.bidUsdt),
      },
    };
    const quoting = this.makers.reduce((n, m) => n + (m.quoting ? 1 : 0), 0);
    return this.stats.close(symbols, collateral, this.fundUsdt(), quoting, this.makers.length);
  }

  private makerCount(): number {
    return this.market.makers.perSymbol * this.config.symbols.length + this.market.makers.perCollateral;
  }

  private addMakers(nowMs: number): void {
    const m = this.market.makers;
    let accountId = this.accounts.makersFirst;
    const add = (
      engine: MatchingEngine,
      spec: SymbolSpec,
      i: number,
      perLevelUsdt: number,
      maxInvUsdt: number,
    ) => {
      const priceUsdt = spec.referencePriceTicks * Number(spec.tickSize);
      const lotUsdt = priceUsdt * Number(spec.stepSize);
      const spacingTicks = Math.max(1, Math.round((spec.referencePriceTicks * m.levelSpacingBps) / 10_000));
      const policy: MakerPolicy = {
        ...m,
        // Maker i's first level sits (i + 1) spacings out, its next ones count makers' spacings:
        // the makers of a book interleave into one ladder.
        firstLevelTicks: (i + 1) * spacingTicks,
        levelSpacingTicks: spacingTicks * (engine === this.spot ? m.perCollateral : m.perSymbol),
        lotsPerLevel: Math.max(1, Math.round(perLevelUsdt / lotUsdt)),
        anchorToIndex: engine === this.spot ? 0 : m.anchorToIndex,
        maxInventoryLots: Math.max(1, Math.round(maxInvUsdt / lotUsdt)),
      };
      const id = accountId++;
      if (engine === this.perp)
        engine.createAccount(id, usdtToCash(DEEP_MAKER_WALLET_USDT, engine.cashDecimals));
      // A maker's own address: its weight budget and bans are its own, as a co-located firm's.
      const clientKey = `10.250.${id >> 8}.${id & 255}`;
      const indexTicks =
        engine === this.spot
          ? () => undefined
          : () => this.perp.indexPriceTicks(spec.symbol) ?? spec.referencePriceTicks;
      // Staggered so that the makers of a book do not all update in the same tick.
      const startMs = nowMs + Math.round((m.requoteMs * (this.makers.length + 1)) / (this.makerCount() + 1));
      const maker = new Maker(
        engine,
        this.gateway,
        id,
        clientKey,
        spec.symbol,
        policy,
        this.stats.makers,
        startMs,
        indexTicks,
      );
      maker.seed(nowMs);
      this.makers.push(maker);
    };
    for (const spec of this.config.symbols)
      for (let i = 0; i < m.perSymbol; i++)
        add(this.perp, spec, i, m.notionalPerLevelUsdt, m.maxInventoryUsdt);
    const c = this.market.collateral;
    for (let i = 0; i < m.perCollateral; i++)
      add(this.spot, this.spotSpec, i, c.makerNotionalPerLevelUsdt, c.makerMaxInventoryUsdt);
  }

  /** The leveraged accounts that defend their position (MarketConfig.stopLossTraders). */
  private addStopLossTraders(): void {
    const { everyNthGroup, ...policy } = this.market.stopLossTraders;
    for (const { index, accountId, spec } of leveragedPositionPlan(this.config)) {
      if (!defendsWithStop(index, this.config.symbols.length, everyNthGroup)) continue;
      // Each trader its own address, as a retail user's or a bot's.
      const clientKey = `10.251.${accountId >> 8}.${accountId & 255}`;
      this.stopLossTraders.push(
        new StopLossTrader(
          this.perp,
          this.gateway,
          accountId,
          clientKey,
          spec.symbol,
          policy,
          this.stats.stops,
        ),
      );
    }
  }

  /** Slower participants' orders on the perpetuals, away from the mid (MarketConfig.restingDepth). */
  private seedRestingDepth(): void {
    const r = this.market.restingDepth;
    for (const spec of this.config.symbols)
      for (let k = 0; k < r.levels; k++) {
        const pct = r.fromPct + ((r.toPct - r.fromPct) * k) / Math.max(1, r.levels - 1);
        for (const side of ["BUY", "SELL"] as const) {
          const priceTicks = Math.round(
            spec.referencePriceTicks * (1 + ((side === "BUY" ? -1 : 1) * pct) / 100),
          );
          this.perp.submitOrder({
            accountId: HOUSE_ACCOUNT,
            symbol: spec.symbol,
            side,
            type: "LIMIT",
            timeInForce: "GTC",
            lots: Math.max(1, Math.round(r.notionalPerLevelUsdt / (priceTicks * usdtPerTickLot(spec)))),
            priceTicks,
            clientOrderId: "",
          });
        }
      }
  }

  /** Redemption arbitrage's bids on the spot book: a fixed ladder below par and a deep floor. */
  private seedBackstop(): void {
    const c = this.market.collateral;
    const spec = this.spotSpec;
    const par = spec.referencePriceTicks;
    const levels = Math.max(1, c.backstopLevels);
    for (let k = 0; k < levels; k++) {
      const pct = c.backstopTopPct + ((c.backstopBottomPct - c.backstopTopPct) * k) / Math.max(1, levels - 1);
      const priceTicks = Math.round(par * (1 - pct / 100));
      const notional = k === levels - 1 ? c.backstopFloorNotionalUsdt : c.backstopNotionalPerLevelUsdt;
      this.spot.submitOrder({
        accountId: HOUSE_ACCOUNT,
        symbol: spec.symbol,
        side: "BUY",
        type: "LIMIT",
        timeInForce: "GTC",
        lots: Math.max(1, Math.round(notional / (priceTicks * usdtPerTickLot(spec)))),
        priceTicks,
        clientOrderId: "",
      });
    }
  }

  private listen(): void {
    const perp = this.perp;
    perp.onLiquidation((e: Readonly<LiquidationEvent>) => {
      const perTickLot = usdtPerTickLot(this.specs.get(e.symbol) as SymbolSpec);
      const notional = e.lots * e.avgPriceTicks * perTickLot;
      if (e.kind === "LIQUIDATION") this.stats.liquidated(e.symbol, notional);
      else {
        this.stats.adlEvents++;
        this.stats.adlNotionalUsdt += notional;
        this.stats.adlAccounts.add(e.accountId);
      }
    });
    perp.onStopTriggered((order: Readonly<Order>) => {
      const stops = this.stats.stops;
      stops.triggered++;
      if (order.executedLots === 0) return;
      stops.filled++;
      const stop = order.stopPriceTicks as number;
      const avg = order.cumQuoteTicksLots / order.executedLots;
      // Adverse is positive: a sell filled below its stop, a buy above it.
      stops.slippageBps.push(((order.side === "SELL" ? stop - avg : avg - stop) / stop) * 10_000);
    });
    // Seized collateral is sold at market on the spot book by the venue's desk: what the book pays
    // is what the account gets, and the sale moves the spot price the internal oracle reads.
    perp.onCollateralSeized((_accountId, _asset, units) => {
      const before = this.spot.account(this.accounts.seizureDesk).wallet;
      const sold = this.spot.submitOrder({
        accountId: this.accounts.seizureDesk,
        symbol: this.spotSpec.symbol,
        side: "SELL",
        type: "MARKET",
        timeInForce: "IOC",
        lots: units,
        priceTicks: 0,
        clientOrderId: "",
      });
      if ("error" in sold) return 0;
      // The proceeds are what the fills paid, less the fee: the spot engine books the desk's sale
      // as a short (it has no asset balances), so its wallet moves by the fee alone.
      const feeUsdt =
        Math.max(0, before - this.spot.account(this.accounts.seizureDesk).wallet) /
        10 ** this.spot.cashDecimals;
      const grossUsdt = sold.order.cumQuoteTicksLots * usdtPerTickLot(this.spotSpec);
      const raisedUsdt = Math.max(0, grossUsdt - feeUsdt);
      this.stats.seizedSoldUsdt += raisedUsdt;
      return Math.floor(raisedUsdt * this.cashPerUsdt);
    });
  }

  private cashOfUsdt(usdt: number): number {
    return Math.floor(usdt * this.cashPerUsdt);
  }

  private fundUsdt(): number {
    return this.perp.insuranceFundCash() / this.cashPerUsdt;
  }
}

/** Resting notional within `band` of the mid on each side, USDT. */
function bandDepth(
  engine: MatchingEngine,
  spec: SymbolSpec,
  band: number,
): { bidUsdt: number; askUsdt: number } {
  const depth = engine.depth(spec.symbol, 1_000);
  const bid = depth.bids[0]?.[0];
  const ask = depth.asks[0]?.[0];
  const mid =
    bid !== undefined && ask !== undefined
      ? (bid + ask) / 2
      : (bid ?? ask ?? engine.lastPriceTicks(spec.symbol));
  const perTickLot = usdtPerTickLot(spec);
  let bidUsdt = 0;
  for (const [price, lots] of depth.bids) {
    if (price < mid * (1 - band)) break;
    bidUsdt += price * lots * perTickLot;
  }
  let askUsdt = 0;
  for (const [price, lots] of depth.asks) {
    if (price > mid * (1 + band)) break;
    askUsdt += price * lots * perTickLot;
  }
  return { bidUsdt, askUsdt };
}

function indexOf(engine: MatchingEngine, spec: SymbolSpec): number | null {
  const index = engine.indexPriceTicks(spec.symbol);
  return index === undefined ? null : round6(index * Number(spec.tickSize));
}

function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
