import { EXCHANGE_DEFAULTS, type ExchangeConfig } from "../../mock-exchange/defaults.ts";

/**
 * The mock exchange the integration tests start on 127.0.0.1:0: a small book, a `fixed` fleet
 * of 8 workers per tier with ~0.5 ms service times and an instant replica, so a request is
 * answered in about a millisecond unless a test says otherwise (`overrides` replace whole keys).
 */
export function fastExchangeConfig(overrides: Partial<ExchangeConfig> = {}): ExchangeConfig {
  const fast = { order: 0.5, position: 0.5, depth: 0.5, other: 0.1 };
  return {
    ...EXCHANGE_DEFAULTS,
    accounts: 4,
    makerLevels: 5,
    makerLotsPerLevel: 10,
    trustProxy: true,
    capacity: {
      ...EXCHANGE_DEFAULTS.capacity,
      strategy: "fixed",
      tiers: {
        gateway: { baselineInstances: 8, concurrencyPerInstance: 1 },
        read: { baselineInstances: 8, concurrencyPerInstance: 1 },
      },
      serviceTimeMs: fast,
      serviceTimeMinMs: fast,
    },
    replica: { ...EXCHANGE_DEFAULTS.replica, baseLagMs: 0, applyPerS: 1_000_000 },
    ...overrides,
  };
}

/**
 * A control-plane request to a mock exchange with its token (`Authorization: Bearer`), as every
 * `/__stampede/*` request but the OpenAPI document needs; a body is sent as JSON.
 */
export function controlFetch(
  exchange: { url: string; controlToken: string },
  path: string,
  init: { method?: string; body?: string; headers?: Record<string, string> } = {},
): Promise<Response> {
  return fetch(`${exchange.url}${path}`, {
    method: init.method ?? "GET",
    headers: {
      Authorization: `Bearer ${exchange.controlToken}`,
      ...(init.body === undefined ? {} : { "Content-Type": "application/json" }),
      ...init.headers,
    },
    ...(init.body === undefined ? {} : { body: init.body }),
  });
}

/** The exchange's accounts with their keys and secrets, read through the control plane. */
export async function controlAccounts<
  A = { accountId: number; apiKey: string; apiSecret: string },
>(exchange: { url: string; controlToken: string }): Promise<A[]> {
  const res = await controlFetch(exchange, "/__stampede/accounts");
  if (res.status !== 200) throw new Error(`GET /__stampede/accounts: ${res.status}`);
  return ((await res.json()) as { accounts: A[] }).accounts;
}
