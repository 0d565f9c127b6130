import * as account from "./accountRoutes.ts";
import * as market from "./marketRoutes.ts";
import * as orders from "./orderRoutes.ts";
import type { Outcome, ParsedRequest } from "./request.ts";
import type { VenueRooms } from "./rooms.ts";

/** Runs a parsed request against the venue: each route to its area's executor. */
export function executeRoute(v: VenueRooms, req: ParsedRequest, accountId: number): Outcome {
  switch (req.route) {
    case "ping":
      return { status: 200, body: "{}" };
    case "time":
      return { status: 200, body: `{"serverTime":${v.now()}}` };
    case "exchangeInfo":
      return market.exchangeInfo(v);
    case "depth":
      return market.depth(v, req.symbol, req.limit);
    case "ticker24hr":
      return market.ticker24hr(v, req.symbol);
    case "klines":
      return market.klines(v, req.symbol, req.query);
    case "tickerPrice":
    case "tickerPriceV2":
      return market.tickerPrice(v, req.symbol);
    case "premiumIndex":
      return market.premiumIndex(v, req.symbol);
    case "leverageBracket":
      return market.leverageBracket(v, req.symbol);
    case "newOrder":
      return orders.newOrder(v, req.order);
    case "batchOrders":
      return orders.batchOrders(v, req.orders);
    case "cancelBatch":
      return orders.cancelBatch(v, req, accountId);
    case "userTrades":
      return orders.userTrades(v, req, accountId);
    case "cancelOrder":
      return orders.cancelOrder(v, req, accountId);
    case "getOrder":
      return orders.getOrder(v, req, accountId);
    case "openOrder":
      return orders.openOrder(v, req, accountId);
    case "modifyOrder":
      return orders.modifyOrder(v, req, accountId);
    case "cancelAll":
      return orders.cancelAll(v, req.symbol, accountId);
    case "openOrders":
      return orders.openOrders(v, req.symbol, accountId);
    case "positionRisk":
      return account.positionRisk(v, accountId, req.symbol, false);
    case "positionRiskV3":
      return account.positionRisk(v, accountId, req.symbol, true);
    case "balance":
    case "balanceV3":
      return account.balance(v, accountId);
    case "account":
      return account.accountInfo(v, accountId, false);
    case "accountV3":
      return account.accountInfo(v, accountId, true);
    case "leverage":
      return account.setLeverage(v, req.symbol, req.leverage, accountId);
    case "listenKeyStart":
      return account.listenKeyStart(v, accountId);
    case "listenKeyKeepalive":
      return account.listenKeyKeepalive(v, accountId);
    case "listenKeyClose":
      return account.listenKeyClose(v, accountId);
  }
}
