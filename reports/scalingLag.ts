import type { CapacityEvent, TierName } from "../loadtests/vocabulary/capacity.ts";
import type { TimelinePoint } from "../loadtests/vocabulary/runFolder.ts";

/**
 * How late each scale-out was, in the profile's natural time: from the moment the tier's demand
 * first crossed the strategy's target (before the decision) to the launched capacity being
 * ready. Charts in wall seconds hide it (at time scale 60 a 3.5-minute boot is a 3.5 s gap);
 * this is the figure a capacity plan needs.
 *
 * Read from timeline.jsonl only: the scale-out event (decision time, its detail names the
 * target: "demand 6.10 > target 0.6 ..."), the tier's instances-ready event after it, and the
 * tier's per-second utilisation (busy fraction; at or above the target it is the demand the
 * policy reacts to, and once saturated it reads 1, above any target).
 */

export interface ScaleOutLag {
  tier: TierName;
  /** Target utilisation the decision names; null when its detail does not say (e.g. scheduled). */
  target: number | null;
  /** Natural seconds: start of the run of timeline seconds at or above the target that led to the decision; null without a target. */
  demandCrossedAtNaturalS: number | null;
  decidedAtNaturalS: number;
  /** Natural seconds the launched instances were ready; null when the run ended first. */
  readyAtNaturalS: number | null;
  /** (ready − crossed) / 60, 0.1 min precision; null when either end is unknown. */
  lagMinutes: number | null;
}

type Line = Partial<Pick<TimelinePoint, "tNaturalS" | "tiers" | "events">>;
type Timed = Line & { tNaturalS: number };

const TARGET_RE = /\btarget\s+(\d+(?:\.\d+)?)/;

function isNum(v: unknown): v is number {
  return typeof v === "number" && Number.isFinite(v);
}

function targetOf(e: CapacityEvent): number | null {
  const m = typeof e.detail === "string" ? TARGET_RE.exec(e.detail) : null;
  const v = m ? Number(m[1]) : Number.NaN;
  return Number.isFinite(v) && v > 0 ? v : null;
}

/**
 * Start of the contiguous stretch of seconds, ending at the decision, in which the tier's
 * utilisation was at or above the target. A line covers (previous line's tNaturalS, its own];
 * lines that start at or after the decision do not count.
 */
function crossingBefore(
  lines: readonly Timed[],
  tier: TierName,
  decidedAtS: number,
  target: number,
): number | null {
  let crossed: number | null = null;
  let prevEnd = 0;
  for (const line of lines) {
    if (!isNum(line.tNaturalS)) continue;
    const start = prevEnd;
    prevEnd = line.tNaturalS;
    if (start >= decidedAtS) break;
    const u = line.tiers?.[tier]?.utilisation;
    if (isNum(u) && u >= target) crossed ??= start;
    else crossed = null;
  }
  return crossed;
}

const round1 = (v: number) => Math.round(v * 10) / 10;

/** Every scale-out of the timeline, in order, with its lag. */
export function scaleOutLags(timeline: readonly Line[]): ScaleOutLag[] {
  const lines = timeline
    .filter((l): l is Timed => isNum(l.tNaturalS))
    .sort((a, b) => a.tNaturalS - b.tNaturalS);
  const events = lines.flatMap((l) => (Array.isArray(l.events) ? l.events : []));
  const out: ScaleOutLag[] = [];
  events.forEach((e, i) => {
    if (e.kind !== "scale-out" || e.tier === undefined || !isNum(e.atS)) return;
    const tier = e.tier;
    const target = targetOf(e);
    const crossed = target === null ? null : crossingBefore(lines, tier, e.atS, target);
    const ready = events
      .slice(i + 1)
      .find((r) => r.kind === "instances-ready" && r.tier === tier && r.atS >= e.atS);
    const readyAt = ready && isNum(ready.atS) ? ready.atS : null;
    out.push({
      tier,
      target,
      demandCrossedAtNaturalS: crossed,
      decidedAtNaturalS: e.atS,
      readyAtNaturalS: readyAt,
      lagMinutes: crossed !== null && readyAt !== null ? round1((readyAt - crossed) / 60) : null,
    });
  });
  return out;
}
