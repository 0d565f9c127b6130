import { ERR } from "../../loadtests/vocabulary/exchangeErrors.ts";
import { formatUnits } from "../api/params.ts";
import { cashText } from "./cash.ts";
import { apiError } from "./outcomes.ts";
import type { Outcome } from "./request.ts";
import type { VenueRooms } from "./rooms.ts";

/** The account routes: wallet, positions and leverage as the dialect shows them, and listenKeys. */

export function balance(v: VenueRooms, accountId: number): Outcome {
  const a = v.engine.account(accountId);
  const cd = v.engine.cashDecimals;
  const available = Math.max(0, a.available);
  return {
    status: 200,
    body: JSON.stringify([
      {
        accountAlias: `stp${accountId}`,
        asset: "USDT",
        balance: cashText(a.wallet, cd),
        crossWalletBalance: cashText(a.wallet, cd),
        crossUnPnl: cashText(a.unrealized, cd),
        availableBalance: cashText(available, cd),
        maxWithdrawAmount: cashText(Math.min(available, a.wallet), cd),
        marginAvailable: true,
        updateTime: v.now(),
      },
    ]),
  };
}

/** GET /fapi/v2/account and /fapi/v3/account (v3: no per-symbol leverage or entry price). */
export function accountInfo(v: VenueRooms, accountId: number, v3: boolean): Outcome {
  const a = v.engine.account(accountId);
  const cd = v.engine.cashDecimals;
  const now = v.now();
  const available = Math.max(0, a.available);
  const positions = accountPositions(v, accountId, v3);
  const totals = {
    totalInitialMargin: cashText(a.initialMargin, cd),
    totalMaintMargin: cashText(a.maintenanceMargin, cd),
    totalWalletBalance: cashText(a.wallet, cd),
    totalUnrealizedProfit: cashText(a.unrealized, cd),
    totalMarginBalance: cashText(a.marginBalance, cd),
    totalCrossWalletBalance: cashText(a.wallet, cd),
    totalCrossUnPnl: cashText(a.unrealized, cd),
    availableBalance: cashText(available, cd),
    maxWithdrawAmount: cashText(Math.min(available, a.wallet), cd),
  };
  const asset = {
    asset: "USDT",
    walletBalance: totals.totalWalletBalance,
    unrealizedProfit: totals.totalUnrealizedProfit,
    marginBalance: totals.totalMarginBalance,
    maintMargin: totals.totalMaintMargin,
    initialMargin: totals.totalInitialMargin,
    crossWalletBalance: totals.totalWalletBalance,
    crossUnPnl: totals.totalUnrealizedProfit,
    availableBalance: totals.availableBalance,
    maxWithdrawAmount: totals.maxWithdrawAmount,
    updateTime: now,
  };
  const flags = v3
    ? {}
    : {
        feeTier: 0,
        canTrade: true,
        canDeposit: true,
        canWithdraw: true,
        multiAssetsMargin: false,
        updateTime: 0,
      };
  return { status: 200, body: JSON.stringify({ ...flags, ...totals, assets: [asset], positions }) };
}

/** The account's positions from the engine's current state (v3 lists open ones only). */
function accountPositions(v: VenueRooms, accountId: number, v3: boolean): Record<string, unknown>[] {
  const positions: Record<string, unknown>[] = [];
  for (const p of v.engine.positions(accountId)) {
    if (v3 && p.amountLots === 0) continue;
    const spec = v.spec(p.symbol);
    const tick = Number(spec.tickSize);
    const step = Number(spec.stepSize);
    const mark = v.engine.markPriceTicks(p.symbol);
    const leverage = v.engine.leverage(accountId, p.symbol);
    const notional = p.amountLots * step * mark * tick;
    const unrealized = p.amountLots === 0 ? 0 : p.amountLots * step * (mark - p.entryPriceTicks) * tick;
    const row: Record<string, unknown> = {
      symbol: p.symbol,
      positionSide: "BOTH",
      positionAmt: formatUnits(p.amountLots, spec.stepSize),
      unrealizedProfit: unrealized.toFixed(8),
      isolatedMargin: "0",
      notional: notional.toFixed(8),
      isolatedWallet: "0",
      initialMargin: (Math.abs(notional) / leverage).toFixed(8),
      maintMargin: (Math.abs(notional) * 0.004).toFixed(8),
      updateTime: p.updateTime,
    };
    if (!v3) {
      row.leverage = String(leverage);
      row.entryPrice = (p.entryPriceTicks * tick).toFixed(8);
      row.isolated = false;
    }
    positions.push(row);
  }
  return positions;
}

/**
 * Served from the read replica: the state as of its replication lag, like a real read path.
 * v3 lists only symbols with a position or open orders and has no leverage / marginType fields.
 */
export function positionRisk(
  v: VenueRooms,
  accountId: number,
  symbol: string | undefined,
  v3: boolean,
): Outcome {
  const now = v.now();
  v.replica.advance(now);
  if (v.replica.isBehind(accountId)) v.timeline.staleRead();
  const rows: string[] = [];
  for (const spec of v.config.symbols) {
    if (symbol !== undefined && spec.symbol !== symbol) continue;
    const view = v.replica.read(accountId, v.symbolIndexOf(spec.symbol));
    const amountLots = view?.amountLots ?? 0;
    if (v3 && amountLots === 0 && v.engine.openOrders(accountId, spec.symbol).length === 0) continue;
    const entryTicks = view?.entryPriceTicks ?? 0;
    const markTicks = v.engine.markPriceTicks(spec.symbol);
    const tick = Number(spec.tickSize);
    const step = Number(spec.stepSize);
    const amount = amountLots * step;
    const unrealized = amount * (markTicks - entryTicks) * tick;
    const leverage = v.engine.leverage(accountId, spec.symbol);
    const notional = amount * markTicks * tick;
    const common = {
      symbol: spec.symbol,
      positionSide: "BOTH",
      positionAmt: formatUnits(amountLots, spec.stepSize),
      entryPrice: (entryTicks * tick).toFixed(8),
      breakEvenPrice: (entryTicks * tick).toFixed(8),
      markPrice: (markTicks * tick).toFixed(8),
      unRealizedProfit: (amountLots === 0 ? 0 : unrealized).toFixed(8),
      // From the margin engine's current state (the replica keeps positions, not wallets):
      // engine.liquidationPriceTicks states the cross-margin formula; "0" when flat.
      liquidationPrice:
        amountLots === 0 ? "0" : (v.engine.liquidationPriceTicks(accountId, spec.symbol) * tick).toFixed(8),
      isolatedMargin: "0.00000000",
      notional: notional.toFixed(8),
      isolatedWallet: "0",
    };
    rows.push(
      JSON.stringify(
        v3
          ? {
              ...common,
              marginAsset: "USDT",
              initialMargin: (Math.abs(notional) / leverage).toFixed(8),
              maintMargin: (Math.abs(notional) * 0.004).toFixed(8),
              positionInitialMargin: (Math.abs(notional) / leverage).toFixed(8),
              openOrderInitialMargin: "0",
              adl: 0,
              bidNotional: "0",
              askNotional: "0",
              updateTime: view?.updateTime ?? 0,
            }
          : {
              ...common,
              leverage: String(leverage),
              maxNotionalValue: "1000000",
              marginType: "cross",
              isAutoAddMargin: "false",
              updateTime: view?.updateTime ?? 0,
            },
      ),
    );
  }
  return { status: 200, body: `[${rows.join(",")}]` };
}

export function setLeverage(v: VenueRooms, symbol: string, leverage: number, accountId: number): Outcome {
  v.engine.setLeverage(accountId, symbol, leverage);
  return {
    status: 200,
    body: JSON.stringify({ leverage, maxNotionalValue: "1000000", symbol }),
  };
}

export function listenKeyStart(v: VenueRooms, accountId: number): Outcome {
  return { status: 200, body: JSON.stringify({ listenKey: v.listenKeys.start(accountId, v.now()) }) };
}

export function listenKeyKeepalive(v: VenueRooms, accountId: number): Outcome {
  const listenKey = v.listenKeys.keepalive(accountId, v.now());
  if (listenKey === undefined) return apiError(ERR.LISTEN_KEY_NOT_FOUND);
  return { status: 200, body: JSON.stringify({ listenKey }) };
}

/** Closing a key that is already gone is not an error: the stream is closed either way. */
export function listenKeyClose(v: VenueRooms, accountId: number): Outcome {
  v.listenKeys.close(accountId);
  return { status: 200, body: "{}" };
}
