import type { ReadReplica } from "../capacity/readReplica.ts";
import type { ExchangeConfig } from "../defaults.ts";
import type { MatchingEngine } from "../engine/matchingEngine.ts";
import type { ListenKeys } from "../listenKeys.ts";
import type { MarketData } from "../marketData.ts";
import type { Timeline } from "../timeline.ts";
import type { VenueFunding } from "./funding.ts";
import type { SymbolLookup } from "./parseOrder.ts";

/**
 * The matching engine as venue/ names it: the one place here that names the engine's class, so
 * a rename of that class touches one line of this folder.
 */
export type Engine = MatchingEngine;

/**
 * The parts of a venue a route's executor reads and changes. The Venue itself is handed over
 * (no object per request): the executors live in their own files, the state stays in one place.
 */
export interface VenueRooms extends SymbolLookup {
  readonly config: ExchangeConfig;
  readonly now: () => number;
  readonly engine: Engine;
  readonly replica: ReadReplica;
  readonly timeline: Timeline;
  readonly listenKeys: ListenKeys;
  readonly marketData: MarketData;
  readonly funding: VenueFunding;
  /** A configured symbol's place in config order (the index of its per-symbol state). */
  symbolIndexOf(symbol: string): number;
  /** exchangeInfo after its serverTime, built once (exchangeInfo.ts). */
  exchangeInfoTail(): string;
}
