import type { SymbolSpec } from "../../engine/types.ts";
import type { Venue } from "../../venue.ts";
import { formatUnits } from "../params.ts";
import { type Conn, push } from "./connection.ts";
import type { StreamRef } from "./names.ts";

/**
 * The depth streams: `<symbol>@depth[@100ms|@250ms|@500ms]` diff updates (`U`, `u`, `pu` from the
 * book's update ids) of the top 1000 levels, the most REST depth gives: a level that leaves them
 * is sent with quantity 0, as a client holding a 1000-level snapshot needs it.
 * `<symbol>@depth<5|10|20>[@..]`: the top levels, same fields. Pushed when the book changed, once
 * per interval slot, from the streams' shared timer; one feed per stream name, shared by its
 * subscribers.
 */

/** Levels a diff depth feed tracks: the deepest REST snapshot (GET /fapi/v1/depth limit=1000). */
const DIFF_DEPTH_LEVELS = 1000;

/** One market depth stream's state, shared by its subscribers. */
interface DepthFeed {
  symbol: string;
  spec: SymbolSpec;
  levels: number | undefined;
  intervalMs: number;
  lastSlot: number;
  /** `u` of the last push (or of the book when the feed started). */
  lastU: number;
  /** Diff feeds: the levels last sent (price ticks -> lots). */
  bids: Map<number, number>;
  asks: Map<number, number>;
}

export class DepthFeeds {
  /** Stream name -> its feed, while it has subscribers. */
  private readonly feeds = new Map<string, DepthFeed>();

  /** The feed of a depth stream that has just got its first subscriber. */
  open(name: string, ref: Extract<StreamRef, { kind: "depth" }>, v: Venue, t: number): void {
    if (this.feeds.has(name)) return;
    const feed: DepthFeed = {
      symbol: ref.symbol,
      spec: v.spec(ref.symbol),
      levels: ref.levels,
      intervalMs: ref.intervalMs,
      lastSlot: 0,
      lastU: 0,
      bids: new Map(),
      asks: new Map(),
    };
    start(feed, v, t);
    this.feeds.set(name, feed);
  }

  /** A stream left with no subscriber (any name: not every stream has a feed). */
  close(name: string): void {
    this.feeds.delete(name);
  }

  /** Every feed starts again from the book of a new venue (a reset). */
  restart(v: Venue, t: number): void {
    for (const feed of this.feeds.values()) start(feed, v, t);
  }

  /** Pushes each feed whose slot came and whose book changed to its subscribers (`market`). */
  push(v: Venue, t: number, market: ReadonlyMap<string, Set<Conn>>): void {
    for (const [name, feed] of this.feeds) {
      const slot = Math.floor(t / feed.intervalMs);
      if (slot === feed.lastSlot) continue;
      feed.lastSlot = slot;
      const payload = depthUpdate(feed, v, t);
      if (payload !== undefined) push(market.get(name), name, payload);
    }
  }
}

function start(feed: DepthFeed, v: Venue, t: number): void {
  const book = v.engine.depth(feed.symbol, feed.levels ?? DIFF_DEPTH_LEVELS);
  feed.lastU = book.lastUpdateId;
  feed.lastSlot = Math.floor(t / feed.intervalMs);
  feed.bids.clear();
  feed.asks.clear();
  if (feed.levels !== undefined) return;
  for (const [p, q] of book.bids) feed.bids.set(p, q);
  for (const [p, q] of book.asks) feed.asks.set(p, q);
}

/** The depthUpdate of a feed whose slot came, or undefined when its book did not change. */
function depthUpdate(feed: DepthFeed, v: Venue, t: number): string | undefined {
  const book = v.engine.depth(feed.symbol, feed.levels ?? DIFF_DEPTH_LEVELS);
  if (book.lastUpdateId === feed.lastU) return undefined;
  const level = (p: number, q: number) =>
    `["${formatUnits(p, feed.spec.tickSize)}","${formatUnits(q, feed.spec.stepSize)}"]`;
  let b: string[];
  let a: string[];
  if (feed.levels !== undefined) {
    b = book.bids.map(([p, q]) => level(p, q));
    a = book.asks.map(([p, q]) => level(p, q));
  } else {
    b = diffSide(feed.bids, book.bids, level);
    a = diffSide(feed.asks, book.asks, level);
  }
  const pu = feed.lastU;
  feed.lastU = book.lastUpdateId;
  return `{"e":"depthUpdate","E":${t},"T":${t},"s":"${feed.symbol}","U":${pu + 1},"u":${book.lastUpdateId},"pu":${pu},"b":[${b.join(",")}],"a":[${a.join(",")}]}`;
}

/** Changed levels of one side since `sent` (which is updated): new quantities, and 0 for levels gone. */
function diffSide(
  sent: Map<number, number>,
  levels: ReadonlyArray<[number, number]>,
  level: (p: number, q: number) => string,
): string[] {
  const out: string[] = [];
  const seen = new Set<number>();
  for (const [p, q] of levels) {
    seen.add(p);
    if (sent.get(p) !== q) {
      sent.set(p, q);
      out.push(level(p, q));
    }
  }
  for (const p of sent.keys()) {
    if (seen.has(p)) continue;
    sent.delete(p);
    out.push(level(p, 0));
  }
  return out;
}
