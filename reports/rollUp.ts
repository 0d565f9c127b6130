import type { WallPhase } from "../loadtests/vocabulary/runFolder.ts";
import { TRAFFIC_CLASSES, type TrafficClass } from "./model.ts";
import { type OutcomeTally, rollUpOutcomes } from "./outcomes.ts";
import { addCounts, type Ingested, type SecondTally, type Tally } from "./secondTally.ts";
import { latencyHistogram } from "./sparse.ts";

/**
 * Builds an `Ingested` from per-second data: overall, per-class and per-phase tallies are
 * merged with `add` (never averaged). A second belongs to the phase that holds its middle
 * (t + 0.5), so phase figures have one-second resolution whatever the source.
 */
export function rollUp(
  t0Us: number | null,
  seconds: Map<number, SecondTally>,
  phases: readonly WallPhase[],
  rowsByMetric: Map<string, number> = new Map(),
): Ingested {
  const result: Ingested = {
    t0Us,
    overall: newTally(),
    byClass: {},
    byEndpoint: new Map(),
    byPhase: phases.map(() => newTally()),
    seconds,
    staleReads: 0,
    staleChecked: 0,
    staleAgeMs: latencyHistogram(),
    droppedIterations: 0,
    rowsByMetric,
  };
  const ts = [...seconds.keys()].sort((a, b) => a - b);
  for (const t of ts) {
    const sec = seconds.get(t) as SecondTally;
    const phase = phases.length > 0 ? phaseIndex(phases, t + 0.5) : -1;
    const phaseTally = phase >= 0 ? (result.byPhase[phase] as Tally) : undefined;
    if (sec.latencyUs.totalCount > 0) {
      sec.latencyUs.addInto(result.overall.latencyUs);
      if (phaseTally !== undefined) sec.latencyUs.addInto(phaseTally.latencyUs);
    }
    addCounts(result.overall.rejected, sec.rejected);
    if (phaseTally !== undefined) addCounts(phaseTally.rejected, sec.rejected);
    for (const cls of TRAFFIC_CLASSES) {
      const h = sec.byClass[cls];
      if (h !== undefined) h.addInto(classTally(result, cls).latencyUs);
      const counts = sec.rejectedByClass[cls];
      if (counts !== undefined) addCounts(classTally(result, cls).rejected, counts);
    }
    for (const [name, h] of sec.byEndpoint) h.addInto(endpointTally(result, name).latencyUs);
    for (const [name, counts] of sec.rejectedByEndpoint)
      addCounts(endpointTally(result, name).rejected, counts);
    result.staleReads += sec.staleReads;
    result.staleChecked += sec.staleChecked;
    if (sec.staleAgeMs !== null) sec.staleAgeMs.addInto(result.staleAgeMs);
    result.droppedIterations += sec.droppedIterations;
    rollUpOutcomes(
      sec.byOutcome,
      result.overall.byOutcome as OutcomeTally,
      phaseTally?.byOutcome,
      (cls) => classTally(result, cls).byOutcome as OutcomeTally,
    );
  }
  return result;
}

function newTally(): Tally {
  return { latencyUs: latencyHistogram(), rejected: {}, byOutcome: {} };
}

function classTally(result: Ingested, cls: TrafficClass): Tally {
  let t = result.byClass[cls];
  if (t === undefined) {
    t = newTally();
    result.byClass[cls] = t;
  }
  return t;
}

function endpointTally(result: Ingested, name: string): Tally {
  let t = result.byEndpoint.get(name);
  if (t === undefined) {
    t = newTally();
    result.byEndpoint.set(name, t);
  }
  return t;
}

/** Index of the phase containing t; samples after the last phase (graceful stop) go to the last. */
export function phaseIndex(phases: readonly WallPhase[], t: number): number {
  for (let i = 0; i < phases.length; i++) if (t < (phases[i] as WallPhase).endS) return i;
  return phases.length - 1;
}
