/**
 * The drill script with its behaviours' decisions taken out: each iteration sends its class's
 * usual request with fixed parameters through the drill's session, so it is signed, keyed,
 * tagged and its refusals counted as in a drill (an order: a signed LIMIT POST; a position read:
 * a signed GET; a book read: an unsigned GET). No draws, no formatting, no answer parsed, no
 * cancel, no state. The generator bench (scripts/benchGeneratorCost.ts) runs it beside the
 * drill's harness (drillHarness.ts) and the drill: this step over the harness is what the
 * venue's request format costs k6, and the drill over this step what the behaviours' logic costs.
 */
import { iterate, options, type SetupData, setup } from "../drillRequests.ts";
import { REQUEST } from "../lib/behaviours.ts";
import { DRILL_SYMBOLS, type DrillSymbol, type Session } from "../scenarios/session.ts";

export { options, setup };

const SYMBOL = (DRILL_SYMBOLS[0] as DrillSymbol).symbol;
// The responder acknowledges any order; the price only has to look like one of a drill's.
const ORDER_PARAMS = `symbol=${SYMBOL}&side=BUY&quantity=0.003&type=LIMIT&timeInForce=GTC&price=100.0`;
const POSITION_PARAMS = `symbol=${SYMBOL}`;
const DEPTH_PARAMS = `symbol=${SYMBOL}&${REQUEST.depth.weightQuery}`;

function newOrder(s: Session): void {
  s.served(s.send(REQUEST.newOrder, ORDER_PARAMS), REQUEST.newOrder);
}

function positionRead(s: Session): void {
  s.served(s.send(REQUEST.positionRisk, POSITION_PARAMS), REQUEST.positionRisk);
}

function depthRead(s: Session): void {
  s.served(s.send(REQUEST.depth, DEPTH_PARAMS), REQUEST.depth);
}

export function order(data: SetupData): void {
  iterate("order", data, newOrder);
}

export function position(data: SetupData): void {
  iterate("position", data, positionRead);
}

export function depth(data: SetupData): void {
  iterate("depth", data, depthRead);
}
