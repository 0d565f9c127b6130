/**
 * Stream names as Binance spells them, parsed into what a connection subscribes to. Whether a
 * listenKey names a live user data stream is the venue's to say (listenKeys.ts), not the name's.
 */

const DEPTH_SPEEDS_MS: Record<string, number> = { "100ms": 100, "250ms": 250, "500ms": 500 };

/** A market stream name, parsed; `listenKey` for a user data stream; undefined when unknown. */
export type StreamRef =
  | { kind: "forceOrder"; symbol: string | undefined }
  | { kind: "depth"; symbol: string; levels: number | undefined; intervalMs: number }
  | { kind: "listenKey" };

/**
 * Parses a stream name as Binance spells it: lowercase symbol, `@forceOrder`, `@depth`,
 * `@depth<5|10|20>`, an optional `@100ms|@250ms|@500ms` speed; `!forceOrder@arr`; anything
 * without `@` that looks like a key is a listenKey (checked against the venue separately).
 */
export function parseStreamName(
  name: string,
  hasSymbol: (symbol: string) => boolean,
  defaultDepthMs: number,
): StreamRef | undefined {
  if (name === "!forceOrder@arr") return { kind: "forceOrder", symbol: undefined };
  if (/^[A-Za-z0-9]{16,128}$/.test(name)) return { kind: "listenKey" };
  const m = /^([a-z0-9]+)@(forceOrder|depth(5|10|20)?(?:@(100ms|250ms|500ms))?)$/.exec(name);
  if (m === null) return undefined;
  const symbol = (m[1] as string).toUpperCase();
  if (!hasSymbol(symbol)) return undefined;
  if (m[2] === "forceOrder") return { kind: "forceOrder", symbol };
  const levels = m[3] === undefined ? undefined : Number(m[3]);
  const intervalMs = m[4] === undefined ? defaultDepthMs : (DEPTH_SPEEDS_MS[m[4]] as number);
  return { kind: "depth", symbol, levels, intervalMs };
}
