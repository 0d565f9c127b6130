import { isIP } from "node:net";
import { StampedeError } from "../loadtests/vocabulary/cliErrors.ts";

/**
 * `stampede drill --target URL`: a profile played against any Binance-USDⓈ-M-compatible
 * endpoint (a staging venue, a testnet) instead of the mock exchange started in-process.
 *
 * Safe by default (docs/architecture.md "Safety"): a target off this machine needs an explicit
 * `--i-own-this-target` and a rate cap (`--max-rps`), and the plan's peak must fit under the cap.
 * Everything here is decided before the first request leaves, from the URL and the plan alone.
 */

export interface TargetOptions {
  url: string;
  /** The operator states that the target is theirs to load (required when not loopback). */
  iOwnThisTarget: boolean;
  /** Highest total request rate the drill may offer, requests per wall second. */
  maxRps: number | undefined;
}

export interface CheckedTarget {
  /** Base URL without a trailing slash, e.g. https://testnet.example:443 */
  baseUrl: string;
  loopback: boolean;
}

/** 127.0.0.0/8, ::1 and localhost: the only hosts a drill may load without the explicit flag. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, "").toLowerCase();
  if (host === "localhost") return true;
  if (isIP(host) === 4) return host.startsWith("127.");
  if (isIP(host) === 6) return host === "::1" || host === "0:0:0:0:0:0:0:1";
  return false;
}

/**
 * Validates a target against the plan's peak total rate (requests per wall second).
 * Throws E_USAGE (exit 2) with what to change; returns the normalised base URL.
 */
export function checkTarget(opts: TargetOptions, peakTotalRps: number): CheckedTarget {
  let url: URL;
  try {
    url = new URL(opts.url);
  } catch {
    throw new StampedeError("E_USAGE", `--target "${opts.url}" is not a URL (e.g. https://testnet.example)`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:")
    throw new StampedeError("E_USAGE", `--target must be http:// or https://, not ${url.protocol}`);
  if (url.username !== "" || url.password !== "")
    throw new StampedeError("E_USAGE", "--target must not carry credentials; keys come from the environment");
  const loopback = isLoopbackHost(url.hostname);
  if (opts.maxRps !== undefined && !(opts.maxRps > 0 && Number.isFinite(opts.maxRps)))
    throw new StampedeError("E_USAGE", "--max-rps must be a number > 0");
  if (!loopback) {
    if (!opts.iOwnThisTarget)
      throw new StampedeError(
        "E_USAGE",
        `--target ${url.host} is not this machine: add --i-own-this-target (and --max-rps) only for a venue you are allowed to load`,
      );
    if (opts.maxRps === undefined)
      throw new StampedeError(
        "E_USAGE",
        `--target ${url.host} is not this machine: a rate cap is required (--max-rps N, requests per second)`,
      );
  }
  if (opts.maxRps !== undefined && peakTotalRps > opts.maxRps) {
    const scale = Math.floor((opts.maxRps / peakTotalRps) * 1000) / 1000;
    throw new StampedeError(
      "E_USAGE",
      `the plan peaks at ${Math.ceil(peakTotalRps)} req/s, above --max-rps ${opts.maxRps}; lighten it with --rate-scale ${scale} or less`,
    );
  }
  const path = url.pathname.replace(/\/+$/, "");
  return { baseUrl: `${url.protocol}//${url.host}${path}`, loopback };
}

export interface ApiKeyPair {
  apiKey: string;
  apiSecret: string;
}

/**
 * Keys for a target without the mock's control plane, from the environment (never from argv,
 * so they stay out of run.json and the process list): STAMPEDE_API_KEYS="key:secret,key:secret"
 * (one per simulated client, reused round-robin), or STAMPEDE_API_KEY with STAMPEDE_API_SECRET.
 */
export function apiKeysFromEnv(env: NodeJS.ProcessEnv): ApiKeyPair[] {
  const list = env.STAMPEDE_API_KEYS?.trim();
  if (list !== undefined && list !== "") {
    return list.split(",").map((pair, i) => {
      const at = pair.indexOf(":");
      const apiKey = pair.slice(0, at).trim();
      const apiSecret = pair.slice(at + 1).trim();
      if (at <= 0 || apiKey === "" || apiSecret === "")
        throw new StampedeError(
          "E_USAGE",
          `STAMPEDE_API_KEYS entry ${i + 1} is not key:secret (entries are separated by commas)`,
        );
      return { apiKey, apiSecret };
    });
  }
  const apiKey = env.STAMPEDE_API_KEY?.trim();
  const apiSecret = env.STAMPEDE_API_SECRET?.trim();
  if (apiKey && apiSecret) return [{ apiKey, apiSecret }];
  if (apiKey || apiSecret)
    throw new StampedeError("E_USAGE", "set both STAMPEDE_API_KEY and STAMPEDE_API_SECRET");
  return [];
}
