import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { ApiError } from "../../loadtests/vocabulary/exchangeErrors.ts";
import { signPayload, stripSignature, verifySigned } from "../../mock-exchange/api/auth.ts";
import { Params } from "../../mock-exchange/api/params.ts";
import { deriveAccountKeys } from "../../mock-exchange/venue.ts";

const SECRET = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j";

/** The code verifySigned throws, or "ok". */
function check(query: string, body: string, now: number, secret = SECRET): number | "ok" {
  try {
    verifySigned(new Params(query, body), query, body, secret, now);
    return "ok";
  } catch (err) {
    if (err instanceof ApiError) return err.spec.code;
    throw err;
  }
}

function sign(payload: string, secret = SECRET): string {
  return createHmac("sha256", secret).update(payload).digest("hex");
}

describe("signed requests", () => {
  it("signs with hex HMAC-SHA256 of the total params", () => {
    const total =
      "symbol=BTCUSDT&side=BUY&type=LIMIT&quantity=1&price=9000&timeInForce=GTC&timestamp=1591702613943";
    expect(signPayload(SECRET, total)).toBe(sign(total));
    expect(signPayload(SECRET, total)).toMatch(/^[0-9a-f]{64}$/);
  });

  it("removes only the signature parameter, wherever it is", () => {
    expect(stripSignature("a=1&signature=ff&b=2")).toBe("a=1&b=2");
    expect(stripSignature("a=1&b=2&signature=ff")).toBe("a=1&b=2");
    expect(stripSignature("signature=ff&a=1")).toBe("a=1");
    expect(stripSignature("signature=ff")).toBe("");
    expect(stripSignature("xsignature=1&a=2")).toBe("xsignature=1&a=2");
    expect(stripSignature("")).toBe("");
  });

  it("accepts query + body concatenated, signature in either place, any hex case", () => {
    const now = 1_700_000_000_000;
    const query = `symbol=BTCUSDT&side=BUY&timestamp=${now}`;
    const body = "type=MARKET&quantity=0.001";
    const sig = sign(query + body);
    expect(check(query, `${body}&signature=${sig}`, now)).toBe("ok");
    expect(check(`${query}&signature=${sig.toUpperCase()}`, body, now)).toBe("ok");
    // Wrong secret, tampered parameter, missing or malformed signature: -1022.
    expect(check(query, `${body}&signature=${sig}`, now, `${SECRET}x`)).toBe(-1022);
    expect(check(query, `type=MARKET&quantity=0.002&signature=${sig}`, now)).toBe(-1022);
    expect(check(query, body, now)).toBe(-1022);
    expect(check(query, `${body}&signature=xyz`, now)).toBe(-1022);
    // A duplicated signature is a duplicated parameter (-1101), not a second chance.
    expect(() => new Params(query, `${body}&signature=${sig}&signature=${sig}`)).toThrow(ApiError);
  });

  it("applies timestamp < serverTime + 1000 && serverTime - timestamp <= recvWindow (-1021)", () => {
    const now = 1_700_000_000_000;
    const at = (ts: number, extra = "") => {
      const q = `symbol=BTCUSDT${extra}&timestamp=${ts}`;
      return check(`${q}&signature=${sign(q)}`, "", now);
    };
    expect(at(now)).toBe("ok");
    expect(at(now + 999)).toBe("ok");
    expect(at(now + 1000)).toBe(-1021);
    expect(at(now - 5000)).toBe("ok");
    expect(at(now - 5001)).toBe(-1021);
    expect(at(now - 60_000, "&recvWindow=60000")).toBe("ok");
    expect(at(now - 60_001, "&recvWindow=60000")).toBe(-1021);
    expect(at(now, "&recvWindow=60001")).toBe(-1130);
    expect(at(now, "&recvWindow=0")).toBe(-1130);
    expect(check("symbol=BTCUSDT", "", now)).toBe(-1102);
    expect(check("symbol=BTCUSDT&timestamp=soon", "", now)).toBe(-1102);
  });

  it("derives the same distinct keys and 64-hex secrets from the same seed", () => {
    const a = deriveAccountKeys(7, 5);
    expect(deriveAccountKeys(7, 5)).toEqual(a);
    expect(deriveAccountKeys(8, 5)).not.toEqual(a);
    expect(new Set(a.map((k) => k.apiKey)).size).toBe(5);
    expect(new Set(a.map((k) => k.apiSecret)).size).toBe(5);
    for (const k of a) expect(k.apiSecret).toMatch(/^[0-9a-f]{64}$/);
    expect(a.map((k) => k.accountId)).toEqual([1, 2, 3, 4, 5]);
  });
});
