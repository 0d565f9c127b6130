/**
 * The named provisioning strategies (docs/architecture.md "Vocabulary": strategy) as presets of the
 * policies in `types.ts`. Every number below comes from docs/facts.md "Scaling lag" (AWS EC2
 * Auto Scaling / CloudWatch and Kubernetes HPA docs) unless it says it is a parameter.
 *
 * A strategy name is `<base>[+priority-shedding]`: one base (how instances are provisioned)
 * and optionally priority shedding on top. `priority-shedding` alone means fixed + shedding.
 * Both tiers use the same policy kind, each sized from its own baseline.
 */
import { TIERS, type TierName, type TierSizing } from "../../loadtests/vocabulary/capacity.ts";
import type {
  ResolvedStrategy,
  ScalingPolicy,
  SheddingPolicy,
  TargetTrackingPolicy,
  TargetTrackingTunables,
} from "./types.ts";

export const STRATEGY_NAMES = [
  "fixed",
  "overprovisioned",
  "reactive",
  "reactive-hpa",
  "scheduled",
  "priority-shedding",
] as const;
export type StrategyName = (typeof STRATEGY_NAMES)[number];

/**
 * What a target-tracking preset (`reactive`, `reactive-hpa`) fixes for each tier. The fleet's
 * bounds follow the tier's baseline: at least the baseline, at most `maxMultiple` x baseline.
 */
export interface TargetTrackingParams extends TargetTrackingTunables {
  /**
   * Fewest instances one decision may add; null: the whole range up to the ceiling in one decision.
   * @minimum 1
   */
  minStepInstances: number | null;
  /**
   * Largest fleet, in multiples of the tier's baseline instances.
   * @minimum 1
   */
  maxMultiple: number;
}

/** The tunables of the presets; every field has a default (`DEFAULT_STRATEGY_PARAMS`). */
export interface StrategyParams {
  /**
   * `overprovisioned`: each tier runs ceil(k x baseline) instances.
   * @minimum 1
   */
  overprovisionFactor: number;
  /**
   * `scheduled`: natural time the pre-scale is launched. Instances boot + warm up for
   * scheduledBootS + scheduledWarmupS first, so schedule it that far ahead of the burst.
   * @minimum 0
   */
  scheduledAtS: number;
  /**
   * `scheduled`: each tier is pre-scaled to ceil(multiple x baseline) instances.
   * @minimum 0
   */
  scheduledMultiple: number;
  /**
   * `scheduled`: natural time it scales back to baseline; null keeps the pre-scaled fleet.
   * @minimum 0
   */
  scheduledUntilS: number | null;
  /**
   * `scheduled`: launch to running of a pre-scaled instance, natural s.
   * @minimum 0
   */
  scheduledBootS: number;
  /**
   * `scheduled`: running to serving of a pre-scaled instance, natural s.
   * @minimum 0
   */
  scheduledWarmupS: number;
  /** `reactive`: AWS EC2 Auto Scaling target tracking. */
  reactive: TargetTrackingParams;
  /** `reactive-hpa`: Kubernetes Horizontal Pod Autoscaler. */
  reactiveHpa: TargetTrackingParams;
  /** `+priority-shedding`: what is reserved for priority requests and when new orders are shed. */
  shedding: SheddingPolicy;
}

/** Ceiling of target-tracking fleets, in multiples of baseline (enough for a 100x burst at 15% normal utilisation). */
const MAX_MULTIPLE = 40;
/** VM launch to running (docs/facts.md: about 25-30 s to SSH). */
const VM_BOOT_S = 30;
/** Running to serving: application bootstrap "often adds minutes" (docs/facts.md); 3 min here. */
const APP_WARMUP_S = 180;

/**
 * `reactive`: AWS EC2 Auto Scaling target tracking on request count per target (ALB
 * RequestCountPerTarget analogue: offered work over ready capacity, uncapped). Numbers from
 * docs/facts.md "Scaling lag": CloudWatch detailed metrics every 60 s, scale out after 3
 * datapoints above target, in after 15 below; a VM boots in ~30 s and application bootstrap
 * adds minutes (180 s warm-up); cooldown 300 s. Target tracking has no step limit (desired =
 * ceil(current x metric / target), clamped to max): minStepInstances null lets one decision
 * cover the whole range. Scale-in looks back 900 s (the 15 datapoints).
 */
const REACTIVE: Readonly<TargetTrackingParams> = {
  metric: "demand",
  targetUtilisation: 0.6,
  tolerance: 0,
  metricPeriodS: 60,
  datapointsToScaleOut: 3,
  datapointsToScaleIn: 15,
  bootS: VM_BOOT_S,
  warmupS: APP_WARMUP_S,
  cooldownS: 300,
  maxStepPercent: 100,
  minStepInstances: null,
  maxMultiple: MAX_MULTIPLE,
  scaleInStabilisationS: 900,
};

/**
 * `reactive-hpa`: Kubernetes Horizontal Pod Autoscaler on CPU-like utilisation (busy
 * fraction, capped at 1: an overloaded fleet reads 100%, so one sync multiplies the fleet by at
 * most 1/target). docs/facts.md "Scaling lag": sync every 15 s, tolerance 10%, scale up by at
 * most max(100%, 4 pods) per sync, scale-down stabilisation 300 s, pod start <= 5 s (image
 * cached); readiness (application warm-up) 25 s here. No cooldown.
 */
const REACTIVE_HPA: Readonly<TargetTrackingParams> = {
  metric: "utilisation",
  targetUtilisation: 0.6,
  tolerance: 0.1,
  metricPeriodS: 15,
  datapointsToScaleOut: 1,
  datapointsToScaleIn: 1,
  bootS: 5,
  warmupS: 25,
  cooldownS: 0,
  maxStepPercent: 100,
  minStepInstances: 4,
  maxMultiple: MAX_MULTIPLE,
  scaleInStabilisationS: 300,
};

export const DEFAULT_STRATEGY_PARAMS: Readonly<StrategyParams> = {
  overprovisionFactor: 10,
  scheduledAtS: 0,
  scheduledMultiple: 20,
  scheduledUntilS: null,
  scheduledBootS: VM_BOOT_S,
  scheduledWarmupS: APP_WARMUP_S,
  reactive: REACTIVE,
  reactiveHpa: REACTIVE_HPA,
  // 20% of workers kept for cancels / reduce-only / liquidations; shed new orders at half a queue.
  shedding: { reservedFraction: 0.2, newOrderQueueFraction: 0.5 },
};

function sheddingDescription(s: SheddingPolicy): string {
  return (
    `priority shedding: ${pct(s.reservedFraction)} of workers reserved for cancels/reduce-only/liquidations, ` +
    `new orders shed (503 -1008) once the queue is ${pct(s.newOrderQueueFraction)} full`
  );
}

function pct(fraction: number): string {
  return `${Math.round(fraction * 1000) / 10}%`;
}

interface Preset {
  description(params: StrategyParams): string;
  tier(sizing: TierSizing, params: StrategyParams): ScalingPolicy;
}

/**
 * `fixed`: every tier at its baselineInstances, never changes. The venue provisioned for
 * normal load with headroom and no autoscaling.
 */
function fixedTier(sizing: TierSizing): ScalingPolicy {
  return { kind: "fixed", instances: sizing.baselineInstances };
}

/** A target-tracking preset's policy for one tier: bounds from its baseline. */
function targetTrackingTier(sizing: TierSizing, p: TargetTrackingParams): TargetTrackingPolicy {
  const min = sizing.baselineInstances;
  const max = Math.ceil(p.maxMultiple * min);
  const { maxMultiple: _maxMultiple, minStepInstances, ...rest } = p;
  return {
    kind: "target-tracking",
    ...rest,
    minStepInstances: minStepInstances ?? max,
    minInstances: min,
    maxInstances: max,
  };
}

function describeTargetTracking(p: TargetTrackingParams): string {
  const step = p.minStepInstances === null ? "" : `, step max(${p.maxStepPercent}%, ${p.minStepInstances})`;
  return (
    `on ${p.metric}: target ${p.targetUtilisation}${p.tolerance > 0 ? ` +-${pct(p.tolerance)}` : ""}, ` +
    `${p.metricPeriodS} s datapoints, out after ${p.datapointsToScaleOut}, in after ${p.datapointsToScaleIn}${step}, ` +
    `boot ${p.bootS} s + warm-up ${p.warmupS} s, cooldown ${p.cooldownS} s, ` +
    `scale-in stabilisation ${p.scaleInStabilisationS} s, max ${p.maxMultiple}x baseline`
  );
}

/**
 * `overprovisioned`: fixed at ceil(k x baseline), k = `overprovisionFactor` (default 10). Pays
 * for the burst all the time; the cost baseline the other strategies are compared with.
 */
function overprovisionedTier(sizing: TierSizing, params: StrategyParams): ScalingPolicy {
  return { kind: "fixed", instances: Math.ceil(params.overprovisionFactor * sizing.baselineInstances) };
}

/**
 * `scheduled`: a planned event. Each tier runs baseline, and at `scheduledAtS` launches up to
 * ceil(scheduledMultiple x baseline) (default 20x) instances, which boot (30 s VM) and warm up
 * (180 s application bootstrap) like reactive ones: docs/facts.md "Scaling lag". The caller
 * schedules it that far before the expected burst; optionally back to baseline at
 * `scheduledUntilS`.
 */
function scheduledTier(sizing: TierSizing, params: StrategyParams): ScalingPolicy {
  const base = sizing.baselineInstances;
  const steps = [{ atS: params.scheduledAtS, instances: Math.ceil(params.scheduledMultiple * base) }];
  if (params.scheduledUntilS !== null) steps.push({ atS: params.scheduledUntilS, instances: base });
  return {
    kind: "scheduled",
    instances: base,
    steps,
    bootS: params.scheduledBootS,
    warmupS: params.scheduledWarmupS,
  };
}

const PRESETS: Record<StrategyName, Preset> = {
  fixed: {
    description: () => "every tier at its baseline instances, no autoscaling",
    tier: fixedTier,
  },
  overprovisioned: {
    description: (p) =>
      `fixed at ceil(k x baseline) instances (k = overprovisionFactor, ${p.overprovisionFactor})`,
    tier: overprovisionedTier,
  },
  reactive: {
    description: (p) => `AWS-like target tracking ${describeTargetTracking(p.reactive)}`,
    tier: (sizing, p) => targetTrackingTier(sizing, p.reactive),
  },
  "reactive-hpa": {
    description: (p) => `Kubernetes HPA-like target tracking ${describeTargetTracking(p.reactiveHpa)}`,
    tier: (sizing, p) => targetTrackingTier(sizing, p.reactiveHpa),
  },
  scheduled: {
    description: (p) =>
      `baseline, pre-scaled to ${p.scheduledMultiple}x baseline at scheduledAtS (boot ${p.scheduledBootS} s + ` +
      `warm-up ${p.scheduledWarmupS} s: schedule it ahead of the burst)`,
    tier: scheduledTier,
  },
  "priority-shedding": {
    description: (p) =>
      `fixed capacity plus ${sheddingDescription(p.shedding)}; combine as <base>+priority-shedding`,
    tier: fixedTier,
  },
};

function isStrategyName(s: string): s is StrategyName {
  return (STRATEGY_NAMES as readonly string[]).includes(s);
}

/** One line per strategy, for `--help`. */
export function describeStrategies(): Array<{ name: StrategyName; description: string }> {
  return STRATEGY_NAMES.map((name) => ({
    name,
    description: PRESETS[name].description(DEFAULT_STRATEGY_PARAMS),
  }));
}

function usage(detail: string): Error {
  return new Error(
    `${detail}; a strategy is one of ${STRATEGY_NAMES.join(", ")}, optionally <base>+priority-shedding ` +
      "(e.g. reactive+priority-shedding)",
  );
}

function checkParams(p: StrategyParams): void {
  const finite = (v: number, what: string, min: number, max = Number.POSITIVE_INFINITY) => {
    if (!(Number.isFinite(v) && v >= min && v <= max))
      throw new Error(`strategy parameter ${what} must be a number in [${min}, ${max}], got ${v}`);
  };
  finite(p.overprovisionFactor, "overprovisionFactor", 1);
  finite(p.scheduledAtS, "scheduledAtS", 0);
  finite(p.scheduledMultiple, "scheduledMultiple", 0);
  finite(p.scheduledBootS, "scheduledBootS", 0);
  finite(p.scheduledWarmupS, "scheduledWarmupS", 0);
  if (p.scheduledUntilS !== null) {
    finite(p.scheduledUntilS, "scheduledUntilS", 0);
    if (p.scheduledUntilS < p.scheduledAtS) {
      throw new Error(
        `strategy parameter scheduledUntilS (${p.scheduledUntilS}) is before scheduledAtS (${p.scheduledAtS})`,
      );
    }
  }
  for (const key of ["reactive", "reactiveHpa"] as const) {
    const t = p[key];
    finite(t.targetUtilisation, `${key}.targetUtilisation`, Number.MIN_VALUE, 1);
    finite(t.tolerance, `${key}.tolerance`, 0, 1);
    finite(t.metricPeriodS, `${key}.metricPeriodS`, Number.MIN_VALUE);
    finite(t.datapointsToScaleOut, `${key}.datapointsToScaleOut`, 1);
    finite(t.datapointsToScaleIn, `${key}.datapointsToScaleIn`, 1);
    finite(t.bootS, `${key}.bootS`, 0);
    finite(t.warmupS, `${key}.warmupS`, 0);
    finite(t.cooldownS, `${key}.cooldownS`, 0);
    finite(t.maxStepPercent, `${key}.maxStepPercent`, 0);
    if (t.minStepInstances !== null) finite(t.minStepInstances, `${key}.minStepInstances`, 1);
    finite(t.maxMultiple, `${key}.maxMultiple`, 1);
    finite(t.scaleInStabilisationS, `${key}.scaleInStabilisationS`, 0);
  }
  finite(p.shedding.reservedFraction, "shedding.reservedFraction", 0, 1);
  finite(p.shedding.newOrderQueueFraction, "shedding.newOrderQueueFraction", 0, 1);
}

/**
 * Resolves `fixed`, `reactive+priority-shedding`, ... into per-tier policies and shedding.
 * Throws a plain Error naming the valid strategies for an unknown name or two bases (the CLI
 * edge maps it to a usage error).
 */
export function resolveStrategy(
  name: string,
  sizing: Record<TierName, TierSizing>,
  params?: Partial<StrategyParams>,
): ResolvedStrategy {
  const full: StrategyParams = { ...DEFAULT_STRATEGY_PARAMS, ...stripUndefined(params) };
  checkParams(full);
  const trimmed = name.trim();
  const parts = trimmed.split("+").map((s) => s.trim());
  let base: StrategyName | null = null;
  let shedding = false;
  for (const part of parts) {
    if (!isStrategyName(part))
      throw usage(`unknown strategy ${JSON.stringify(part)} in ${JSON.stringify(name)}`);
    if (part === "priority-shedding") {
      if (shedding) throw usage(`priority-shedding given twice in ${JSON.stringify(name)}`);
      shedding = true;
    } else {
      if (base !== null) throw usage(`two base strategies (${base}, ${part}) in ${JSON.stringify(name)}`);
      base = part;
    }
  }
  // Only `priority-shedding` given: its preset is fixed capacity plus shedding.
  const preset = PRESETS[base ?? "priority-shedding"];
  const tiers = {} as Record<TierName, ScalingPolicy>;
  for (const tier of TIERS) tiers[tier] = preset.tier(sizing[tier], full);
  return {
    name: trimmed,
    description:
      base !== null && shedding
        ? `${preset.description(full)}; plus ${sheddingDescription(full.shedding)}`
        : preset.description(full),
    tiers,
    shedding: shedding ? { ...full.shedding } : null,
  };
}

/** Drops fields given as undefined, so they keep their default rather than erase it. */
function stripUndefined(p: Partial<StrategyParams> | undefined): Partial<StrategyParams> {
  if (p === undefined) return {};
  return Object.fromEntries(Object.entries(p).filter(([, v]) => v !== undefined)) as Partial<StrategyParams>;
}
