import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import { TIERS, type TierName } from "../../loadtests/vocabulary/capacity.ts";
import type { TimelinePoint } from "../../loadtests/vocabulary/runFolder.ts";
import { REJECT_REASONS, type RejectReason, TRAFFIC_CLASSES } from "../../loadtests/vocabulary/traffic.ts";

/**
 * Prometheus metrics of one mock exchange (issue 6 "Observability"), served at `GET /metrics`
 * by api/server.ts. docs/observability.md lists every series; the Grafana dashboard in
 * docs/grafana/ reads them.
 *
 * Hot path (once per request or response): a plain increment of a preallocated Float64Array
 * slot, indexed by class and outcome, plus one observation on a histogram child created once
 * with `.labels(...)`. This module builds no label objects per request (prom-client's
 * histogram child still makes its internal key per observe, ~0.25 us); the counters reach
 * prom-client only at scrape time, in their `collect` callbacks (delta since the last scrape).
 * Gauges, stale reads and capacity events follow the timeline: once per closed wall second,
 * from the same TimelinePoint that goes to timeline.jsonl.
 *
 * A reset (`POST /__stampede/reset`) builds a new Venue but keeps this object: counters and the
 * histogram keep counting (Prometheus counters must not go down), while the gauges describe the
 * new venue (natural time and cost start again from 0); `stampede_resets_total` marks the moment.
 */

/** Traffic class label: the timeline's classes, plus `other` for ping and time (no class). */
export const METRIC_CLASSES = [...TRAFFIC_CLASSES, "other"] as const;
export type MetricClass = (typeof METRIC_CLASSES)[number];

/** Outcome label of stampede_responses_total: served, or a reject reason (loadtests/vocabulary/traffic.ts). */
export const OUTCOMES = ["served", ...REJECT_REASONS] as const;
export type Outcome = (typeof OUTCOMES)[number];

/** Upper bounds of stampede_request_duration_seconds: 1 ms .. 10 s; 0.35 s sits just above the default 300 ms queue timeout. */
export const DURATION_BUCKETS_S = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.25, 0.35, 0.5, 1, 2.5, 5, 10,
] as const;

/** Label value of stampede_capacity_events_total for events that concern no single tier (region failover, dependency errors). */
export const NO_TIER = "none";

/** Every metric name this module exports (the dashboard test checks its queries against it). */
export const METRIC_NAMES = [
  "stampede_requests_total",
  "stampede_responses_total",
  "stampede_request_duration_seconds",
  "stampede_capacity_events_total",
  "stampede_stale_reads_total",
  "stampede_resets_total",
  "stampede_queue_depth",
  "stampede_utilisation",
  "stampede_instances",
  "stampede_replica_lag_seconds",
  "stampede_cost_instance_minutes",
  "stampede_natural_time_seconds",
] as const;

export const METRICS_CONTENT_TYPE = Registry.PROMETHEUS_CONTENT_TYPE;

const CLASS_INDEX: Record<string, number> = Object.fromEntries(METRIC_CLASSES.map((c, i) => [c, i]));
const OTHER = CLASS_INDEX.other as number;
const OUTCOME_INDEX = Object.fromEntries(OUTCOMES.map((o, i) => [o, i])) as Record<Outcome, number>;
const N_CLASSES = METRIC_CLASSES.length;
const N_OUTCOMES = OUTCOMES.length;

function classIndex(cls: string | undefined): number {
  return cls === undefined ? OTHER : (CLASS_INDEX[cls] ?? OTHER);
}

/**
 * What the gauges read of a venue that has just started or been reset: its provisioning, read
 * only (the Venue gives it; the metrics change nothing in it).
 */
export interface ProvisioningView {
  instances(tier: TierName): { readonly ready: number; readonly booting: number };
  /** Natural instance-minutes billed per tier since the venue started. */
  instanceMinutes(): Record<TierName, number>;
}

interface TierGauges {
  queueDepth: Gauge.Internal<string>;
  utilisation: Gauge.Internal<string>;
  ready: Gauge.Internal<string>;
  booting: Gauge.Internal<string>;
  cost: Gauge.Internal<string>;
}

/**
 * Process metrics (CPU, memory, event-loop lag, GC) are per process, and collectDefaultMetrics
 * starts an event-loop monitor and a GC observer that cannot be stopped: register them once in
 * a shared registry and merge it into each exchange's, so tests that start many exchanges do
 * not pile monitors up. Their cost is per scrape and per GC, not per request.
 */
let processRegistry: Registry | undefined;
function sharedProcessRegistry(): Registry {
  if (processRegistry === undefined) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

export interface ExchangeMetricsOptions {
  /** Include process_* and nodejs_* metrics (default true). */
  processMetrics?: boolean;
}

export class ExchangeMetrics {
  /** This exchange's metrics only (its own Registry, never prom-client's global one). */
  readonly registry = new Registry();
  private readonly exposed: Registry;

  // Hot-path tallies, flushed to prom-client at scrape.
  private readonly requests = new Float64Array(N_CLASSES);
  private readonly responses = new Float64Array(N_CLASSES * N_OUTCOMES);
  private readonly requestsPushed = new Float64Array(N_CLASSES);
  private readonly responsesPushed = new Float64Array(N_CLASSES * N_OUTCOMES);
  private readonly requestChildren: Counter.Internal[] = [];
  private readonly responseChildren: Counter.Internal[] = [];
  private readonly durationChildren: Histogram.Internal<string>[] = [];

  private readonly capacityEvents: Counter<"kind" | "tier">;
  private readonly staleReads: Counter<string>;
  private readonly resets: Counter<string>;
  private readonly tiers: Record<TierName, TierGauges>;
  private readonly replicaLag: Gauge<string>;
  private readonly naturalTime: Gauge<string>;

  constructor(options: ExchangeMetricsOptions = {}) {
    const registers = [this.registry];
    const self = this;
    const requests = new Counter({
      name: "stampede_requests_total",
      help: "Requests that reached an exchange endpoint (/fapi), by traffic class; other = ping, time.",
      labelNames: ["class"],
      registers,
      collect() {
        self.flush(self.requests, self.requestsPushed, self.requestChildren);
      },
    });
    const responses = new Counter({
      name: "stampede_responses_total",
      help: "Responses by traffic class and outcome: served (2xx) or the reject reason (docs/architecture.md Vocabulary).",
      labelNames: ["class", "outcome"],
      registers,
      collect() {
        self.flush(self.responses, self.responsesPushed, self.responseChildren);
      },
    });
    const duration = new Histogram({
      name: "stampede_request_duration_seconds",
      help: "Server-side time in the system (queue + service) of responses that entered the capacity queue: served, queue timeouts, refusals after service.",
      labelNames: ["class"],
      buckets: [...DURATION_BUCKETS_S],
      registers,
    });
    for (const cls of METRIC_CLASSES) {
      const child = requests.labels(cls);
      child.inc(0); // every series exists from the start, so rate() sees the first requests
      this.requestChildren.push(child);
      duration.zero({ class: cls });
      this.durationChildren.push(duration.labels(cls));
      for (const outcome of OUTCOMES) {
        const r = responses.labels(cls, outcome);
        r.inc(0);
        this.responseChildren.push(r);
      }
    }

    // Labels from fixed sets (CapacityEvent kinds x TIERS + "none"): the series stay a handful
    // however long the venue runs; no label carries an account, IP, order or request.
    this.capacityEvents = new Counter({
      name: "stampede_capacity_events_total",
      help: `Capacity events (scale-out, scale-in, instances-ready, fault-start, fault-end, failover) by kind and tier; tier="${NO_TIER}" when the event concerns no single tier.`,
      labelNames: ["kind", "tier"],
      registers,
    });
    this.staleReads = new Counter({
      name: "stampede_stale_reads_total",
      help: "Position reads served while the read replica was behind a change the account had acknowledged (counted per closed second).",
      registers,
    });
    this.staleReads.inc(0);
    this.resets = new Counter({
      name: "stampede_resets_total",
      help: "POST /__stampede/reset calls: the venue started again (gauges start again; counters go on).",
      registers,
    });
    this.resets.inc(0);

    const tierGauge = (name: string, help: string, extra: string[] = []) =>
      new Gauge({ name, help, labelNames: ["tier", ...extra], registers });
    const queueDepth = tierGauge(
      "stampede_queue_depth",
      "Requests waiting in the tier's queue at the end of the last closed second.",
    );
    const utilisation = tierGauge(
      "stampede_utilisation",
      "Fraction of the tier's ready worker-time busy during the last closed second (0..1).",
    );
    const instances = tierGauge(
      "stampede_instances",
      "Instances of the tier by state (ready serves; booting is launched and warming up).",
      ["state"],
    );
    const cost = tierGauge(
      "stampede_cost_instance_minutes",
      "Natural instance-minutes billed (ready + booting) since the exchange started or was last reset.",
    );
    const gauges = (tier: TierName): TierGauges => ({
      queueDepth: queueDepth.labels(tier),
      utilisation: utilisation.labels(tier),
      ready: instances.labels(tier, "ready"),
      booting: instances.labels(tier, "booting"),
      cost: cost.labels(tier),
    });
    this.tiers = { gateway: gauges("gateway"), read: gauges("read") };
    this.replicaLag = new Gauge({
      name: "stampede_replica_lag_seconds",
      help: "Replication lag of the read replica at the end of the last closed second.",
      registers,
    });
    this.naturalTime = new Gauge({
      name: "stampede_natural_time_seconds",
      help: "Natural (profile) seconds since the exchange started or was last reset: wall seconds x time scale.",
      registers,
    });

    this.exposed =
      options.processMetrics === false
        ? this.registry
        : Registry.merge([this.registry, sharedProcessRegistry()]);
  }

  /** A request reached an exchange endpoint. Hot path: no allocation. */
  request(cls: string | undefined): void {
    const i = classIndex(cls);
    this.requests[i] = (this.requests[i] as number) + 1;
  }

  /** A refusal answered at once at the edge (limits, parameters, shedding): counted, not timed. */
  refused(cls: string | undefined, reason: RejectReason): void {
    const j = classIndex(cls) * N_OUTCOMES + OUTCOME_INDEX[reason];
    this.responses[j] = (this.responses[j] as number) + 1;
  }

  /** A response to a request that entered the capacity queue, with its time in the system. */
  completed(cls: string | undefined, outcome: Outcome, residenceMs: number): void {
    const i = classIndex(cls);
    const j = i * N_OUTCOMES + OUTCOME_INDEX[outcome];
    this.responses[j] = (this.responses[j] as number) + 1;
    (this.durationChildren[i] as Histogram.Internal<string>).observe(residenceMs / 1000);
  }

  /** Sets the gauges of a venue that has just started (or been reset), before its first second closes. */
  venueStarted(venue: ProvisioningView, reset: boolean): void {
    if (reset) this.resets.inc();
    const cost = venue.instanceMinutes();
    for (const tier of TIERS) {
      const g = this.tiers[tier];
      const state = venue.instances(tier);
      g.ready.set(state.ready);
      g.booting.set(state.booting);
      g.queueDepth.set(0);
      g.utilisation.set(0);
      g.cost.set(cost[tier]);
    }
    this.replicaLag.set(0);
    this.naturalTime.set(0);
  }

  /** One closed wall second of the timeline (once per second, from the shared tick). */
  second(point: TimelinePoint): void {
    for (const tier of TIERS) {
      const g = this.tiers[tier];
      const t = point.tiers[tier];
      g.queueDepth.set(t.queueDepth);
      g.utilisation.set(t.utilisation);
      g.ready.set(t.ready);
      g.booting.set(t.booting);
      g.cost.set(point.costInstanceMinutes[tier]);
    }
    this.replicaLag.set(point.replicaLagMs / 1000);
    this.naturalTime.set(point.tNaturalS);
    if (point.staleReadsServed > 0) this.staleReads.inc(point.staleReadsServed);
    for (const e of point.events) this.capacityEvents.inc({ kind: e.kind, tier: e.tier ?? NO_TIER });
  }

  /** The exposition text (Prometheus text format 0.0.4, METRICS_CONTENT_TYPE). */
  scrape(): Promise<string> {
    return this.exposed.metrics();
  }

  private flush(counts: Float64Array, pushed: Float64Array, children: Counter.Internal[]): void {
    for (let i = 0; i < counts.length; i++) {
      const delta = (counts[i] as number) - (pushed[i] as number);
      if (delta > 0) {
        (children[i] as Counter.Internal).inc(delta);
        pushed[i] = counts[i] as number;
      }
    }
  }
}
