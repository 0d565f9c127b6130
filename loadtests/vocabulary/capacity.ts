/**
 * The profile-facing and run-folder-facing words of the capacity model: the provisioned tiers,
 * their sizing, scripted faults (with their validation) and the capacity events a timeline
 * records. The policies and strategies that act on them are mock-exchange/capacity/.
 *
 * Times here are NATURAL seconds since the start of the drill or simulation (the profile's
 * clock): control loops and faults live in natural time; only queueing runs in wall time.
 */

/**
 * The provisioned tiers. `gateway` serves orders and depth (then orders pass the sequencer);
 * `read` is the read-replica tier that serves position and account reads.
 */
export const TIERS = ["gateway", "read"] as const;
export type TierName = (typeof TIERS)[number];

/** How one tier is sized for normal load: instances, and requests each serves at once. */
export interface TierSizing {
  /**
   * Instances that normal load needs (what `fixed` runs and `overprovisioned` multiplies).
   * @asType integer
   * @minimum 1
   */
  baselineInstances: number;
  /**
   * Requests one instance serves concurrently (workers per instance).
   * @asType integer
   * @minimum 1
   */
  concurrencyPerInstance: number;
}

/** One tier at one moment, as the timeline records it. */
export interface TierState {
  ready: number;
  booting: number;
  /** Ready workers (ready instances x concurrency), after faults. */
  workers: number;
}

/**
 * Faults scripted in a profile, natural seconds from the start.
 * @discriminator kind
 */
export type FaultSpec = ZoneOutageFault | DependencyErrorsFault | ReplicaLossFault | RegionFailoverFault;

/** A fraction of every tier's instances is gone at atS and back (ready) after durationS. */
export interface ZoneOutageFault {
  kind: "zone-outage";
  /**
   * Natural seconds from the start.
   * @minimum 0
   */
  atS: number;
  /**
   * Natural seconds the instances stay gone.
   * @exclusiveMinimum 0
   */
  durationS: number;
  /**
   * Share of every tier's instances lost, in (0, 1].
   * @exclusiveMinimum 0
   * @maximum 1
   */
  fraction: number;
}

/** A dependency fails: this fraction of requests answer 503 -1001 (reason `error`) for durationS. */
export interface DependencyErrorsFault {
  kind: "dependency-errors";
  /**
   * Natural seconds from the start.
   * @minimum 0
   */
  atS: number;
  /**
   * Natural seconds the dependency fails.
   * @exclusiveMinimum 0
   */
  durationS: number;
  /**
   * Share of requests that fail, in (0, 1].
   * @exclusiveMinimum 0
   * @maximum 1
   */
  errorRate: number;
}

/** Read replicas lost at atS for good; only a scaling policy brings them back (minutes). */
export interface ReplicaLossFault {
  kind: "replica-loss";
  /**
   * Natural seconds from the start.
   * @minimum 0
   */
  atS: number;
  /**
   * Read replicas lost.
   * @asType integer
   * @minimum 1
   */
  replicas: number;
}

/**
 * The whole region goes at atS: no capacity. After detectionDelayS the standby region is
 * promoted; it serves after failoverS more, at baseline size (warm standby).
 */
export interface RegionFailoverFault {
  kind: "region-failover";
  /**
   * Natural seconds from the start.
   * @minimum 0
   */
  atS: number;
  /**
   * Natural seconds before the outage is detected and the standby promoted.
   * @minimum 0
   */
  detectionDelayS: number;
  /**
   * Natural seconds the promoted standby takes to serve.
   * @minimum 0
   */
  failoverS: number;
}

export type FaultKind = FaultSpec["kind"];
export const FAULT_KINDS: readonly FaultKind[] = [
  "zone-outage",
  "dependency-errors",
  "replica-loss",
  "region-failover",
];

export type CapacityEventKind =
  | "scale-out" // decision taken: instances launched
  | "scale-in" // decision taken: instances terminated
  | "instances-ready" // launched instances finished boot + warm-up
  | "fault-start"
  | "fault-end"
  | "failover"; // standby region promoted

export interface CapacityEvent {
  /** Natural seconds since the start. */
  atS: number;
  kind: CapacityEventKind;
  tier?: TierName;
  /** Instances after the event (ready + booting) where it applies. */
  instances?: number;
  detail: string;
}

/**
 * Problems with a list of faults (from a profile, or posted to the control plane), empty when
 * valid. `naturalS`: the profile's length, when the faults must fall inside it.
 */
export function faultProblems(faults: readonly FaultSpec[], naturalS?: number): string[] {
  const problems: string[] = [];
  faults.forEach((f, i) => {
    const where = `faults[${i}]`;
    if (!(FAULT_KINDS as readonly string[]).includes(f.kind)) {
      problems.push(`${where}: unknown fault kind "${f.kind}"; known: ${FAULT_KINDS.join(", ")}`);
      return;
    }
    if (!(typeof f.atS === "number" && f.atS >= 0)) problems.push(`${where}: atS must be a number >= 0`);
    else if (naturalS !== undefined && f.atS > naturalS)
      problems.push(`${where}: atS must be within the profile (0..${naturalS})`);
    problems.push(...kindProblems(f, where));
  });
  return problems;
}

/** The fields each fault kind adds, checked. */
function kindProblems(f: FaultSpec, where: string): string[] {
  const problems: string[] = [];
  switch (f.kind) {
    case "zone-outage":
      if (!(isNumber(f.fraction) && f.fraction > 0 && f.fraction <= 1))
        problems.push(`${where}: fraction must be in (0, 1]`);
      if (!(isNumber(f.durationS) && f.durationS > 0)) problems.push(`${where}: durationS must be > 0`);
      break;
    case "dependency-errors":
      if (!(isNumber(f.errorRate) && f.errorRate > 0 && f.errorRate <= 1))
        problems.push(`${where}: errorRate must be in (0, 1]`);
      if (!(isNumber(f.durationS) && f.durationS > 0)) problems.push(`${where}: durationS must be > 0`);
      break;
    case "replica-loss":
      if (!(Number.isInteger(f.replicas) && f.replicas >= 1))
        problems.push(`${where}: replicas must be an integer >= 1`);
      break;
    case "region-failover":
      if (
        !(isNumber(f.detectionDelayS) && isNumber(f.failoverS) && f.detectionDelayS >= 0 && f.failoverS >= 0)
      )
        problems.push(`${where}: detectionDelayS and failoverS must be >= 0`);
      break;
  }
  return problems;
}

function isNumber(x: unknown): x is number {
  return typeof x === "number" && Number.isFinite(x);
}
