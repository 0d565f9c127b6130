/**
 * In-process engine benchmark with an exchange-core-like mix: 82% modify (move), 9% GTC,
 * 3% IOC, 6% cancel, on one symbol holding about `resting` orders of 100 accounts, seeded.
 * Throughput is measured on an untimed pass; per-operation latency on a second pass that
 * reads the clock around every operation (that pass is slower by the clock's cost). The engine
 * runs with the venue's order retention (defaults.ts, time scale 1), so forgetting final orders
 * is part of what is measured.
 */
import { seededRandom } from "../../loadtests/vocabulary/random.ts";
import { EXCHANGE_DEFAULTS } from "../defaults.ts";
import { isEngineError, MatchingEngine } from "./matchingEngine.ts";
import type { Side, SymbolSpec } from "./types.ts";

const SPEC: SymbolSpec = {
  symbol: "BENCHUSDT",
  tickSize: "0.1",
  stepSize: "0.001",
  referencePriceTicks: 100_000,
};

export interface EngineBenchResult {
  ops: number;
  opsPerS: number;
  p50Us: number;
  p99Us: number;
  p999Us: number;
  resting: number;
  fills: number;
}

interface Driver {
  step(): void;
  resting(): number;
  fills: number;
}

function driver(seed: number, targetResting: number): Driver {
  const random = seededRandom(seed);
  let t = 0;
  const retention = EXCHANGE_DEFAULTS.orderRetention;
  const ex = new MatchingEngine({
    symbols: [SPEC],
    now: () => ++t,
    orderRetention: {
      unfilledMs: retention.unfilledNaturalMs,
      filledMs: retention.filledNaturalMs,
      maxFinalOrders: retention.maxFinalOrders,
    },
  });
  const ref = SPEC.referencePriceTicks;
  /** Open order ids and their accounts, swap-removed when found finished. */
  const ids: number[] = [];
  const owners: number[] = [];
  const sides: Side[] = [];
  const d: Driver = { step, resting: () => ids.length, fills: 0 };
  const passivePrice = (side: Side) =>
    side === "BUY" ? ref - 1 - Math.floor(random() * 50) : ref + 1 + Math.floor(random() * 50);

  function add(tif: "GTC" | "IOC"): void {
    const side: Side = random() < 0.5 ? "BUY" : "SELL";
    const accountId = 1 + Math.floor(random() * 100);
    // IOC takes at the touch and a bit beyond; GTC mostly rests passively.
    // Above the target size a GTC is placed aggressively (it trades, its remainder rests), so
    // the book holds about `targetResting` orders.
    const aggressive = tif === "IOC" || ids.length > targetResting;
    const priceTicks = aggressive ? (side === "BUY" ? ref + 3 : ref - 3) : passivePrice(side);
    const res = ex.placeOrder({
      accountId,
      symbol: SPEC.symbol,
      side,
      type: "LIMIT",
      timeInForce: tif,
      lots: 1 + Math.floor(random() * 10),
      priceTicks,
      clientOrderId: "",
    });
    if (isEngineError(res)) return;
    d.fills += res.fills.length;
    if (res.order.status === "NEW" || res.order.status === "PARTIALLY_FILLED") {
      ids.push(res.order.orderId);
      owners.push(accountId);
      sides.push(side);
    }
  }

  /** A random open order's index, dropping finished ones on the way. */
  function pickOpen(): number {
    while (ids.length > 0) {
      const i = Math.floor(random() * ids.length);
      const o = ex.getOrder(owners[i] as number, SPEC.symbol, { orderId: ids[i] as number });
      if (!isEngineError(o) && (o.status === "NEW" || o.status === "PARTIALLY_FILLED")) return i;
      swapRemove(i);
    }
    return -1;
  }

  function swapRemove(i: number): void {
    const last = ids.length - 1;
    ids[i] = ids[last] as number;
    owners[i] = owners[last] as number;
    sides[i] = sides[last] as Side;
    ids.pop();
    owners.pop();
    sides.pop();
  }

  function step(): void {
    const r = random();
    if (r < 0.82) {
      const i = pickOpen();
      if (i < 0) {
        add("GTC");
        return;
      }
      const res = ex.modifyOrder(
        owners[i] as number,
        SPEC.symbol,
        { orderId: ids[i] as number },
        {
          priceTicks: passivePrice(sides[i] as Side),
          lots: 1 + Math.floor(random() * 10),
        },
      );
      if (!isEngineError(res)) d.fills += res.fills.length;
    } else if (r < 0.91) {
      add("GTC");
    } else if (r < 0.94) {
      add("IOC");
    } else {
      const i = pickOpen();
      if (i < 0) return;
      ex.cancelOrder(owners[i] as number, SPEC.symbol, { orderId: ids[i] as number });
      swapRemove(i);
    }
  }
  for (let i = 0; i < targetResting; i++) add("GTC");
  return d;
}

export function runEngineBench(ops = 2_000_000, seed = 1, resting = 1000): EngineBenchResult {
  // Warm-up and throughput pass.
  const warm = driver(seed, resting);
  for (let i = 0; i < 200_000; i++) warm.step();
  const a = driver(seed + 1, resting);
  const began = process.hrtime.bigint();
  for (let i = 0; i < ops; i++) a.step();
  const s = Number(process.hrtime.bigint() - began) / 1e9;
  // Latency pass.
  const b = driver(seed + 2, resting);
  const n = Math.min(ops, 1_000_000);
  const lat = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    b.step();
    lat[i] = Number(process.hrtime.bigint() - t0) / 1000;
  }
  lat.sort();
  const q = (p: number) => lat[Math.min(n - 1, Math.floor(p * n))] as number;
  return {
    ops,
    opsPerS: Math.round(ops / s),
    p50Us: q(0.5),
    p99Us: q(0.99),
    p999Us: q(0.999),
    resting: a.resting(),
    fills: a.fills,
  };
}
