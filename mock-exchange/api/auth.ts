import { createHmac } from "node:crypto";
import { ApiError, ERR } from "./errors.ts";
import type { Params } from "./params.ts";

/**
 * SIGNED (TRADE / USER_DATA) request checks, as Binance USDⓈ-M futures does them
 * (reference.md "Signed requests"): `signature` = hex HMAC-SHA256, keyed with the account's
 * secret, of totalParams = query string concatenated with the request body, as sent, with the
 * `signature` parameter taken out; `timestamp` (ms) must satisfy
 * `timestamp < serverTime + 1000 && serverTime - timestamp <= recvWindow` (recvWindow default
 * 5000, at most 60000), else -1021. Runs at the edge: a refusal costs no capacity.
 */

export const DEFAULT_RECV_WINDOW_MS = 5_000;
export const MAX_RECV_WINDOW_MS = 60_000;
/** How far ahead of the server clock a timestamp may be, ms. */
export const FUTURE_TOLERANCE_MS = 1_000;

const SIGNATURE = "signature=";
const HEX_SHA256 = /^[0-9a-fA-F]{64}$/;

/** `raw` without its `signature=...` parameter (wherever it is); unchanged when it has none. */
export function stripSignature(raw: string): string {
  let from = 0;
  for (;;) {
    const at = raw.indexOf(SIGNATURE, from);
    if (at < 0) return raw;
    if (at === 0 || raw.charCodeAt(at - 1) === 38 /* & */) {
      const end = raw.indexOf("&", at);
      if (end < 0) return at === 0 ? "" : raw.slice(0, at - 1);
      return raw.slice(0, at) + raw.slice(end + 1);
    }
    from = at + SIGNATURE.length;
  }
}

/** Hex HMAC-SHA256 of the request's total params (query + body, signature removed). */
export function signPayload(secret: string, payload: string): string {
  return createHmac("sha256", secret).update(payload).digest("hex");
}

/**
 * Checks timestamp, recvWindow and signature; throws ApiError (-1102, -1130, -1021, -1022).
 * `params` are the parsed query + body (the parser already refused a duplicated `signature`).
 */
export function verifySigned(
  params: Params,
  query: string,
  body: string,
  secret: string,
  serverTimeMs: number,
): void {
  const ts = params.get("timestamp");
  if (ts === undefined || !/^\d{1,16}$/.test(ts))
    throw new ApiError(ERR.MANDATORY_PARAM, { name: "timestamp" });
  const recvWindow = params.optionalInt("recvWindow", 1, MAX_RECV_WINDOW_MS, DEFAULT_RECV_WINDOW_MS);
  const timestamp = Number(ts);
  if (!(timestamp < serverTimeMs + FUTURE_TOLERANCE_MS && serverTimeMs - timestamp <= recvWindow))
    throw new ApiError(ERR.INVALID_TIMESTAMP);
  const signature = params.get("signature");
  if (signature === undefined || !HEX_SHA256.test(signature)) throw new ApiError(ERR.INVALID_SIGNATURE);
  const expected = signPayload(secret, stripSignature(query) + stripSignature(body));
  // Binance: "The signature is not case sensitive."
  if (signature.toLowerCase() !== expected) throw new ApiError(ERR.INVALID_SIGNATURE);
}
