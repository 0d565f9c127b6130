import { describe, expect, it } from "vitest";
import type { AdmissionState } from "../../mock-exchange/admission.ts";
import { CAPACITY_TICK_MS, CapacityModel } from "../../mock-exchange/capacity/model.ts";
import { EXCHANGE_DEFAULTS, type ExchangeConfig } from "../../mock-exchange/defaults.ts";
import { MatchingEngine } from "../../mock-exchange/engine/matchingEngine.ts";
import { IpLimiter } from "../../mock-exchange/limits/ipLimiter.ts";
import { OrderCountLimiter } from "../../mock-exchange/limits/orderCountLimiter.ts";
import { limitWindowCompression } from "../../mock-exchange/limits/window.ts";
import { AgentGateway } from "../../mock-exchange/market/agentGateway.ts";
import { StopLossTrader, type StopTally } from "../../mock-exchange/market/stopLossTrader.ts";
import { seededRandom } from "../../mock-exchange/random.ts";
import { usdtToCash } from "../../mock-exchange/venue/cash.ts";
import {
  HOUSE_ACCOUNT,
  openLeveragedPositions,
  seedHouseLiquidity,
} from "../../mock-exchange/venue/houseLiquidity.ts";
import { MarketMoves } from "../../mock-exchange/venue/marketMoves.ts";

/**
 * A stop-loss trader (mock-exchange/market/stopLossTrader.ts) on the venue's first leveraged
 * account (BTCUSDT long, liquidation about 2% below entry) while BTC falls 1% a second: with its
 * close admitted it gets out before the liquidation engine takes the position; with its account
 * over the 10 s order count every send is refused and the position is liquidated (late).
 */

const TRADER_KEY = "10.251.0.1";

function play(admission: "open" | "over-limit"): { tally: StopTally; liquidated: number } {
  const config: ExchangeConfig = {
    ...EXCHANGE_DEFAULTS,
    timeScale: 1,
    marketEvents: [{ atS: 1, symbol: "BTCUSDT", movePct: -20, overS: 20 }],
  };
  let nowMs = 0;
  const engine = new MatchingEngine({ symbols: config.symbols, now: () => nowMs });
  engine.createAccount(HOUSE_ACCOUNT, usdtToCash(config.balances.houseBalanceUsdt, engine.cashDecimals));
  openLeveragedPositions(engine, config);
  seedHouseLiquidity(engine, config);
  const moves = MarketMoves.of(config, engine, 0, "ladder");
  const capacity = new CapacityModel(config, seededRandom(1), 0);
  const state: AdmissionState = {
    limiter: new IpLimiter(config.limits, 1, 0),
    orderLimiter: new OrderCountLimiter(
      config.limits.ordersPer10s,
      config.limits.ordersPerMinute,
      limitWindowCompression(config.limits, 1),
      0,
    ),
    capacity,
    verify: undefined,
    requireSignature: false,
  };
  const accountId = config.accounts + 1;
  // New orders weigh nothing on the IP limit (Binance): the account's 10 s order count is what refuses them.
  if (admission === "over-limit") state.orderLimiter.consume(accountId, config.limits.ordersPer10s, 0, 1);
  const gateway = new AgentGateway(state);
  const tally: StopTally = { triggered: 0, filled: 0, refused: 0, late: 0, slippageBps: [] };
  const trader = new StopLossTrader(
    engine,
    gateway,
    accountId,
    TRADER_KEY,
    "BTCUSDT",
    { stopAtShareOfDistance: 0.5, retryMs: 250 },
    tally,
  );
  let liquidated = 0;
  engine.onLiquidation((e) => {
    if (e.kind === "LIQUIDATION" && e.accountId === accountId) liquidated++;
  });
  for (nowMs = CAPACITY_TICK_MS; nowMs <= 10_000; nowMs += CAPACITY_TICK_MS) {
    moves?.advance(nowMs);
    gateway.runDue(nowMs);
    trader.act(nowMs);
    capacity.tick(nowMs);
  }
  return { tally, liquidated };
}

describe("a stop-loss trader's close meets the venue's admission", () => {
  it("gets out before the liquidation when its close is admitted", () => {
    const { tally, liquidated } = play("open");
    expect(tally.triggered).toBe(1);
    expect(tally.filled).toBe(1);
    expect(tally.late).toBe(0);
    expect(liquidated).toBe(0);
    // Filled within a few ticks of its stop, on a ladder that steps with the path.
    expect(tally.slippageBps[0]).toBeLessThan(100);
  });

  it("is liquidated, its stop late, when every send is refused", () => {
    const { tally, liquidated } = play("over-limit");
    expect(tally.triggered).toBe(1);
    expect(tally.filled).toBe(0);
    expect(tally.refused).toBeGreaterThan(1);
    expect(tally.late).toBe(1);
    expect(liquidated).toBeGreaterThan(0);
  });
});
