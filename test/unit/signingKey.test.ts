import { createHmac } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ApiError } from "../../loadtests/vocabulary/exchangeErrors.ts";
import { signingKey, signPayloadWith, verifySigned } from "../../mock-exchange/api/auth.ts";
import { Params } from "../../mock-exchange/api/params.ts";

/** The reference: node's own HMAC of the secret string and the payload string (both UTF-8). */
const hmac = (secret: string, payload: string) => createHmac("sha256", secret).update(payload).digest("hex");

describe("signPayloadWith (RFC 2104 from one-shot hashes, the verification hot path)", () => {
  it("gives node's HMAC-SHA256 for any secret and payload", () => {
    fc.assert(
      fc.property(
        // Secrets shorter and longer than the 64-byte block (hashed first), non-ASCII included.
        fc.string({ unit: "binary", maxLength: 100 }),
        fc.string({ unit: "binary", maxLength: 600 }),
        (secret, payload) => {
          expect(signPayloadWith(signingKey(secret), payload)).toBe(hmac(secret, payload));
        },
      ),
      { numRuns: 500 },
    );
  });

  it("keeps giving the right digest when one key is reused and payloads grow", () => {
    const secret = "ab".repeat(32);
    const key = signingKey(secret);
    for (const n of [0, 1, 55, 56, 63, 64, 119, 120, 1_000, 5_000, 3])
      expect(signPayloadWith(key, "x".repeat(n))).toBe(hmac(secret, "x".repeat(n)));
    // Three UTF-8 bytes per UTF-16 unit (the buffer's worst case), and lone surrogates (U+FFFD).
    for (const payload of ["€".repeat(700), "\uD800a\uDC00", "a=\uDFFF&b=😀"])
      expect(signPayloadWith(key, payload)).toBe(hmac(secret, payload));
    // Another key in between does not disturb the first one.
    const other = signingKey("other");
    expect(signPayloadWith(other, "a=1")).toBe(hmac("other", "a=1"));
    expect(signPayloadWith(key, "a=1")).toBe(hmac(secret, "a=1"));
  });

  it("lets verifySigned accept and refuse exactly as with the secret string", () => {
    const secret = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j";
    const now = 1_700_000_000_000;
    const total = `symbol=BTCUSDT&side=BUY&timestamp=${now}`;
    const outcome = (body: string, key: string | ReturnType<typeof signingKey>) => {
      try {
        verifySigned(new Params("", body), "", body, key, now);
        return "ok";
      } catch (err) {
        if (err instanceof ApiError) return err.spec.code;
        throw err;
      }
    };
    const good = hmac(secret, total);
    for (const signature of [good, good.toUpperCase(), good.slice(1), `${good}0`, "zz".repeat(32)]) {
      const body = `${total}&signature=${signature}`;
      expect(outcome(body, signingKey(secret))).toBe(outcome(body, secret));
    }
    expect(outcome(`${total}&signature=${good}`, signingKey(secret))).toBe("ok");
  });
});
