import { createHash, createHmac, hash } from "node:crypto";
import { ApiError, ERR } from "../../loadtests/vocabulary/exchangeErrors.ts";
import type { Params } from "./params.ts";

/**
 * SIGNED (TRADE / USER_DATA) request checks, as Binance USDⓈ-M futures does them
 * (docs/facts.md "Signed requests"): `signature` = hex HMAC-SHA256, keyed with the account's
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
 * An account's secret prepared for signPayloadWith: the RFC 2104 key blocks, made once per
 * account (Venue.signingKeyOf).
 */
export interface SigningKey {
  /** K0 XOR ipad (K0: the secret's UTF-8 bytes, hashed first if longer than the 64-byte block, zero-padded). */
  readonly inner: Buffer;
  /** K0 XOR opad, then 32 bytes where each call puts the inner digest. */
  readonly outer: Buffer;
}

const SHA256_BLOCK_BYTES = 64;
const SHA256_BYTES = 32;

export function signingKey(secret: string): SigningKey {
  let k = Buffer.from(secret, "utf8");
  if (k.length > SHA256_BLOCK_BYTES) k = createHash("sha256").update(k).digest();
  const inner = Buffer.alloc(SHA256_BLOCK_BYTES);
  const outer = Buffer.alloc(SHA256_BLOCK_BYTES + SHA256_BYTES);
  for (let i = 0; i < SHA256_BLOCK_BYTES; i++) {
    const byte = k[i] ?? 0;
    inner[i] = byte ^ 0x36;
    outer[i] = byte ^ 0x5c;
  }
  return { inner, outer };
}

/** Reused by every signPayloadWith call (single-threaded, synchronous): inner pad then payload. */
let innerInput = Buffer.alloc(1024);

/**
 * signPayload with a prepared key: HMAC(K, m) = H((K0 ^ opad) || H((K0 ^ ipad) || m)) (RFC 2104)
 * from two one-shot crypto.hash calls. The same hex as signPayload (unit-tested against it),
 * without a node:crypto Hmac object per request: building one (digest lookup, context, a GC-tracked
 * native handle) cost more than the hashing itself (~3 µs of http_order_rps's ~50 µs per order).
 */
export function signPayloadWith(key: SigningKey, payload: string): string {
  const most = SHA256_BLOCK_BYTES + payload.length * 3; // UTF-8: at most 3 bytes per UTF-16 unit
  if (innerInput.length < most) innerInput = Buffer.alloc(most * 2);
  key.inner.copy(innerInput, 0);
  const n = innerInput.write(payload, SHA256_BLOCK_BYTES, "utf8");
  const innerDigest = hash("sha256", innerInput.subarray(0, SHA256_BLOCK_BYTES + n), "buffer");
  innerDigest.copy(key.outer, SHA256_BLOCK_BYTES);
  return hash("sha256", key.outer, "hex");
}

/**
 * Checks timestamp, recvWindow and signature; throws ApiError (-1102, -1130, -1021, -1022).
 * `params` are the parsed query + body (the parser already refused a duplicated `signature`).
 */
export function verifySigned(
  params: Params,
  query: string,
  body: string,
  secret: string | SigningKey,
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
  const payload = stripSignature(query) + stripSignature(body);
  const expected =
    typeof secret === "string" ? signPayload(secret, payload) : signPayloadWith(secret, payload);
  // Binance: "The signature is not case sensitive."
  if (signature.toLowerCase() !== expected) throw new ApiError(ERR.INVALID_SIGNATURE);
}
