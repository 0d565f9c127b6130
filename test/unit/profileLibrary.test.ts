import { describe, expect, it } from "vitest";
import { classMultiple, naturalDurationS, planDrill, validateProfile } from "../../loadtests/lib/plan.ts";
import { PROFILES } from "../../loadtests/profiles/index.ts";
import type { Profile } from "../../loadtests/profiles/types.ts";
import { TRAFFIC_CLASSES, type TrafficClass } from "../../loadtests/vocabulary/traffic.ts";

/** The highest multiple of normal load each class reaches. */
function peakMultiples(profile: Profile): Record<TrafficClass, number> {
  const peaks = {} as Record<TrafficClass, number>;
  for (const cls of TRAFFIC_CLASSES) {
    peaks[cls] = Math.max(
      ...profile.phases.map((p) => {
        const m = classMultiple(p, cls);
        return Math.max(m.from, m.to);
      }),
    );
  }
  return peaks;
}

/** Wall seconds of a natural-time span at the profile's default time scale. */
const wallS = (profile: Profile, naturalS: number) => naturalS / profile.defaultTimeScale;

/** Natural seconds from the start until the first moment `cls` reaches `multiple`. */
function reachedAtS(profile: Profile, cls: TrafficClass, multiple: number): number {
  let t = 0;
  for (const p of profile.phases) {
    const m = classMultiple(p, cls);
    if (m.from >= multiple) return t;
    if (m.to >= multiple) return t + (p.durationS * (multiple - m.from)) / (m.to - m.from);
    t += p.durationS;
  }
  return Number.POSITIVE_INFINITY;
}

/** Natural seconds a class spends at (or above) a multiple. */
function secondsAtLeast(profile: Profile, cls: TrafficClass, multiple: number): number {
  return profile.phases
    .filter((p) => {
      const m = classMultiple(p, cls);
      return m.from >= multiple && m.to >= multiple;
    })
    .reduce((s, p) => s + p.durationS, 0);
}

const LIBRARY = ["flash-crash-100x", "airdrop-herd", "spam-flood", "soak"] as const;
/** What one machine's k6 drives (docs/facts.md "Performance anchors"; smoke's 100x). */
const MAX_TOTAL_RATE_PER_S = 2_000;

describe("the profile library: new incident profiles", () => {
  for (const name of LIBRARY) {
    it(`${name}: valid, registered, a drill of at most 5 wall minutes and <= ${MAX_TOTAL_RATE_PER_S} req/s`, () => {
      const profile = PROFILES[name] as Profile;
      expect(profile, name).toBeDefined();
      expect(profile.name).toBe(name);
      expect(validateProfile(profile)).toEqual([]);
      expect(profile.description.length).toBeGreaterThan(20);
      const plan = planDrill(profile, { timeScale: profile.defaultTimeScale, requestBudgetS: 1 });
      expect(plan.durationS).toBeCloseTo(wallS(profile, naturalDurationS(profile)), 6);
      expect(plan.durationS).toBeLessThanOrEqual(300);
      // At least a minute of wall time, so the shape is more than a blip in the report.
      expect(plan.durationS).toBeGreaterThanOrEqual(60);
      // Sum of per-class peaks bounds the peak total rate at rate scale 1.
      const peakTotal = TRAFFIC_CLASSES.reduce((s, c) => s + plan.classes[c].peakRatePerS, 0);
      expect(peakTotal).toBeLessThanOrEqual(MAX_TOTAL_RATE_PER_S);
    });
  }

  it("flash-crash-100x: every class from normal to 100x within a natural minute, a plateau, a decay", () => {
    const p = PROFILES["flash-crash-100x"] as Profile;
    expect(peakMultiples(p)).toEqual({ order: 100, position: 100, depth: 100 });
    expect(p.phases[0]?.from).toBe(1);
    for (const cls of TRAFFIC_CLASSES) {
      const start = reachedAtS(p, cls, 1.0001);
      expect(reachedAtS(p, cls, 100) - start).toBeLessThanOrEqual(60 + 1e-6);
      expect(secondsAtLeast(p, cls, 100)).toBeGreaterThanOrEqual(600);
    }
    const decay = p.phases.find((ph) => ph.from === 100 && ph.to < 100);
    expect(decay?.to).toBe(1);
    expect(p.phases[p.phases.length - 1]?.to).toBe(1);
  });

  it("airdrop-herd: position reads 250x for a few minutes, the other classes stay normal", () => {
    const p = PROFILES["airdrop-herd"] as Profile;
    expect(peakMultiples(p)).toEqual({ order: 1, position: 250, depth: 1 });
    const plateau = secondsAtLeast(p, "position", 250);
    expect(plateau).toBeGreaterThanOrEqual(120);
    expect(plateau).toBeLessThanOrEqual(600);
    expect(reachedAtS(p, "position", 250) - reachedAtS(p, "position", 1.0001)).toBeLessThanOrEqual(60 + 1e-6);
  });

  it("spam-flood: orders 50x for hours while reads stay normal", () => {
    const p = PROFILES["spam-flood"] as Profile;
    expect(peakMultiples(p)).toEqual({ order: 50, position: 1, depth: 1 });
    expect(secondsAtLeast(p, "order", 50)).toBeGreaterThanOrEqual(2 * 3_600);
  });

  it("soak: an hour at 3x", () => {
    const p = PROFILES.soak as Profile;
    expect(peakMultiples(p)).toEqual({ order: 3, position: 3, depth: 3 });
    for (const cls of TRAFFIC_CLASSES) expect(secondsAtLeast(p, cls, 3)).toBe(3_600);
  });
});
