import type { RefinedResponse, ResponseType } from "k6/http";
import type { BehaviourRequest, PositionView } from "../lib/behaviours.ts";
import type { Random } from "../vocabulary/random.ts";

/**
 * What a behaviour (one file each in this folder) needs from the drill script: a VU's client
 * session. loadtests/drill.ts builds one per VU from its own request helpers (signing, headers,
 * refusal accounting), so a behaviour never knows the base URL, the keys or how headers are set.
 * What a behaviour sends is a request of the behaviour table (REQUEST: route, method, path,
 * class, endpoint), tagged with its class and endpoint here, and with the behaviour by the drill
 * (a VU tag, so it is on every sample, the custom metrics' included).
 */

export interface DrillSymbol {
  symbol: string;
  tick: number;
  priceDecimals: number;
}

/** The symbols a drill trades (mock-exchange/defaults.ts DEFAULT_SYMBOLS: tick size, price decimals). */
export const DRILL_SYMBOLS: readonly DrillSymbol[] = [
  { symbol: "BTCUSDT", tick: 0.1, priceDecimals: 1 },
  { symbol: "ETHUSDT", tick: 0.01, priceDecimals: 2 },
];

/** State a VU keeps between iterations (a VU is one client session). */
export interface SessionState {
  /** trader: its resting LIMIT order. */
  traderResting: { symbol: string; orderId: number } | undefined;
  /** market-maker: its quote. */
  makerQuote: { symbol: string; orderId: number } | undefined;
  /** stop-loss-submitter: its working stop per symbol. */
  stops: Record<string, number>;
  /** The last position this session read per symbol (what it acts on when a read is refused). */
  positions: Record<string, PositionView>;
  /** Wall ms until which the venue asked this session to wait (Retry-After of a 429/418). */
  blockedUntilMs: number;
  /** patient-checker: its 429/418s in a row (a served read resets it), for its back-off. */
  refusedInARow: number;
}

/** A session's state before its first iteration. */
export function newSessionState(): SessionState {
  return {
    traderResting: undefined,
    makerQuote: undefined,
    stops: {},
    positions: {},
    blockedUntilMs: 0,
    refusedInARow: 0,
  };
}

export interface Session {
  readonly symbols: readonly DrillSymbol[];
  /** The mid price setup() read for a symbol. */
  mid(symbol: string): number;
  /**
   * This VU's seeded random stream: a plain function, handed to the behaviours' draws as it is
   * (a wrapper per draw cost k6's interpreter about 0.7 us, 2026-12-06).
   */
  readonly rand: Random;
  readonly state: SessionState;
  /**
   * Sends one of the behaviour table's requests (loadtests/lib/behaviours.ts REQUEST) with
   * `params`: signed when the request is (a POST's as its form body, else as the query string),
   * keyed and unsigned otherwise (market data), tagged with its class and endpoint.
   */
  send(request: BehaviourRequest, params: string): RefinedResponse<ResponseType>;
  /**
   * Counts a refusal by reason (stampede_rejects) and notes its Retry-After in
   * `state.blockedUntilMs`; true when the response was served.
   */
  served(res: RefinedResponse<ResponseType>, request: BehaviourRequest): boolean;
}
