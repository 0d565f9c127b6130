import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseDocument } from "yaml";
import { PROFILES } from "../../loadtests/profiles/index.ts";
import type { Profile } from "../../loadtests/profiles/types.ts";
import { StampedeError } from "../../loadtests/vocabulary/cliErrors.ts";
import { resolveStrategy } from "../../mock-exchange/capacity/strategies.ts";
import type { ExchangeConfig } from "../../mock-exchange/defaults.ts";
import { prepareDrill } from "../../scripts/drillPlan.ts";
import { exchangeConfigFor, strategyFor } from "../../scripts/exchangeConfig.ts";
import { resolveProfile } from "../../scripts/profileSource.ts";
import { loadVenue, parseVenue } from "../../scripts/venue.ts";
import { venueInit } from "../../scripts/venueInit.ts";

const smoke = PROFILES.smoke as Profile;
const opts = { timeScale: 60, seed: 1, strategy: undefined, scale: "drill" as const };

function resolved(c: ExchangeConfig) {
  return resolveStrategy(c.capacity.strategy, c.capacity.tiers, c.capacity.strategyParams);
}

function withoutParams(c: ExchangeConfig) {
  return { ...c, capacity: { ...c.capacity, strategyParams: null } };
}

function dir(): string {
  return mkdtempSync(join(tmpdir(), "stampede-venue-"));
}

function thrown(fn: () => unknown): StampedeError {
  try {
    fn();
  } catch (err) {
    if (err instanceof StampedeError) return err;
    throw err;
  }
  throw new Error("expected a StampedeError");
}

describe("venue init", () => {
  it("writes today's defaults: the file makes exactly the config a run without it makes", () => {
    const path = join(dir(), "venue.yaml");
    venueInit(path, false);
    const venue = loadVenue(path);
    expect(venue.sha256).toMatch(/^[0-9a-f]{64}$/);
    for (const strategy of [undefined, "reactive-hpa", "scheduled+priority-shedding"]) {
      const withFile = exchangeConfigFor(smoke, { ...opts, strategy, venue: venue.file });
      const without = exchangeConfigFor(smoke, { ...opts, strategy });
      // The file spells out every strategy parameter; a run without it leaves them to the presets.
      expect(resolved(withFile)).toEqual(resolved(without));
      expect(withoutParams(withFile)).toEqual(withoutParams(without));
    }
    // Commented from the type's doc comments.
    expect(readFileSync(path, "utf8")).toContain(
      "# Running to serving: application bootstrap / warm-up, natural s.",
    );
  });

  it("refuses to overwrite a file unless forced (E_FILE_EXISTS, exit 2)", () => {
    const path = join(dir(), "venue.yaml");
    writeFileSync(path, "mine\n");
    const err = thrown(() => venueInit(path, false));
    expect(err.code).toBe("E_FILE_EXISTS");
    expect(err.exitCode).toBe(2);
    expect(readFileSync(path, "utf8")).toBe("mine\n");
    venueInit(path, true);
    expect(loadVenue(path).file.capacity?.strategy).toBe("reactive");
  });

  it("a changed field reaches the config; the rest keep their defaults", () => {
    const path = join(dir(), "venue.yaml");
    venueInit(path, false);
    const doc = parseDocument(readFileSync(path, "utf8"));
    doc.setIn(["capacity", "tiers", "gateway", "baselineInstances"], 7);
    doc.setIn(["capacity", "strategyParams", "reactive", "warmupS"], 30);
    doc.setIn(["capacity", "strategy"], "fixed");
    writeFileSync(path, doc.toString());
    const config = exchangeConfigFor(smoke, { ...opts, venue: loadVenue(path).file });
    expect(config.capacity.tiers.gateway.baselineInstances).toBe(7);
    expect(config.capacity.strategyParams.reactive?.warmupS).toBe(30);
    expect(config.capacity.strategy).toBe("fixed");
    // The command's --strategy outranks the file's.
    expect(
      exchangeConfigFor(smoke, { ...opts, strategy: "reactive", venue: loadVenue(path).file }).capacity
        .strategy,
    ).toBe("reactive");
  });

  it("reads JSON by its extension, and a partial file keeps every other default", () => {
    const path = join(dir(), "venue.json");
    writeFileSync(path, JSON.stringify({ capacity: { serviceTimeMs: { order: 20 } } }));
    const config = exchangeConfigFor(smoke, { ...opts, venue: loadVenue(path).file });
    expect(config.capacity.serviceTimeMs).toEqual({
      ...exchangeConfigFor(smoke, opts).capacity.serviceTimeMs,
      order: 20,
    });
  });
});

describe("drill --venue", () => {
  it("configures the mock the drill starts, and is refused with --target (the target is configured where it runs)", () => {
    const path = join(dir(), "venue.yaml");
    writeFileSync(path, "capacity: { maxQueue: 9, strategy: fixed }\nlimits: { weightPerMinute: 1200 }\n");
    const venue = loadVenue(path);
    const drill = prepareDrill({
      profile: resolveProfile("smoke"),
      seed: 1,
      strategy: strategyFor(undefined, venue.file),
      venue,
    });
    expect(drill.config.capacity).toMatchObject({ maxQueue: 9, strategy: "fixed" });
    expect(drill.config.limits.weightPerMinute).toBe(1200);
    expect(drill.venue?.sha256).toBe(venue.sha256);
    const err = thrown(() =>
      prepareDrill({
        profile: resolveProfile("smoke"),
        seed: 1,
        strategy: "fixed",
        venue,
        target: { url: "http://127.0.0.1:9", iOwnThisTarget: false, maxRps: undefined },
      }),
    );
    expect(err.code).toBe("E_USAGE");
  });
});

/** Each mistake: the file's text, and the field the message must name. */
const MISTAKES: Array<[string, string, string]> = [
  ["not YAML", "capacity: [unclosed", "not YAML"],
  ["an unknown top-level field", "capcity: {}", "capcity: unknown field (rule additionalProperties)"],
  ["an unknown tier", "capacity: { tiers: { writer: { baselineInstances: 2 } } }", "capacity.tiers.writer"],
  [
    "zero instances",
    "capacity: { tiers: { gateway: { baselineInstances: 0 } } }",
    "capacity.tiers.gateway.baselineInstances",
  ],
  [
    "fractional concurrency",
    "capacity: { tiers: { read: { concurrencyPerInstance: 1.5 } } }",
    "capacity.tiers.read.concurrencyPerInstance",
  ],
  ["a service time as text", "capacity: { serviceTimeMs: { order: fast } }", "capacity.serviceTimeMs.order"],
  ["a zero mean service time", "capacity: { serviceTimeMs: { depth: 0 } }", "capacity.serviceTimeMs.depth"],
  [
    "a minimum above the mean",
    "capacity: { serviceTimeMinMs: { order: 50 } }",
    "capacity.serviceTimeMinMs.order",
  ],
  ["a negative queue", "capacity: { maxQueue: -1 }", "capacity.maxQueue"],
  ["a zero queue timeout", "capacity: { queueTimeoutMs: 0 }", "capacity.queueTimeoutMs"],
  ["an unknown strategy", "capacity: { strategy: elastic }", "capacity.strategy"],
  [
    "a target above 1",
    "capacity: { strategyParams: { reactive: { targetUtilisation: 1.5 } } }",
    "capacity.strategyParams.reactive.targetUtilisation",
  ],
  [
    "an unknown metric",
    "capacity: { strategyParams: { reactiveHpa: { metric: cpu } } }",
    "capacity.strategyParams.reactiveHpa.metric",
  ],
  [
    "a negative warm-up",
    "capacity: { strategyParams: { reactive: { warmupS: -5 } } }",
    "capacity.strategyParams.reactive.warmupS",
  ],
  [
    "a schedule ending before it starts",
    "capacity: { strategyParams: { scheduledAtS: 600, scheduledUntilS: 60 } }",
    "scheduledUntilS",
  ],
  [
    "a shedding fraction above 1",
    "capacity: { strategyParams: { shedding: { reservedFraction: 2 } } }",
    "capacity.strategyParams.shedding.reservedFraction",
  ],
  ["a zero replica apply rate", "replica: { applyPerS: 0 }", "replica.applyPerS"],
  [
    "a ban longer at first than at most",
    "limits: { banBaseMs: 600000, banMaxMs: 60000 }",
    "limits.banBaseMs",
  ],
  ["more orders per 10 s than per minute", "limits: { ordersPer10s: 2000 }", "limits.ordersPer10s"],
  ["a negative price", "pricing: { usdPerInstanceHour: { read: -1 } }", "pricing.usdPerInstanceHour.read"],
  ["a list for the whole file", "- capacity", "(file)"],
];

describe("a bad venue file is exit 2 (E_BAD_VENUE) with a message naming the field", () => {
  it.each(MISTAKES)("%s", (_what, text, field) => {
    const err = thrown(() => parseVenue(text, "venue.yaml"));
    expect(err.code).toBe("E_BAD_VENUE");
    expect(err.exitCode).toBe(2);
    expect(err.message).toContain(field);
  });

  it("reports every schema error at once, not the first", () => {
    const err = thrown(() =>
      parseVenue("capacity: { maxQueue: -1, queueTimeoutMs: 0 }\nreplica: { applyPerS: 0 }", "v.yaml"),
    );
    for (const field of ["capacity.maxQueue", "capacity.queueTimeoutMs", "replica.applyPerS"])
      expect(err.message).toContain(field);
  });

  it("a missing file is E_BAD_VENUE", () => {
    expect(thrown(() => loadVenue(join(dir(), "nope.yaml"))).code).toBe("E_BAD_VENUE");
  });
});
