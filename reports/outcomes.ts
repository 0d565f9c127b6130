import type * as hdr from "hdr-histogram-js";
import {
  REJECT_REASONS,
  type RejectReason,
  TRAFFIC_CLASSES,
  type TrafficClass,
} from "../loadtests/vocabulary/traffic.ts";
import { latencyHistogram, SparseHistogram } from "./sparse.ts";

/**
 * Outcomes: what became of a request, kept apart because their latencies mean different things.
 * A refusal is answered at once, so mixing refused and served requests makes the p50 fall while
 * the venue is at its worst. Four outcomes:
 *
 * - `served`: 2xx.
 * - `policy`: refused by policy, 429 (rate limited) and 418 (banned): the venue is fine, the
 *   client asked too much.
 * - `capacity`: refused for lack of capacity: 503 (-1008 overloaded, -1007 and other timeouts),
 *   408, 502 (no backend), and status 0 (k6's own timeout or no connection at all).
 * - `other`: the rest (the engine's 400s, other 5xx): neither served nor a capacity signal.
 *
 * Per second, a request's latency is recorded once more under `<class>/<outcome>` (class
 * `unclassified` for a request without a class tag), the key latency.hlog writes as the tag.
 */

export const OUTCOMES = ["served", "policy", "capacity", "other"] as const;
export type Outcome = (typeof OUTCOMES)[number];

/** Class part of the key for requests without a known class tag (the hlog's own word). */
export const UNCLASSIFIED = "unclassified";

/** Prefix of the hlog tags of the all-classes outcome intervals: `outcome=served`, ... */
export const OUTCOME_TAG_PREFIX = "outcome=";

/** The outcome of a response by HTTP status (0: no response at all). */
export function outcomeOfStatus(status: number): Outcome {
  if (status >= 200 && status < 300) return "served";
  if (status === 429 || status === 418) return "policy";
  if (status === 503 || status === 408 || status === 502 || status === 0) return "capacity";
  return "other";
}

/** The outcome of a classified response (the simulators speak in reasons, not statuses). */
export function outcomeOfReason(reason: RejectReason | undefined): Outcome {
  switch (reason) {
    case undefined:
      return "served";
    case "rate_limited":
    case "banned":
      return "policy";
    case "overloaded":
    case "timeout":
      return "capacity";
    default:
      return "other";
  }
}

/** Index in OUTCOMES of a status; -1 when it is not a number (the k6 csv ingest's compact form). */
export function outcomeIndexOfStatus(status: number): number {
  return Number.isFinite(status) ? OUTCOMES.indexOf(outcomeOfStatus(status)) : -1;
}

/** Index in OUTCOMES of a status column's text; -1 when it is empty or not a number. */
export function outcomeIndexOfStatusText(text: string | undefined): number {
  if (text === undefined || text === "") return -1;
  return outcomeIndexOfStatus(Number(text));
}

/** Every `<class>/<outcome>` key made once: the csv ingest asks for one per request. */
const KEYS = new Map<string, Map<Outcome, string>>(
  [...TRAFFIC_CLASSES, UNCLASSIFIED].map((c) => [c, new Map(OUTCOMES.map((o) => [o, `${c}/${o}`]))]),
);

/** `<class>/<outcome>`: the per-second key and the hlog tag of a class's outcome interval. */
export function classOutcomeKey(cls: TrafficClass | undefined, outcome: Outcome): string {
  return KEYS.get(cls ?? UNCLASSIFIED)?.get(outcome) ?? `${cls ?? UNCLASSIFIED}/${outcome}`;
}

/** The class (undefined: unclassified) and outcome of a `<class>/<outcome>` key; undefined for other text. */
export function parseClassOutcomeKey(
  key: string,
): { cls: TrafficClass | undefined; outcome: Outcome } | undefined {
  const slash = key.indexOf("/");
  if (slash < 0) return undefined;
  const clsText = key.slice(0, slash);
  const outcome = key.slice(slash + 1) as Outcome;
  if (!OUTCOMES.includes(outcome)) return undefined;
  if (clsText === UNCLASSIFIED) return { cls: undefined, outcome };
  if (!(TRAFFIC_CLASSES as readonly string[]).includes(clsText)) return undefined;
  return { cls: clsText as TrafficClass, outcome };
}

/** Per-second outcome histograms, by `<class>/<outcome>` key. */
export type OutcomeSeconds = Map<string, SparseHistogram>;

/** Records `count` requests of latency `us` (µs) with an outcome into a second's outcome histograms. */
export function recordOutcome(
  byOutcome: OutcomeSeconds,
  cls: TrafficClass | undefined,
  outcome: Outcome,
  us: number,
  count = 1,
): void {
  const key = classOutcomeKey(cls, outcome);
  let h = byOutcome.get(key);
  if (h === undefined) {
    h = new SparseHistogram();
    byOutcome.set(key, h);
  }
  h.recordValueWithCount(Math.max(1, Math.round(us)), count);
}

/** A second's histograms per outcome over every class (what `Tag=outcome=<o>` holds). */
export function outcomeTotals(byOutcome: OutcomeSeconds): Partial<Record<Outcome, SparseHistogram>> {
  const out: Partial<Record<Outcome, SparseHistogram>> = {};
  for (const [key, h] of byOutcome) {
    const parsed = parseClassOutcomeKey(key);
    if (parsed === undefined) continue;
    let into = out[parsed.outcome];
    if (into === undefined) {
      into = new SparseHistogram();
      out[parsed.outcome] = into;
    }
    into.add(h);
  }
  return out;
}

/** Rolled-up histograms per outcome (HDR ones, merged with `add`). */
export type OutcomeTally = Partial<Record<Outcome, hdr.Histogram>>;

function addTo(tally: OutcomeTally, outcome: Outcome, h: SparseHistogram): void {
  let into = tally[outcome];
  if (into === undefined) {
    into = latencyHistogram();
    tally[outcome] = into;
  }
  h.addInto(into);
}

/**
 * Adds a second's outcome histograms into the run's overall tally, its phase's (if any) and,
 * through `classTally`, its classes'.
 */
export function rollUpOutcomes(
  byOutcome: OutcomeSeconds,
  overall: OutcomeTally,
  phase: OutcomeTally | undefined,
  classTally: (cls: TrafficClass) => OutcomeTally,
): void {
  for (const [key, h] of byOutcome) {
    const parsed = parseClassOutcomeKey(key);
    if (parsed === undefined || h.totalCount === 0) continue;
    addTo(overall, parsed.outcome, h);
    if (phase !== undefined) addTo(phase, parsed.outcome, h);
    if (parsed.cls !== undefined) addTo(classTally(parsed.cls), parsed.outcome, h);
  }
}

/**
 * What a latency.hlog interval with this tag is, for the reader: `derived` for the all-classes
 * `outcome=<o>` intervals (sums of the class ones, not read back), `class` for a `<class>/<o>`
 * interval (stored in the second's outcome histograms), undefined for any other tag.
 */
export function readOutcomeInterval(
  byOutcome: OutcomeSeconds,
  tag: string,
  sparse: SparseHistogram,
): "derived" | "class" | undefined {
  if (tag.startsWith(OUTCOME_TAG_PREFIX)) return "derived";
  if (parseClassOutcomeKey(tag) === undefined) return undefined;
  const into = byOutcome.get(tag);
  if (into === undefined) byOutcome.set(tag, sparse);
  else into.add(sparse);
  return "class";
}

/** Reasons refused by policy and by capacity, as `outcomeOfReason` sorts them. */
export const POLICY_REASONS: readonly RejectReason[] = REJECT_REASONS.filter(
  (r) => outcomeOfReason(r) === "policy",
);
export const CAPACITY_REASONS: readonly RejectReason[] = REJECT_REASONS.filter(
  (r) => outcomeOfReason(r) === "capacity",
);
