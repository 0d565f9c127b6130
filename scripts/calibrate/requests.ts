import { createHmac } from "node:crypto";

/**
 * The one request calibration sends per traffic class, as a Binance USDⓈ-M client builds it:
 * order = POST /fapi/v1/order (signed; a LIMIT IOC buy below the book, so it expires without a
 * fill and leaves no position or resting order behind), position = GET /fapi/v2/positionRisk
 * (signed), depth = GET /fapi/v1/depth (public).
 */

export const CALIBRATED_CLASSES = ["order", "position", "depth"] as const;
export type CalibratedClassName = (typeof CALIBRATED_CLASSES)[number];

export interface ApiKey {
  apiKey: string;
  apiSecret: string;
}

export interface ClassRequest {
  method: "GET" | "POST";
  /** Path with its query string. */
  path: string;
  body: string | undefined;
  headers: Record<string, string>;
}

export interface RequestContext {
  symbol: string;
  /** The order's limit price, text in the symbol's tick (below the best bid: it never fills). */
  orderPrice: string;
  orderQty: string;
  keys: readonly ApiKey[];
  /** Client IPs to spread the load over (X-Forwarded-For), only on a stampede mock that trusts it. */
  forwardedFor: readonly string[] | undefined;
}

function signed(key: ApiKey, params: string): string {
  const withTs = `${params}&timestamp=${Date.now()}&recvWindow=5000`;
  return `${withTs}&signature=${createHmac("sha256", key.apiSecret).update(withTs).digest("hex")}`;
}

/** The `i`-th request of a class: keys and client IPs taken in turn, so per-key and per-IP limits spread. */
export function classRequest(cls: CalibratedClassName, i: number, ctx: RequestContext): ClassRequest {
  const headers: Record<string, string> = {};
  if (ctx.forwardedFor !== undefined && ctx.forwardedFor.length > 0)
    headers["X-Forwarded-For"] = ctx.forwardedFor[i % ctx.forwardedFor.length] as string;
  if (cls === "depth")
    return { method: "GET", path: `/fapi/v1/depth?symbol=${ctx.symbol}&limit=5`, body: undefined, headers };
  const key = ctx.keys[i % ctx.keys.length];
  if (key === undefined) throw new Error(`no API key for the ${cls} class`);
  headers["X-MBX-APIKEY"] = key.apiKey;
  if (cls === "position")
    return {
      method: "GET",
      path: `/fapi/v2/positionRisk?${signed(key, `symbol=${ctx.symbol}`)}`,
      body: undefined,
      headers,
    };
  headers["Content-Type"] = "application/x-www-form-urlencoded";
  const params = `symbol=${ctx.symbol}&side=BUY&type=LIMIT&timeInForce=IOC&quantity=${ctx.orderQty}&price=${ctx.orderPrice}`;
  return { method: "POST", path: "/fapi/v1/order", body: signed(key, params), headers };
}
