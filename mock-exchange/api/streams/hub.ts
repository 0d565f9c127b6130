import type { Venue } from "../../venue.ts";
import type { Conn } from "./connection.ts";
import { DepthFeeds } from "./depthFeeds.ts";
import { parseStreamName, type StreamRef } from "./names.ts";
import { UserDataStreams } from "./userData.ts";

/**
 * Who is subscribed to what: the open connections, each stream's subscribers, and the feeds a
 * subscription starts (a depth feed per depth stream, the engine's events for user streams).
 * The venue is read through a getter: after /__stampede/reset the feeds follow the new venue,
 * and user streams of the old one end (their keys are unknown to the new one).
 */
export class StreamHub {
  /** Open connections. */
  readonly conns = new Set<Conn>();
  /** Market stream name -> subscribers. */
  readonly market = new Map<string, Set<Conn>>();
  /** listenKey -> subscribers. */
  readonly users = new Map<string, Set<Conn>>();
  readonly depth = new DepthFeeds();
  readonly userData: UserDataStreams;
  /** The venue the feeds were last started from. */
  private venue: Venue | undefined;

  constructor(
    private readonly getVenue: () => Venue,
    readonly now: () => number,
  ) {
    this.userData = new UserDataStreams(this.users, now);
    this.current();
  }

  /** The venue now; a new one (a reset) restarts the feeds from its state first. */
  current(): Venue {
    const v = this.getVenue();
    if (v === this.venue) return v;
    this.venue = v;
    this.userData.venueChanged();
    this.depth.restart(v, this.now());
    return v;
  }

  parse(name: string, v: Venue): StreamRef | undefined {
    return parseStreamName(name, (s) => v.engine.hasSymbol(s), v.config.streams.depthIntervalMs);
  }

  /** Subscribes `conn` to a stream `parse` accepted (checking it is the caller's). */
  subscribe(conn: Conn, name: string, v: Venue): void {
    if (conn.subs.has(name)) return;
    const ref = this.parse(name, v) as StreamRef;
    conn.subs.add(name);
    const map = ref.kind === "listenKey" ? this.users : this.market;
    let set = map.get(name);
    if (set === undefined) {
      set = new Set();
      map.set(name, set);
    }
    set.add(conn);
    if (ref.kind === "listenKey") this.userData.listenTo(v);
    if (ref.kind === "depth") this.depth.open(name, ref, v, this.now());
  }

  unsubscribe(conn: Conn, name: string): void {
    if (!conn.subs.delete(name)) return;
    for (const map of [this.market, this.users]) {
      const set = map.get(name);
      if (set === undefined) continue;
      set.delete(conn);
      if (set.size === 0) {
        map.delete(name);
        this.depth.close(name);
      }
    }
  }

  /** A connection that closed: off every stream, out of the open ones. */
  drop(conn: Conn): void {
    for (const name of [...conn.subs]) this.unsubscribe(conn, name);
    this.conns.delete(conn);
  }
}
