import { describe, expect, it } from "vitest";
import { StampedeError } from "../../loadtests/vocabulary/cliErrors.ts";
import { apiKeysFromEnv, checkTarget, isLoopbackHost } from "../../scripts/target.ts";

function usageError(fn: () => unknown): StampedeError {
  try {
    fn();
  } catch (err) {
    if (err instanceof StampedeError) return err;
    throw err;
  }
  throw new Error("expected a StampedeError");
}

describe("drill --target guard", () => {
  it("knows loopback hosts", () => {
    for (const h of ["127.0.0.1", "127.8.9.10", "localhost", "[::1]", "::1"])
      expect(isLoopbackHost(h), h).toBe(true);
    for (const h of [
      "10.0.0.1",
      "128.0.0.1",
      "fapi.binance.com",
      "testnet.binancefuture.com",
      "[::2]",
      "0.0.0.0",
    ])
      expect(isLoopbackHost(h), h).toBe(false);
  });

  it("lets a loopback target through without the flag and normalises the URL", () => {
    const t = checkTarget({ url: "http://127.0.0.1:8080/", iOwnThisTarget: false, maxRps: undefined }, 5000);
    expect(t).toEqual({ baseUrl: "http://127.0.0.1:8080", loopback: true });
  });

  it("refuses a remote target without --i-own-this-target, then without a rate cap (exit 2)", () => {
    const noFlag = usageError(() =>
      checkTarget({ url: "https://testnet.example", iOwnThisTarget: false, maxRps: 100 }, 10),
    );
    expect(noFlag.code).toBe("E_USAGE");
    expect(noFlag.exitCode).toBe(2);
    expect(noFlag.message).toMatch(/--i-own-this-target/);
    const noCap = usageError(() =>
      checkTarget({ url: "https://testnet.example", iOwnThisTarget: true, maxRps: undefined }, 10),
    );
    expect(noCap.message).toMatch(/--max-rps/);
    const ok = checkTarget({ url: "https://testnet.example/", iOwnThisTarget: true, maxRps: 100 }, 99);
    expect(ok).toEqual({ baseUrl: "https://testnet.example", loopback: false });
  });

  it("refuses a plan that peaks above the cap and names the rate scale that fits", () => {
    const err = usageError(() =>
      checkTarget({ url: "http://127.0.0.1:1", iOwnThisTarget: false, maxRps: 100 }, 400),
    );
    expect(err.code).toBe("E_USAGE");
    expect(err.message).toMatch(/--rate-scale 0\.25 /);
  });

  it("refuses what is not an http(s) URL or carries credentials", () => {
    for (const url of ["not a url", "ftp://127.0.0.1", "http://user:pw@127.0.0.1"])
      expect(usageError(() => checkTarget({ url, iOwnThisTarget: true, maxRps: 1 }, 0)).code).toBe("E_USAGE");
    expect(
      usageError(() => checkTarget({ url: "http://127.0.0.1", iOwnThisTarget: false, maxRps: -1 }, 0)).code,
    ).toBe("E_USAGE");
  });
});

describe("API keys from the environment", () => {
  it("reads key:secret pairs, or one key and secret", () => {
    expect(apiKeysFromEnv({ STAMPEDE_API_KEYS: "a:1, b:2" })).toEqual([
      { apiKey: "a", apiSecret: "1" },
      { apiKey: "b", apiSecret: "2" },
    ]);
    expect(apiKeysFromEnv({ STAMPEDE_API_KEY: "k", STAMPEDE_API_SECRET: "s" })).toEqual([
      { apiKey: "k", apiSecret: "s" },
    ]);
    expect(apiKeysFromEnv({})).toEqual([]);
  });

  it("refuses half-given keys", () => {
    expect(usageError(() => apiKeysFromEnv({ STAMPEDE_API_KEYS: "a:1,b" })).code).toBe("E_USAGE");
    expect(usageError(() => apiKeysFromEnv({ STAMPEDE_API_KEY: "k" })).code).toBe("E_USAGE");
  });
});
