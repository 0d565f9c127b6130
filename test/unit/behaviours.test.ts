import { describe, expect, it } from "vitest";
import {
  BEHAVIOUR_CLASS,
  BEHAVIOUR_NAMES,
  BEHAVIOURS,
  backoffFactor,
  behaviourProblems,
  blockedUntilMs,
  classMeanRequestsPerIteration,
  classMix,
  classRequestsPerIteration,
  clientBehaviour,
  clientCounts,
  clientShares,
  closeOrder,
  closerOrder,
  DEFAULT_BEHAVIOUR,
  limitPrice,
  lotsOf,
  MEAN_REQUESTS_PER_ITERATION,
  makerQuote,
  PATIENT,
  positionView,
  qtyOf,
  REQUEST,
  REQUESTS_PER_ITERATION,
  retryAfterMs,
  STOP_LOSS,
  stopLoss,
  TRADER,
  traderAction,
} from "../../loadtests/lib/behaviours.ts";
import { planDrill, scaleRates, VU_HEADROOM, validateProfile } from "../../loadtests/lib/plan.ts";
import { PROFILES } from "../../loadtests/profiles/index.ts";
import { smoke } from "../../loadtests/profiles/smoke.ts";
import type { Profile } from "../../loadtests/profiles/types.ts";
import { seededRandom } from "../../loadtests/vocabulary/random.ts";
import { Params } from "../../mock-exchange/api/params.ts";
import { findRoute, type Route, routeWeight } from "../../mock-exchange/api/routes.ts";

/** A random source that returns the given values in order and fails when asked for more. */
function scripted(values: number[]): () => number {
  let i = 0;
  return () => {
    if (i >= values.length) throw new Error(`asked for draw ${i + 1}, only ${values.length} scripted`);
    return values[i++] as number;
  };
}

const NO_DRAWS = () => {
  throw new Error("no draw expected");
};

describe("behaviour mixes", () => {
  it("a class without a mix gives every client its default behaviour", () => {
    for (const cls of ["order", "position", "depth"] as const) {
      const m = classMix(undefined, cls);
      expect(m.names).toEqual([DEFAULT_BEHAVIOUR[cls]]);
      for (const [i, n] of [
        [0, 25],
        [24, 25],
        [7, 1],
        [0, 0],
      ])
        expect(clientBehaviour(m, i as number, n as number)).toBe(DEFAULT_BEHAVIOUR[cls]);
      expect(clientCounts(m, 25)).toEqual([25]);
    }
    // A mix for another class leaves this one on its default.
    expect(classMix({ position: { "patient-checker": 1 } }, "order").names).toEqual(["trader"]);
    // Every default belongs to its class.
    for (const [cls, name] of Object.entries(DEFAULT_BEHAVIOUR)) expect(BEHAVIOUR_CLASS[name]).toBe(cls);
  });

  it("normalises weights; client i of N gets the behaviour whose interval holds (i + 0.5) / N", () => {
    const mix = { order: { taker: 1, "market-maker": 3, trader: 0 } };
    const m = classMix(mix, "order");
    // Zero weights drop out; order follows BEHAVIOUR_NAMES.
    expect(m.names).toEqual(["market-maker", "taker"]);
    expect(m.cumulative).toEqual([0.75, 1]);
    // 4 clients: 0.125, 0.375, 0.625 fall in [0, 0.75), 0.875 in [0.75, 1).
    expect([0, 1, 2, 3].map((i) => clientBehaviour(m, i, 4))).toEqual([
      "market-maker",
      "market-maker",
      "market-maker",
      "taker",
    ]);
    // The first behaviour takes the lowest-numbered clients, in every class.
    expect(clientBehaviour(m, 0, 100)).toBe("market-maker");
    expect(clientBehaviour(m, 74, 100)).toBe("market-maker");
    expect(clientBehaviour(m, 75, 100)).toBe("taker");
    expect(clientBehaviour(m, 99, 100)).toBe("taker");
  });

  it("splits N clients into exact shares: each behaviour within one client of weight x N, all clients placed", () => {
    const mixes: Array<Parameters<typeof classMix>[0]> = [
      { position: { "patient-checker": 0.75, "panicked-checker": 0.25 } },
      { order: { trader: 0.4, "stop-loss-submitter": 0.3, "reduce-only-closer": 0.15, taker: 0.15 } },
      { order: { taker: 0.5, "market-maker": 0.3, trader: 0.2 } },
      { order: { taker: 1, trader: 1, "market-maker": 1 } },
    ];
    for (const mix of mixes) {
      const cls = Object.keys(mix ?? {})[0] as "order" | "position";
      const m = classMix(mix, cls);
      for (const n of [1, 2, 3, 7, 25, 64, 100, 250, 1_000]) {
        const counts = clientCounts(m, n);
        expect(
          counts.reduce((a, b) => a + b, 0),
          `${n}`,
        ).toBe(n);
        m.names.forEach((_, k) => {
          const share = (m.cumulative[k] as number) - (k === 0 ? 0 : (m.cumulative[k - 1] as number));
          expect(Math.abs((counts[k] as number) - share * n), `${m.names[k]} of ${n}`).toBeLessThanOrEqual(1);
        });
        // Shares are the counts over N; a behaviour's clients are contiguous.
        expect(clientShares(m, n)).toEqual(m.names.map((name, k) => [name, (counts[k] as number) / n]));
        const order = Array.from({ length: n }, (_, i) => m.names.indexOf(clientBehaviour(m, i, n)));
        expect(order).toEqual([...order].sort((a, b) => a - b));
      }
    }
    // Exact where weight x N is whole: smoke's 100 clients are 25 panicked and 75 patient.
    const smokeMix = classMix(smoke.behaviours, "position");
    expect(smokeMix.names).toEqual(["panicked-checker", "patient-checker"]);
    expect(clientCounts(smokeMix, 100)).toEqual([25, 75]);
    // 25 clients of 0.25/0.75: 6.25 rounds to 6.
    expect(clientCounts(smokeMix, 25)).toEqual([6, 19]);
    expect(
      clientCounts(classMix({ order: { taker: 1, trader: 1, "market-maker": 1 } }, "order"), 10),
    ).toEqual([3, 4, 3]);
  });

  it("is deterministic and draws nothing: the same client keeps its behaviour", () => {
    const m = classMix({ order: { taker: 0.5, "market-maker": 0.3, trader: 0.2 } }, "order");
    const first = Array.from({ length: 64 }, (_, i) => clientBehaviour(m, i, 64));
    for (let round = 0; round < 3; round++)
      expect(Array.from({ length: 64 }, (_, i) => clientBehaviour(m, i, 64))).toEqual(first);
    // A class with one behaviour never consults the index.
    expect(clientBehaviour(classMix({ depth: { "book-watcher": 2 } }, "depth"), 12, 5)).toBe("book-watcher");
  });

  it("sizes a class by its slowest behaviour (requests sent one after another)", () => {
    expect(classRequestsPerIteration(undefined, "order")).toBe(2);
    expect(classRequestsPerIteration(undefined, "position")).toBe(1);
    expect(classRequestsPerIteration({ order: { trader: 1, "stop-loss-submitter": 0.1 } }, "order")).toBe(3);
  });

  it("validates: known classes and names, the class a behaviour belongs to, weights >= 0 summing above 0", () => {
    expect(behaviourProblems(undefined)).toEqual([]);
    expect(behaviourProblems({ order: { trader: 2, taker: 1 }, position: { "patient-checker": 1 } })).toEqual(
      [],
    );
    const problems = (mix: unknown) => behaviourProblems(mix).join("\n");
    expect(problems([])).toMatch(/behaviours must be an object/);
    expect(problems({ account: { trader: 1 } })).toMatch(/behaviours: unknown class "account"; known: order/);
    expect(problems({ order: 3 })).toMatch(/behaviours\.order must be an object.*known: trader/);
    expect(problems({ order: { sniper: 1 } })).toMatch(
      /behaviours\.order: unknown behaviour "sniper"; known for order: trader, market-maker, taker/,
    );
    expect(problems({ order: { "patient-checker": 1 } })).toMatch(
      /behaviours\.order: "patient-checker" is a position behaviour/,
    );
    expect(problems({ order: { trader: -1, taker: 1 } })).toMatch(
      /behaviours\.order\["trader"\] must be a number >= 0/,
    );
    expect(problems({ order: { trader: Number.NaN, taker: 1 } })).toMatch(/\["trader"\] must be a number/);
    expect(problems({ order: { trader: "1" } })).toMatch(/\["trader"\] must be a number/);
    expect(problems({ depth: { "book-watcher": 0 } })).toMatch(
      /behaviours\.depth: weights must sum to more than 0/,
    );
    expect(problems({ depth: {} })).toMatch(/weights must sum to more than 0/);
  });

  it("validateProfile reports bad behaviours and watchers, and every library profile is valid", () => {
    const bad = {
      ...smoke,
      behaviours: { order: { sniper: 1 } },
      watchers: { liquidationStream: { normalPerS: -1, holdS: 0 }, depthStream: {} },
    } as unknown as Profile;
    const problems = validateProfile(bad).join("\n");
    expect(problems).toMatch(/unknown behaviour "sniper"/);
    expect(problems).toMatch(/watchers\.liquidationStream\.normalPerS must be a number >= 0/);
    expect(problems).toMatch(/watchers\.liquidationStream\.holdS must be a number > 0/);
    expect(problems).toMatch(/watchers: unknown watcher "depthStream"/);
    for (const [name, p] of Object.entries(PROFILES)) expect(validateProfile(p), name).toEqual([]);
    // smoke's position readers are patient and panicked clients; its orders and depth reads
    // stay on the defaults (the trader's draws are the drill's historical ones).
    expect(smoke.behaviours).toEqual({ position: { "patient-checker": 0.75, "panicked-checker": 0.25 } });
    expect(smoke.watchers).toBeUndefined();
  });

  it("every behaviour name belongs to exactly one class", () => {
    expect(new Set(BEHAVIOUR_NAMES).size).toBe(BEHAVIOUR_NAMES.length);
    for (const n of BEHAVIOUR_NAMES) expect(["order", "position", "depth"]).toContain(BEHAVIOUR_CLASS[n]);
  });
});

describe("decisions", () => {
  it("trader: draws in the drill's historical order and maps them to an action", () => {
    // No resting order: no cancel draw. symbol 0.6 -> index 1; side 0.3 -> BUY; size 0.45 -> 5 lots; 0.2 -> MARKET.
    expect(traderAction(scripted([0.6, 0.3, 0.45, 0.2]), 2, false)).toEqual({
      kind: "new",
      symbolIndex: 1,
      side: "BUY",
      lots: 5,
      market: true,
      offsetTicks: 0,
    });
    // Resting order, cancel draw below 0.3: cancel and nothing else drawn.
    expect(traderAction(scripted([0.29]), 2, true)).toEqual({ kind: "cancel" });
    // Resting, no cancel (0.3); LIMIT (0.5); 0.1 < crossP: through the touch by 5 ticks.
    expect(traderAction(scripted([0.3, 0, 0.9, 0.999, 0.5, 0.1]), 2, true)).toEqual({
      kind: "new",
      symbolIndex: 0,
      side: "SELL",
      lots: 10,
      market: false,
      offsetTicks: -TRADER.crossTicks,
    });
    // Passive: 1 + floor(0.5 * 20) = 11 ticks inside.
    const passive = traderAction(scripted([0, 0, 0, 0.9, 0.2, 0.5]), 2, false);
    expect(passive).toMatchObject({ market: false, offsetTicks: 11, side: "BUY", lots: 1 });
  });

  it("prices and quantities: ticks from mid on the passive side, whole lots of 0.001", () => {
    expect(limitPrice(60_000, 0.1, "BUY", 3)).toBeCloseTo(59_999.7, 9);
    expect(limitPrice(60_000, 0.1, "SELL", 3)).toBeCloseTo(60_000.3, 9);
    expect(limitPrice(60_000, 0.1, "BUY", -5)).toBeCloseTo(60_000.5, 9);
    expect(qtyOf(1)).toBe("0.001");
    expect(qtyOf(10)).toBe("0.010");
    expect(lotsOf(-0.0029999999)).toBe(3);
  });

  it("market-maker: quotes 1-3 ticks from mid, post-only mostly", () => {
    const random = seededRandom(3);
    let gtx = 0;
    for (let i = 0; i < 5_000; i++) {
      const q = makerQuote(random, 2);
      expect(q.offsetTicks).toBeGreaterThanOrEqual(1);
      expect(q.offsetTicks).toBeLessThanOrEqual(3);
      expect(q.lots).toBeGreaterThanOrEqual(1);
      expect(q.lots).toBeLessThanOrEqual(10);
      if (q.timeInForce === "GTX") gtx++;
    }
    expect(Math.abs(gtx / 5_000 - 0.8)).toBeLessThan(0.03);
  });

  it("positionView reads a positionRisk row for the symbol", () => {
    const rows = [
      { symbol: "ETHUSDT", positionAmt: "0.000", entryPrice: "0.0", markPrice: "3000.00", updateTime: 1 },
      {
        symbol: "BTCUSDT",
        positionAmt: "-0.004",
        entryPrice: "60010.5",
        markPrice: "60000.0",
        updateTime: 42,
      },
    ];
    expect(positionView(rows, "BTCUSDT")).toEqual({
      amount: -0.004,
      entryPrice: 60_010.5,
      markPrice: 60_000,
      updateTime: 42,
    });
    expect(positionView(rows, "SOLUSDT")).toBeUndefined();
    expect(positionView({ code: -1003 }, "BTCUSDT")).toBeUndefined();
    expect(positionView([{ symbol: "BTCUSDT", positionAmt: "x" }], "BTCUSDT")).toBeUndefined();
  });

  it("stop-loss: lossFraction beyond entry on the closing side, never on the wrong side of the mark", () => {
    const f = STOP_LOSS.lossFraction;
    const tick = 0.1;
    // Long 5 lots at 60,000, mark 60,000 (600,000 ticks): SELL stop at 58,800.
    const long = { amount: 0.005, entryPrice: 60_000, markPrice: 60_000, updateTime: 0 };
    expect(stopLoss(long, 600_000, tick, NO_DRAWS)).toEqual({
      side: "SELL",
      stopTicks: Math.floor(600_000 * (1 - f)),
      lots: 5,
    });
    // The mark already fell below that: one tick under the mark (a stop above it would trigger at once).
    expect(stopLoss(long, 580_000, tick, NO_DRAWS)).toEqual({ side: "SELL", stopTicks: 579_999, lots: 5 });
    // Short 2 lots at 60,000: BUY stop at 61,200, or one tick over a mark already above it.
    const short = { amount: -0.002, entryPrice: 60_000, markPrice: 60_000, updateTime: 0 };
    expect(stopLoss(short, 600_000, tick, NO_DRAWS)).toEqual({
      side: "BUY",
      stopTicks: Math.ceil(600_000 * (1 + f)),
      lots: 2,
    });
    expect(stopLoss(short, 615_000, tick, NO_DRAWS)).toEqual({ side: "BUY", stopTicks: 615_001, lots: 2 });
    // Flat or unknown: a closePosition stop (lots 0) on a random side of the mark.
    expect(stopLoss(undefined, 600_000, tick, scripted([0.2]))).toEqual({
      side: "SELL",
      stopTicks: 588_000,
      lots: 0,
    });
    const flat = { ...long, amount: 0 };
    expect(stopLoss(flat, 600_000, tick, scripted([0.7]))).toEqual({
      side: "BUY",
      stopTicks: 612_000,
      lots: 0,
    });
  });

  it("reduce-only close: the opposite side for the whole position, nothing when flat", () => {
    const view = (amount: number) => ({ amount, entryPrice: 1, markPrice: 1, updateTime: 0 });
    expect(closeOrder(view(0.007))).toEqual({ side: "SELL", lots: 7 });
    expect(closeOrder(view(-0.003))).toEqual({ side: "BUY", lots: 3 });
    expect(closeOrder(view(0))).toBeUndefined();
    expect(closeOrder(undefined)).toBeUndefined();
  });

  it("reduce-only closer: closes what it holds (no draw), re-enters at market when flat or unknown", () => {
    const view = (amount: number) => ({ amount, entryPrice: 1, markPrice: 1, updateTime: 0 });
    expect(closerOrder(view(0.007), NO_DRAWS)).toEqual({ side: "SELL", lots: 7, reduceOnly: true });
    expect(closerOrder(view(-0.002), NO_DRAWS)).toEqual({ side: "BUY", lots: 2, reduceOnly: true });
    // Flat: side 0.3 -> BUY, size 0.45 -> 5 lots; not reduce-only.
    expect(closerOrder(view(0), scripted([0.3, 0.45]))).toEqual({ side: "BUY", lots: 5, reduceOnly: false });
    expect(closerOrder(undefined, scripted([0.7, 0.999]))).toEqual({
      side: "SELL",
      lots: 10,
      reduceOnly: false,
    });
  });
});

describe("Retry-After", () => {
  const now = Date.UTC(2025, 9, 10, 21, 0, 0);

  it("reads delay-seconds and HTTP-dates, and nothing else", () => {
    expect(retryAfterMs("3", now)).toBe(3_000);
    expect(retryAfterMs(" 1 ", now)).toBe(1_000);
    expect(retryAfterMs("0", now)).toBe(0);
    expect(retryAfterMs(new Date(now + 5_000).toUTCString(), now)).toBe(5_000);
    // A date in the past asks for no wait.
    expect(retryAfterMs(new Date(now - 5_000).toUTCString(), now)).toBe(0);
    expect(retryAfterMs(undefined, now)).toBeUndefined();
    expect(retryAfterMs("-1", now)).toBeUndefined();
    expect(retryAfterMs("1.5", now)).toBeUndefined();
    expect(retryAfterMs("soon", now)).toBeUndefined();
  });

  it("a patient session's back-off doubles Retry-After per refusal in a row before, up to 8x", () => {
    expect([0, 1, 2, 3, 4, 10].map(backoffFactor)).toEqual([1, 2, 4, 8, 8, 8]);
    expect(backoffFactor(-1)).toBe(1);
    expect(2 ** PATIENT.maxDoublings).toBe(8);
    expect(blockedUntilMs(0, 429, "1", now, 0)).toBe(now + 1_000);
    expect(blockedUntilMs(0, 429, "1", now, 2)).toBe(now + 4_000);
    expect(blockedUntilMs(0, 418, "2", now, 5)).toBe(now + 16_000);
    // Never shorter than a block already there; nothing for statuses without Retry-After semantics.
    expect(blockedUntilMs(now + 9_000, 429, "1", now, 1)).toBe(now + 9_000);
    expect(blockedUntilMs(3, 503, "1", now, 3)).toBe(3);
  });

  it("a 429 or 418 blocks the session until now + Retry-After, never shortening an earlier block", () => {
    expect(blockedUntilMs(0, 429, "2", now)).toBe(now + 2_000);
    expect(blockedUntilMs(0, 418, "120", now)).toBe(now + 120_000);
    // A later, shorter wait does not shorten a ban.
    expect(blockedUntilMs(now + 120_000, 429, "1", now + 1_000)).toBe(now + 120_000);
    // Other statuses and a 429 without the header leave it.
    expect(blockedUntilMs(now + 500, 200, "9", now)).toBe(now + 500);
    expect(blockedUntilMs(now + 500, 503, "9", now)).toBe(now + 500);
    expect(blockedUntilMs(7, 429, undefined, now)).toBe(7);
  });
});

describe("the plan: VUs per behaviour and the liquidation watchers' scenario", () => {
  const budget = 0.42;

  it("without watchers (smoke) the plan has no WebSocket scenario; VUs cover each class's requests in a row", () => {
    const plan = planDrill(smoke, { timeScale: 60, requestBudgetS: budget });
    expect(plan.watchers).toBeUndefined();
    // smoke's peaks (100x): orders 600/s, positions 1,000/s, depth 400/s; a budget per request an
    // iteration sends on average (a trader 1.497: its order, and a read-back after 60% of its new
    // orders; a read: 1) x 1.1 headroom (Little's law).
    expect(VU_HEADROOM).toBe(1.1);
    expect(plan.classes.order.preAllocatedVUs).toBe(Math.ceil(600 * budget * 1.497142857142857 * 1.1));
    expect(plan.classes.order.preAllocatedVUs).toBe(416);
    expect(plan.classes.position.preAllocatedVUs).toBe(Math.ceil(1_000 * budget * 1.1));
    expect(plan.classes.depth.preAllocatedVUs).toBe(Math.ceil(400 * budget * 1.1));
  });

  it("watchers follow the phases' multiple (not a class's), hold holdS natural seconds compressed", () => {
    const profile: Profile = {
      ...smoke,
      phases: [
        { name: "a", durationS: 600, from: 1, to: 1, byClass: { position: { from: 1, to: 1_000 } } },
        { name: "b", durationS: 600, from: 1, to: 50 },
      ],
      watchers: { liquidationStream: { normalPerS: 0.2, holdS: 300 } },
    };
    const plan = planDrill(profile, { timeScale: 60, requestBudgetS: budget });
    const w = plan.watchers?.liquidationStream;
    expect(w).toBeDefined();
    expect(w?.holdWallS).toBe(5);
    expect(w?.startRatePerMin).toBe(12);
    expect(w?.stages).toEqual([
      { target: 12, duration: "10000ms" },
      { target: 600, duration: "10000ms" },
    ]);
    expect(w?.peakRatePerS).toBe(10);
    // Each connection holds a VU for the hold plus one request's budget.
    expect(w?.preAllocatedVUs).toBe(Math.ceil(10 * (5 + budget) * 1.1));
    // --rate-scale scales the watchers with the classes; a rate of 0 means no scenario.
    expect(
      planDrill(scaleRates(profile, 0.5), { timeScale: 60, requestBudgetS: budget }).watchers
        ?.liquidationStream.peakRatePerS,
    ).toBe(5);
    const none: Profile = { ...profile, watchers: { liquidationStream: { normalPerS: 0, holdS: 300 } } };
    expect(planDrill(none, { timeScale: 60, requestBudgetS: budget }).watchers).toBeUndefined();
  });

  it("a class's VUs follow its mix: half traders (1.497 requests) and half closers (3) average 2.249 budgets a VU", () => {
    const mixed: Profile = { ...smoke, behaviours: { order: { trader: 1, "reduce-only-closer": 1 } } };
    expect(classMeanRequestsPerIteration(mixed.behaviours, "order", mixed.clients)).toBeCloseTo(
      (1.497142857142857 + 3) / 2,
      12,
    );
    const plan = planDrill(mixed, { timeScale: 60, requestBudgetS: budget });
    expect(plan.classes.order.preAllocatedVUs).toBe(
      Math.ceil(600 * budget * ((1.497142857142857 + 3) / 2) * 1.1),
    );
    expect(plan.classes.position.preAllocatedVUs).toBe(Math.ceil(1_000 * budget * 1.1));
  });
});

describe("the behaviour table", () => {
  it("names each request by the venue's route: method, path, class, keys, and the weight of its parameters", () => {
    const weights: Record<string, number> = {};
    for (const [name, r] of Object.entries(REQUEST)) {
      const route = findRoute(r.method, r.path) as Route;
      expect(typeof route, name).toBe("object");
      expect([route.name, route.trafficClass, r.endpoint]).toEqual([r.route, r.cls, `${r.method} ${r.path}`]);
      // Unsigned market data needs no key; everything signed is a keyed route.
      if (r.signed) expect(route.keyed, name).toBe(true);
      else expect(route.keyed, name).toBe(false);
      weights[name] = routeWeight(route, new Params(r.weightQuery));
    }
    expect(weights).toEqual({ newOrder: 0, cancelOrder: 1, positionRisk: 5, depth: 2 });
  });

  it("runs every behaviour in its class's scenario, with at most a whole request per step", () => {
    for (const name of BEHAVIOUR_NAMES) {
      const b = BEHAVIOURS[name];
      expect(BEHAVIOUR_CLASS[name]).toBe(b.cls);
      for (const step of b.steps) {
        const total = step.options.reduce((sum, o) => sum + o.p, 0);
        expect(total, name).toBeLessThanOrEqual(1 + 1e-12);
        expect(step.onlyIfServed && step.onlyIfLimited, name).toBe(false);
      }
    }
  });

  it("derives the requests an iteration sends on average: each step's chances, less retries, plus a read-back per fill", () => {
    // trader: an order or a cancel (1), plus a read-back after the 60% of new orders that fill,
    // new orders being the 1 - 0.3 x 0.4 / 0.7 of iterations that do not cancel.
    expect(MEAN_REQUESTS_PER_ITERATION.trader).toBeCloseTo(1 + (1 - (0.3 * 0.4) / 0.7) * 0.6, 12);
    // Every other behaviour always sends its most (asserted literally in the next test).
    expect({ ...MEAN_REQUESTS_PER_ITERATION, trader: 2 }).toEqual(REQUESTS_PER_ITERATION);
  });

  it("derives the requests per iteration the planner sizes VUs by: steps, less retries, plus a read-back after a fill", () => {
    expect(REQUESTS_PER_ITERATION).toEqual({
      trader: 2,
      "market-maker": 2,
      taker: 2,
      "stop-loss-submitter": 3,
      "reduce-only-closer": 3,
      "panicked-checker": 1,
      "patient-checker": 1,
      "book-watcher": 1,
    });
  });
});
