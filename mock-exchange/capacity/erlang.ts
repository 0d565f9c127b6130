/**
 * M/M/c formulas (docs/facts.md "Queueing"): the oracle the capacity model is checked against,
 * and the wait model of the fluid queue. Pure functions; rates per second, times in ms.
 *
 * c servers, offered load a = λ/μ (Erlangs), utilisation ρ = a/c. Erlang B comes from the
 * recursion B0 = 1, Bk = a·B(k-1) / (k + a·B(k-1)), which only ever divides numbers of similar size,
 * so it stays accurate for c in the tens of thousands (O(c) time). Results for ρ >= 1 (no steady
 * state with an unbounded queue): every arrival waits (C = 1) and waits grow without bound (Infinity).
 */

/** Erlang B: blocking probability of M/M/c/c (c servers, no queue), offered load a Erlangs. Any a >= 0. */
export function erlangB(c: number, a: number): number {
  checkServers(c);
  if (!(a >= 0)) throw new RangeError(`offered load must be >= 0, got ${a}`);
  let b = 1;
  for (let k = 1; k <= c; k++) b = (a * b) / (k + a * b);
  return b;
}

/** Erlang C: probability that an arrival waits in M/M/c, offered load a Erlangs; 1 when a >= c. */
export function erlangC(c: number, a: number): number {
  const b = erlangB(c, a);
  if (a >= c) return 1;
  return (c * b) / (c - a * (1 - b));
}

/** Mean wait in the queue Wq = C / (cμ - λ), ms. */
export function mmcMeanWaitMs(c: number, lambdaPerS: number, muPerS: number): number {
  const drain = c * muPerS - lambdaPerS;
  if (drain <= 0) return Number.POSITIVE_INFINITY;
  return (erlangC(c, lambdaPerS / muPerS) / drain) * 1000;
}

/** Wait percentile t_p = ln(C / (1 - p)) / (cμ - λ) when C > 1 - p, else 0; ms. p in [0, 1). */
export function mmcWaitPercentileMs(c: number, lambdaPerS: number, muPerS: number, p: number): number {
  if (!(p >= 0 && p < 1)) throw new RangeError(`percentile must be in [0, 1), got ${p}`);
  const drain = c * muPerS - lambdaPerS;
  if (drain <= 0) return Number.POSITIVE_INFINITY;
  const waiting = erlangC(c, lambdaPerS / muPerS);
  if (waiting <= 1 - p) return 0;
  return (Math.log(waiting / (1 - p)) / drain) * 1000;
}

/** P(Wq > t) = C·e^(-(cμ - λ)t); 1 for t < 0. */
export function mmcWaitExceedProb(c: number, lambdaPerS: number, muPerS: number, tMs: number): number {
  if (tMs < 0) return 1;
  const drain = c * muPerS - lambdaPerS;
  if (drain <= 0) return 1;
  return erlangC(c, lambdaPerS / muPerS) * Math.exp((-drain * tMs) / 1000);
}

function checkServers(c: number): void {
  if (!Number.isInteger(c) || c < 1) throw new RangeError(`servers must be a whole number >= 1, got ${c}`);
}
