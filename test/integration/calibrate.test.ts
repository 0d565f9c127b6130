import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startVenueServer, type VenueServer } from "../../mock-exchange/api/server.ts";
import { EXCHANGE_DEFAULTS } from "../../mock-exchange/defaults.ts";
import { applyVenueFile } from "../../mock-exchange/venueFile.ts";
import { stepFigures } from "../../scripts/calibrate/fit.ts";
import { createPacer } from "../../scripts/calibrate/pacer.ts";
import { classRequest } from "../../scripts/calibrate/requests.ts";
import { type CalibrateResult, runCalibrate } from "../../scripts/calibrate/run.ts";
import { simulateStep } from "../../scripts/calibrate/simulateStep.ts";
import { loadVenue, parseVenue } from "../../scripts/venue.ts";

/**
 * The proof: calibrate against the mock set to a venue whose answer is known (3 gateway
 * instances x 8 concurrency, 20 ms mean order service time), and get it back: workers within 15%,
 * mean service time within 10%, in under 3 minutes. Then the fitted file's prediction of two load
 * steps (the capacity model the simulator runs, in virtual time) agrees with the same steps
 * measured against that mock.
 */

const KNOWN = `
capacity:
  strategy: fixed
  tiers:
    gateway: { baselineInstances: 3, concurrencyPerInstance: 8 }
  serviceTimeMs: { order: 20 }
`;
const TRUE_WORKERS = 24;
const TRUE_SERVICE_MS = 20;
const TRUE_CAPACITY_RPS = (TRUE_WORKERS * 1000) / TRUE_SERVICE_MS;

let exchange: VenueServer;
let result: CalibrateResult;
let elapsedS: number;

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), "stampede-calibrate-"));
  const path = join(dir, "known.yaml");
  writeFileSync(path, KNOWN);
  // Client IPs through X-Forwarded-For and enough accounts that no weight or order-count limit
  // is what turns latency: the capacity model is what is measured (as a drill sets up the mock).
  const config = {
    ...applyVenueFile(EXCHANGE_DEFAULTS, loadVenue(path).file),
    trustProxy: true,
    accounts: 128,
  };
  exchange = await startVenueServer({ port: 0, host: "127.0.0.1", config });
  const began = Date.now();
  result = await runCalibrate({
    target: exchange.url,
    iOwnThisTarget: false,
    maxRps: 3_000,
    classes: ["order"],
    instances: { gateway: 3 },
    log: (line) => process.stderr.write(`${line}\n`),
    env: { STAMPEDE_CONTROL_TOKEN: exchange.controlToken },
  });
  elapsedS = (Date.now() - began) / 1000;
}, 200_000);

afterAll(async () => {
  await exchange?.close();
});

describe("calibrate against a mock whose answer is known", () => {
  it("gets back workers within 15% and mean service time within 10%, in under 3 minutes", () => {
    const order = result.fit.classes.order;
    process.stderr.write(
      `calibrate: ${elapsedS.toFixed(1)} s; workers ${order?.workers} (true ${TRUE_WORKERS}), service ${order?.meanServiceTimeMs} ms (true ${TRUE_SERVICE_MS}), knee ${order?.kneeRps}/s, fit error ${order?.relativeError}\n`,
    );
    expect(elapsedS).toBeLessThan(180);
    expect(Math.abs((order?.workers ?? 0) - TRUE_WORKERS) / TRUE_WORKERS).toBeLessThan(0.15);
    expect(Math.abs((order?.meanServiceTimeMs ?? 0) - TRUE_SERVICE_MS) / TRUE_SERVICE_MS).toBeLessThan(0.1);
    // Per instance, the fitted workers / 3 rounded: the same 15% (22.4 workers on a loaded machine
    // is within it, and rounds to 7 of the true 8).
    const perInstance = order?.concurrencyPerInstance ?? 0;
    expect(Math.abs(perInstance - TRUE_WORKERS / 3) / (TRUE_WORKERS / 3)).toBeLessThan(0.15);
    // The file it writes loads as a venue with the fitted values in place.
    const fitted = parseVenue(result.yaml, "calibrated.yaml");
    expect(fitted.capacity?.tiers?.gateway).toEqual({
      baselineInstances: 3,
      concurrencyPerInstance: perInstance,
    });
    expect(fitted.capacity?.serviceTimeMs?.order).toBe(order?.meanServiceTimeMs);
    expect(fitted.fit?.classes.order?.kneeRps).toBeGreaterThan(0);
  });

  it("the fitted venue's simulated steps agree with the same steps measured on the mock", async () => {
    const fitted = parseVenue(result.yaml, "calibrated.yaml");
    const config = { ...applyVenueFile(EXCHANGE_DEFAULTS, fitted), trustProxy: true, accounts: 128 };
    const overheadMs = result.fit.overheadMs ?? 0;
    const accounts = (await (
      await fetch(`${exchange.url}/__stampede/accounts`, {
        headers: { Authorization: `Bearer ${exchange.controlToken}` },
      })
    ).json()) as { accounts: Array<{ apiKey: string; apiSecret: string }> };
    const ctx = {
      symbol: "BTCUSDT",
      orderPrice: "50000.0",
      orderQty: "0.001",
      keys: accounts.accounts,
      forwardedFor: Array.from({ length: 2_000 }, (_, i) => `127.67.${Math.floor(i / 250)}.${(i % 250) + 1}`),
    };
    const pacer = createPacer(exchange.url, 512);
    try {
      // Below the knee and 1.5x past it: the queue, then timeouts and shedding.
      for (const rps of [0.6 * TRUE_CAPACITY_RPS, 1.5 * TRUE_CAPACITY_RPS]) {
        const measured = stepFigures(await pacer.open(rps, 3, (i) => classRequest("order", i, ctx)));
        const predicted = stepFigures(simulateStep(config, "order", rps, 3, overheadMs));
        const refusedShare = (f: typeof measured) => f.refused / (f.served + f.refused);
        process.stderr.write(
          `at ${rps}/s: served ${measured.servedRps.toFixed(0)} vs ${predicted.servedRps.toFixed(0)}/s, mean ${measured.meanMs.toFixed(1)} vs ${predicted.meanMs.toFixed(1)} ms, p99 ${measured.p99Ms.toFixed(1)} vs ${predicted.p99Ms.toFixed(1)} ms, refused ${refusedShare(measured).toFixed(3)} vs ${refusedShare(predicted).toFixed(3)}\n`,
        );
        // "Agree": served throughput within 10%, the refused share within 5 points, served mean
        // latency within 20% and p99 within 30% (the measured side carries the event loop's jitter).
        expect(Math.abs(measured.servedRps - predicted.servedRps) / predicted.servedRps).toBeLessThan(0.1);
        expect(Math.abs(refusedShare(measured) - refusedShare(predicted))).toBeLessThan(0.05);
        expect(Math.abs(measured.meanMs - predicted.meanMs) / predicted.meanMs).toBeLessThan(0.2);
        expect(Math.abs(measured.p99Ms - predicted.p99Ms) / predicted.p99Ms).toBeLessThan(0.3);
      }
    } finally {
      await pacer.close();
    }
  }, 60_000);
});
