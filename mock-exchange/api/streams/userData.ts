import type { Venue } from "../../venue.ts";
import { type Conn, guarded, push } from "./connection.ts";
import { accountUpdateJson, marginCallJson, marginRatio, orderTradeUpdateJson } from "./userEvents.ts";

/**
 * The user data streams, one per listenKey: ORDER_TRADE_UPDATE for every order event,
 * ACCOUNT_UPDATE for every position change, MARGIN_CALL when the margin ratio rises to
 * `marginCallRatio`, listenKeyExpired when the key lapses (the connection stays open and gets
 * nothing more, as Binance documents). Order and position events go out as the engine reports
 * them (synchronously, like the real stream's "real-time"), only for accounts with a connected
 * stream; margin calls and lapses are found on the streams' shared timer.
 */
export class UserDataStreams {
  /** Accounts whose margin call was pushed and whose ratio has not fallen back below the threshold. */
  private readonly marginCalled = new Set<number>();
  /** The venue whose engine reports order and position events to us (listeners cannot be removed). */
  private listening: Venue | undefined;

  /** `users`: listenKey -> subscribers, kept by the caller's subscriptions. */
  constructor(
    private readonly users: ReadonlyMap<string, Set<Conn>>,
    private readonly now: () => number,
  ) {}

  /** A new venue (a reset): no margin call of the old one stands. */
  venueChanged(): void {
    this.marginCalled.clear();
  }

  /** Has the venue's engine report its order and position events here (once per venue). */
  listenTo(v: Venue): void {
    if (this.listening === v) return;
    this.listening = v;
    const users = this.users;
    // These run inside the engine, mid-operation: a failure here must not unwind through it.
    v.engine.onOrderUpdate((type, order, fill) => {
      if (users.size === 0) return;
      const t = this.now();
      const key = v.listenKeys.keyOf(order.accountId, t);
      const set = key === undefined ? undefined : users.get(key);
      if (set === undefined) return;
      guarded(() => push(set, key as string, orderTradeUpdateJson(v, type, order, fill, t)));
    });
    v.engine.onPositionChange((accountId, position) => {
      if (users.size === 0) return;
      const t = this.now();
      const key = v.listenKeys.keyOf(accountId, t);
      const set = key === undefined ? undefined : users.get(key);
      if (set === undefined) return;
      guarded(() => push(set, key as string, accountUpdateJson(v, accountId, position, t)));
    });
  }

  /**
   * Margin calls of the accounts with a live key; the end of every stream whose key is no
   * longer active (`unsubscribe` takes the connection off it).
   */
  tick(v: Venue, t: number, unsubscribe: (conn: Conn, key: string) => void): void {
    for (const [key, set] of this.users) {
      const status = v.listenKeys.status(key, t);
      if (status === "active") {
        this.marginCall(v, v.listenKeys.accountOf(key, t) as number, key, set, t);
        continue;
      }
      // Lapsed: say so once, then nothing more on this key. Closed or unknown (DELETE, a reset):
      // the stream ends, and a connection left with no stream is closed.
      if (status === "expired") push(set, key, `{"e":"listenKeyExpired","E":${t},"listenKey":"${key}"}`);
      for (const conn of [...set]) {
        unsubscribe(conn, key);
        if (status === "unknown" && conn.subs.size === 0) conn.ws.close(1000, "listenKey closed");
      }
    }
  }

  /** MARGIN_CALL once when the account's ratio reaches the threshold, again only after it fell back. */
  private marginCall(v: Venue, accountId: number, key: string, set: Set<Conn>, t: number): void {
    const summary = v.engine.account(accountId);
    const ratio = marginRatio(summary);
    if (ratio < v.config.streams.marginCallRatio) {
      this.marginCalled.delete(accountId);
      return;
    }
    if (this.marginCalled.has(accountId)) return;
    this.marginCalled.add(accountId);
    push(set, key, marginCallJson(v, accountId, summary, t));
  }
}
