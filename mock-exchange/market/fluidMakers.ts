import type { FluidBook } from "./fluidBook.ts";
import type { MakerTally } from "./maker.ts";
import type { MakerConfig } from "./marketConfig.ts";

/**
 * The makers of one book in the fluid cascade (market/fluidCascade.ts), as a continuum instead
 * of market/maker.ts's agents: in a tick of `tickMs` a share tickMs / requoteMs of them sends a
 * quote update; the admitted share of those (the gateway's non-priority orders) places a fresh
 * ladder around the reference, and the admitted share of their cancels (priority) takes the old
 * quotes away. A maker is pulled when a refusal comes with `pullAfterRefusals - 1` others
 * already in its `refusalWindowMs`: refusals arrive at the step's refused share, and the count a
 * maker holds is Poisson with the mean of its refusals over the trailing window (so a burst of
 * refusals pulls the makers only once it has lasted long enough, as per request). Pulled makers'
 * quotes are cancelled as far as the pull's cancel is admitted; they stay out `pullForMs`. Inventory is the
 * makers' average: they stop bidding (offering) together once it reaches `maxInventory`.
 */

/** A maker ladder's geometry on one book, ticks and base units. */
export interface FluidMakerSpec {
  count: number;
  tickSize: number;
  /** Distance of maker i's first level is (i + 1) x spacingTicks; its next ones spacingTicks x count further. */
  spacingTicks: number;
  levelQty: number;
  maxInventoryQty: number;
  anchorToIndex: number;
}

/** The gateway's admitted shares in a step: non-priority orders (quote updates) and priority ones (cancels, reduce-only closes). */
export interface AdmittedShares {
  orders: number;
  priority: number;
}

export class FluidMakers {
  /** Pulled makers (a share of the book's makers) and when they come back, wall ms. */
  private readonly pulls: Array<{ untilMs: number; share: number }> = [];
  /** Each tick's refusals per maker over the trailing refusal window, oldest first. */
  private readonly refusals: Array<{ atMs: number; perMaker: number }> = [];
  /** Recent references (wall ms, price), for the volatility rule. */
  private readonly references: Array<{ atMs: number; price: number }> = [];

  constructor(
    private readonly spec: FluidMakerSpec,
    private readonly policy: MakerConfig,
    private readonly tally: MakerTally,
  ) {}

  /** The makers' quotes at reset, outside admission. */
  seed(book: FluidBook, nowMs: number, index: number | undefined): void {
    this.place(book, this.reference(book, nowMs, index), 1, 1);
  }

  /** Share of the makers not pulled. */
  activeShare(nowMs: number): number {
    while (this.pulls.length > 0 && (this.pulls[0] as { untilMs: number }).untilMs <= nowMs)
      this.pulls.shift();
    return Math.max(0, 1 - this.pulls.reduce((s, p) => s + p.share, 0));
  }

  /** Makers with quotes on the book (whole makers). */
  quoting(book: FluidBook, nowMs: number): number {
    return book.makersResting() ? Math.round(this.spec.count * this.activeShare(nowMs)) : 0;
  }

  /** One tick of quote updates and pulls. */
  act(
    book: FluidBook,
    nowMs: number,
    tickMs: number,
    shares: AdmittedShares,
    index: number | undefined,
  ): void {
    const p = this.policy;
    const active = this.activeShare(nowMs);
    if (active <= 0) return;
    const updating = Math.min(1, tickMs / p.requoteMs) * active;
    const n = this.spec.count;
    // Each update is a batch (non-priority) and, once the batch is admitted, a cancel (priority).
    const requests = n * updating * (1 + shares.orders);
    const refused = n * updating * (1 - shares.orders + shares.orders * (1 - shares.priority));
    this.tally.requests += requests;
    this.tally.refused += refused;
    const reference = this.reference(book, nowMs, index);
    const widen = this.volatile(nowMs, reference) ? p.widenFactor : 1;
    const placed = updating * shares.orders;
    // The admitted cancels take their share of the old quotes, then the fresh ladder rests (in
    // maker.ts the new quotes go first, so the book never goes blank: the same within a tick).
    book.cancelMakers(placed * shares.priority);
    this.place(book, reference, widen, placed);
    this.pull(book, nowMs, active, refused / Math.max(1e-12, n * active), shares.priority);
  }

  /** Pulls: this tick's refusals, each with pullAfterRefusals - 1 others already in the window (Poisson), pull for pullForMs. */
  private pull(
    book: FluidBook,
    nowMs: number,
    active: number,
    refusedPerMaker: number,
    priorityShare: number,
  ): void {
    const p = this.policy;
    const window = this.refusals;
    while (window.length > 0 && (window[0] as { atMs: number }).atMs <= nowMs - p.refusalWindowMs)
      window.shift();
    const held = window.reduce((sum, r) => sum + r.perMaker, 0);
    if (refusedPerMaker > 0) window.push({ atMs: nowMs, perMaker: refusedPerMaker });
    const hazard = Math.min(1, refusedPerMaker * poissonAtLeast(held, p.pullAfterRefusals - 1));
    const share = active * hazard;
    if (share <= 0) return;
    this.pulls.push({ untilMs: nowMs + p.pullForMs, share });
    this.tally.requests += this.spec.count * share;
    this.tally.refused += this.spec.count * share * (1 - priorityShare);
    // Their quotes go as far as the pull's cancel (priority) is admitted, out of the active makers'.
    book.cancelMakers((share / active) * priorityShare);
  }

  /** The book's last price moved `anchorToIndex` of the way to the index, whole ticks. */
  private reference(book: FluidBook, nowMs: number, index: number | undefined): number {
    const ts = this.spec.tickSize;
    const last = book.lastPrice / ts;
    const ref = index === undefined ? last : Math.round(last + this.spec.anchorToIndex * (index / ts - last));
    const price = Math.max(1, Math.round(ref)) * ts;
    const refs = this.references;
    refs.push({ atMs: nowMs, price });
    while (refs.length > 1 && (refs[0] as { atMs: number }).atMs < nowMs - this.policy.volatilityWindowMs)
      refs.shift();
    return price;
  }

  private volatile(nowMs: number, reference: number): boolean {
    return this.references.some(
      (r) =>
        r.atMs >= nowMs - this.policy.volatilityWindowMs &&
        (Math.abs(reference - r.price) / r.price) * 100 > this.policy.volatilityPct,
    );
  }

  /** Every maker's ladder around `reference`, `share` of each level's quantity. */
  private place(book: FluidBook, reference: number, widen: number, share: number): void {
    if (!(share > 0)) return;
    const s = this.spec;
    const ts = s.tickSize;
    const perMaker = book.makerInventoryQty / s.count;
    const refTicks = Math.round(reference / ts);
    // Bids first, inner levels first: the book's side towards which prices fall fills in first.
    for (const side of ["BUY", "SELL"] as const) {
      if (side === "BUY" ? perMaker >= s.maxInventoryQty : perMaker <= -s.maxInventoryQty) continue;
      for (let i = 0; i < s.count; i++)
        for (let level = 0; level < this.policy.levels; level++) {
          const offset = Math.round(((i + 1) * s.spacingTicks + level * s.spacingTicks * s.count) * widen);
          const priceTicks = side === "BUY" ? refTicks - offset : refTicks + offset;
          if (priceTicks >= 1) book.add(side, priceTicks * ts, s.levelQty * share, "maker");
        }
    }
  }
}

/** P(N >= k) for N ~ Poisson(mean). */
export function poissonAtLeast(mean: number, k: number): number {
  if (k <= 0) return 1;
  let term = Math.exp(-mean);
  let below = term;
  for (let i = 1; i < k; i++) {
    term *= mean / i;
    below += term;
  }
  return Math.max(0, 1 - below);
}
