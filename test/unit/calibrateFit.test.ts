import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { StampedeError } from "../../loadtests/vocabulary/cliErrors.ts";
import {
  fitClass,
  hasTurned,
  rampRates,
  type StepFigures,
  stepFigures,
} from "../../scripts/calibrate/fit.ts";
import { runCalibrate } from "../../scripts/calibrate/run.ts";

function figures(offeredRps: number, servedRps: number, meanMs: number, refused = 0): StepFigures {
  return {
    offeredRps,
    servedRps,
    meanMs,
    p50Ms: meanMs,
    p99Ms: meanMs * 3,
    minMs: meanMs / 2,
    served: Math.round(servedRps * 2),
    refused,
  };
}

describe("calibration's fit", () => {
  it("reads percentiles and served throughput from 2xx answers only", () => {
    const f = stepFigures({
      offeredRps: 10,
      durationS: 2,
      samples: [
        { latencyMs: 10, status: 200, doneMs: 100 },
        { latencyMs: 30, status: 200, doneMs: 1_900 },
        // Served after the step ended: in the latencies, not in the step's throughput.
        { latencyMs: 40, status: 200, doneMs: 2_030 },
        { latencyMs: 300, status: 503, doneMs: 500 },
      ],
      dropped: 1,
      failed: 0,
    });
    expect(f).toMatchObject({ servedRps: 1, meanMs: 80 / 3, minMs: 10, p99Ms: 40, served: 3, refused: 2 });
  });

  it("ramps x1.5 from a quarter of one worker's rate and ends at the cap", () => {
    const rates = rampRates(20, 200);
    expect(rates[0]).toBe(13);
    expect(rates.at(-1)).toBe(200);
    expect(rates.every((r) => r <= 200)).toBe(true);
  });

  it("latency has turned when a tenth is refused, throughput falls short, or the median triples", () => {
    expect(hasTurned(figures(100, 100, 21), 20)).toBe(false);
    expect(hasTurned(figures(100, 80, 21), 20)).toBe(true);
    expect(hasTurned(figures(100, 100, 21, 50), 20)).toBe(true);
    expect(hasTurned(figures(100, 100, 61), 20)).toBe(true);
  });

  it("workers = knee throughput x service time, split into the given instances", () => {
    const fit = fitClass({
      lowLoad: figures(50, 50, 20),
      ramp: [
        figures(100, 100, 20.1),
        figures(400, 400, 20.5),
        figures(1800, 1200, 60, 600),
        figures(2700, 1190, 61, 1500),
      ],
      turned: true,
      instances: 3,
      overheadMs: 0,
    });
    expect(fit.kneeRps).toBe(1200);
    expect(fit.workers).toBe(24);
    expect(fit.concurrencyPerInstance).toBe(8);
    expect(fit.relativeError).not.toBeNull();
    expect(fit.relativeError as number).toBeLessThan(0.05);
  });

  it("without a turn below the cap the workers stay unknown", () => {
    const fit = fitClass({
      lowLoad: figures(50, 50, 20),
      ramp: [figures(100, 100, 20)],
      turned: false,
      instances: 3,
      overheadMs: 0,
    });
    expect(fit.workers).toBeNull();
    expect(fit.concurrencyPerInstance).toBeNull();
  });
});

describe("calibrate's safety", () => {
  it("refuses a target off this machine without --i-own-this-target, before sending anything (exit 2)", async () => {
    const err = await runCalibrate({
      target: "https://staging.example",
      iOwnThisTarget: false,
      maxRps: 10,
      classes: ["depth"],
      instances: {},
      log: () => {},
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StampedeError);
    expect((err as StampedeError).code).toBe("E_USAGE");
  });

  it("follows no redirect: a target whose ping redirects is E_TARGET_REDIRECT, and nothing else is requested", async () => {
    const seen: string[] = [];
    const server = createServer((req, res) => {
      seen.push(req.url ?? "");
      res.writeHead(302, { Location: "http://127.0.0.2/elsewhere" }).end();
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const { port } = server.address() as AddressInfo;
    try {
      const err = await runCalibrate({
        target: `http://127.0.0.1:${port}`,
        iOwnThisTarget: false,
        maxRps: 10,
        classes: ["depth"],
        instances: {},
        log: () => {},
      }).catch((e: unknown) => e);
      expect((err as StampedeError).code).toBe("E_TARGET_REDIRECT");
      expect(seen).toEqual(["/fapi/v1/ping"]);
    } finally {
      server.close();
    }
  });
});
