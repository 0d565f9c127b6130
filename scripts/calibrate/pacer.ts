import { performance } from "node:perf_hooks";
import { Agent, request } from "undici";
import { StampedeError } from "../errors.ts";
import type { ClassRequest } from "./requests.ts";

/**
 * The load of a calibration step: an open model (arrivals on schedule whatever the answers do,
 * so a slow venue is not hidden by a client that waits for it) with a cap on requests in flight
 * (an arrival that finds the cap full is dropped and counted, never sent late). Through undici on
 * an Agent of its own, following no redirect: a 3xx stops calibration (E_TARGET_REDIRECT).
 */

export interface Sample {
  latencyMs: number;
  status: number;
  /** When the answer arrived, ms since the step began. */
  doneMs: number;
}

export interface StepResult {
  offeredRps: number;
  durationS: number;
  samples: Sample[];
  /** Arrivals not sent: the in-flight cap was full. */
  dropped: number;
  /** Requests that got no HTTP answer (connection error, client timeout). */
  failed: number;
}

export interface Pacer {
  /** One request after another: the service time with no queue at all. */
  sequential(count: number, build: (i: number) => ClassRequest): Promise<StepResult>;
  /** `rps` arrivals per second, evenly spaced, for `durationS`. */
  open(rps: number, durationS: number, build: (i: number) => ClassRequest): Promise<StepResult>;
  close(): Promise<void>;
}

const TICK_MS = 2;
const CLIENT_TIMEOUT_MS = 10_000;

export function createPacer(baseUrl: string, maxInFlight: number): Pacer {
  const agent = new Agent({ connections: maxInFlight, pipelining: 1, connect: { timeout: 5_000 } });
  let sent = 0;
  let redirect: StampedeError | undefined;

  async function one(req: ClassRequest, into: StepResult, stepBegan: number): Promise<void> {
    const began = performance.now();
    try {
      const res = await request(`${baseUrl}${req.path}`, {
        method: req.method,
        headers: req.headers,
        body: req.body ?? null,
        dispatcher: agent,
        headersTimeout: CLIENT_TIMEOUT_MS,
        bodyTimeout: CLIENT_TIMEOUT_MS,
      });
      await res.body.dump();
      const latencyMs = performance.now() - began;
      if (res.statusCode >= 300 && res.statusCode < 400)
        redirect ??= new StampedeError(
          "E_TARGET_REDIRECT",
          `${req.method} ${req.path.split("?")[0]} answered ${res.statusCode} redirecting to ${String(res.headers.location ?? "(no Location)")}: calibration follows no redirect`,
        );
      into.samples.push({ latencyMs, status: res.statusCode, doneMs: performance.now() - stepBegan });
    } catch {
      into.failed++;
    }
  }

  return {
    async sequential(count, build) {
      const r: StepResult = { offeredRps: 0, durationS: 0, samples: [], dropped: 0, failed: 0 };
      const began = performance.now();
      for (let i = 0; i < count && redirect === undefined; i++) await one(build(sent++), r, began);
      r.durationS = (performance.now() - began) / 1000;
      r.offeredRps = count / Math.max(r.durationS, 1e-9);
      if (redirect !== undefined) throw redirect;
      return r;
    },
    async open(rps, durationS, build) {
      const r: StepResult = { offeredRps: rps, durationS, samples: [], dropped: 0, failed: 0 };
      const total = Math.max(1, Math.round(rps * durationS));
      const inFlight = new Set<Promise<void>>();
      const began = performance.now();
      let next = 0;
      while (next < total && redirect === undefined) {
        const due = Math.min(total, Math.floor(((performance.now() - began) / 1000) * rps) + 1);
        for (; next < due; next++) {
          if (inFlight.size >= maxInFlight) {
            r.dropped++;
            continue;
          }
          const p: Promise<void> = one(build(sent++), r, began).finally(() => inFlight.delete(p));
          inFlight.add(p);
        }
        await new Promise((resolve) => setTimeout(resolve, TICK_MS));
      }
      await Promise.all(inFlight);
      if (redirect !== undefined) throw redirect;
      return r;
    },
    close: () => agent.close(),
  };
}
