import { TIERS, type TierName } from "../../loadtests/vocabulary/capacity.ts";
import { StampedeError } from "../../loadtests/vocabulary/cliErrors.ts";
import { EXCHANGE_DEFAULTS } from "../../mock-exchange/defaults.ts";
import { type CalibrationFit, CLASS_TIER, type VenueFile } from "../../mock-exchange/venueFile.ts";
import { ControlPlane, probeDialect, requestNoRedirect } from "../controlPlane.ts";
import { apiKeysFromEnv, checkTarget } from "../target.ts";
import { parseVenue } from "../venue.ts";
import { defaultVenueFile, venueYaml } from "../venueInit.ts";
import { fitClass, hasTurned, rampRates, type StepFigures, stepFigures } from "./fit.ts";
import { createPacer } from "./pacer.ts";
import {
  type ApiKey,
  CALIBRATED_CLASSES,
  type CalibratedClassName,
  classRequest,
  type RequestContext,
} from "./requests.ts";

/**
 * `stampede calibrate --target URL --i-own-this-target --max-rps N`: per traffic class, the
 * service time with nothing queued (one request at a time), then open-model steps x1.5 from a
 * quarter of one worker's rate up to the cap until latency turns; fits workers and service time
 * (fit.ts) and writes a venue file with them and a `fit` block. Safe as `drill --target`
 * (target.ts): loopback or explicit consent, the cap checked before anything is sent (no step
 * exceeds it), no redirect followed (pacer.ts, controlPlane.ts).
 */

export interface CalibrateOptions {
  target: string;
  iOwnThisTarget: boolean;
  maxRps: number;
  classes: readonly CalibratedClassName[];
  /** Instances per tier the fitted workers are split into; default the defaults' baseline. */
  instances: Partial<Record<TierName, number>>;
  /** Requests of the unloaded step per class. */
  lowLoadRequests?: number | undefined;
  /** Wall seconds of each open-model step. */
  stepS?: number | undefined;
  log: (line: string) => void;
  env?: NodeJS.ProcessEnv | undefined;
}

export interface CalibrateResult {
  venue: VenueFile;
  fit: CalibrationFit;
  yaml: string;
  elapsedS: number;
}

/** Requests in flight at most: more than any queue a venue holds before it sheds (the mock's is 48 per tier). */
const MAX_IN_FLIGHT = 512;
/** Client IPs a stampede mock sees the load from, so no one IP's weight limit is what turns latency. */
const FORWARDED_IPS = Array.from(
  { length: 4_000 },
  (_, i) => `127.66.${Math.floor(i / 250)}.${(i % 250) + 1}`,
);

async function context(
  baseUrl: string,
  classes: readonly CalibratedClassName[],
  env: NodeJS.ProcessEnv,
): Promise<RequestContext> {
  const token = env.STAMPEDE_CONTROL_TOKEN?.trim() || undefined;
  const control = new ControlPlane(baseUrl, token);
  const probe = await control.probe();
  let keys: ApiKey[];
  if (probe.kind === "present")
    keys = (await control.accounts()).map(({ apiKey, apiSecret }) => ({ apiKey, apiSecret }));
  else keys = apiKeysFromEnv(env);
  if (keys.length === 0 && classes.some((c) => c !== "depth"))
    throw new StampedeError(
      "E_USAGE",
      "calibrating order or position needs keys: the target's stampede control plane (STAMPEDE_CONTROL_TOKEN) or STAMPEDE_API_KEYS",
    );
  const symbol = EXCHANGE_DEFAULTS.symbols[0]?.symbol ?? "BTCUSDT";
  const book = await requestNoRedirect(`${baseUrl}/fapi/v1/depth?symbol=${symbol}&limit=5`, "GET");
  const bestBid = Number((JSON.parse(book.text) as { bids?: string[][] }).bids?.[0]?.[0] ?? Number.NaN);
  if (!(bestBid > 0))
    throw new StampedeError(
      "E_USAGE",
      `${baseUrl}: no bid in the ${symbol} book to price a calibration order`,
    );
  return {
    symbol,
    // 3% under the best bid: an IOC there expires at once, as a real order that found no match.
    orderPrice: (Math.floor(bestBid * 0.97 * 10) / 10).toFixed(1),
    orderQty: "0.001",
    keys,
    // Only a stampede mock is known to take X-Forwarded-For as the client IP (a drill does the same).
    forwardedFor: probe.kind === "present" ? FORWARDED_IPS : undefined,
  };
}

interface ClassMeasurement {
  lowLoad: StepFigures;
  ramp: StepFigures[];
  turned: boolean;
}

/**
 * The round trip around the venue's work (network, HTTP, parsing): the unloaded latency of
 * GET /fapi/v1/ping, the cheapest request a venue answers. Calibration subtracts it, since the
 * capacity model's service time is the time a request holds a worker, not the client's latency.
 */
async function overheadMs(pacer: ReturnType<typeof createPacer>): Promise<{ meanMs: number; minMs: number }> {
  const ping = () => ({ method: "GET" as const, path: "/fapi/v1/ping", body: undefined, headers: {} });
  await pacer.sequential(10, ping);
  const f = stepFigures(await pacer.sequential(100, ping));
  return { meanMs: f.meanMs, minMs: f.minMs };
}

function withoutOverhead(f: StepFigures, overhead: { meanMs: number; minMs: number }): StepFigures {
  const less = (x: number, by: number) => Math.max(x - by, 0.001);
  return {
    ...f,
    meanMs: less(f.meanMs, overhead.meanMs),
    p50Ms: less(f.p50Ms, overhead.meanMs),
    p99Ms: less(f.p99Ms, overhead.meanMs),
    minMs: less(f.minMs, overhead.minMs),
  };
}

async function measureClass(
  cls: CalibratedClassName,
  pacer: ReturnType<typeof createPacer>,
  ctx: RequestContext,
  opts: CalibrateOptions,
  overheadMs: { meanMs: number; minMs: number },
): Promise<ClassMeasurement> {
  const build = (i: number) => classRequest(cls, i, ctx);
  // Warm the connections first, so the unloaded step measures the venue, not TCP handshakes.
  await pacer.sequential(10, build);
  const unloaded = stepFigures(await pacer.sequential(opts.lowLoadRequests ?? 150, build));
  const lowLoad = withoutOverhead(unloaded, overheadMs);
  if (!(lowLoad.served > 0))
    throw new StampedeError(
      "E_USAGE",
      `${cls}: no request was served (2xx) at low load; check keys and the target`,
    );
  opts.log(
    `calibrate ${cls}: unloaded service time mean ${lowLoad.meanMs.toFixed(2)} ms, p99 ${lowLoad.p99Ms.toFixed(2)} ms`,
  );
  const ramp: StepFigures[] = [];
  let turned = false;
  for (const rps of rampRates(lowLoad.meanMs, opts.maxRps)) {
    const f = stepFigures(await pacer.open(rps, opts.stepS ?? 2, build));
    ramp.push(f);
    opts.log(
      `calibrate ${cls}: offered ${rps}/s served ${f.servedRps.toFixed(0)}/s mean ${f.meanMs.toFixed(1)} ms p99 ${f.p99Ms.toFixed(1)} ms refused ${f.refused}`,
    );
    if (hasTurned(f, lowLoad.meanMs)) {
      // One step past the turn confirms the plateau of served throughput (the knee).
      if (turned) break;
      turned = true;
    }
  }
  return { lowLoad, ramp, turned };
}

/** Today's venue with the fitted tiers and service times in place. */
function fittedVenue(fit: CalibrationFit): VenueFile {
  const venue = defaultVenueFile();
  const cap = venue.capacity ?? {};
  for (const [cls, c] of Object.entries(fit.classes) as Array<
    [CalibratedClassName, NonNullable<CalibrationFit["classes"]["order"]>]
  >) {
    cap.serviceTimeMs = { ...cap.serviceTimeMs, [cls]: c.meanServiceTimeMs };
    cap.serviceTimeMinMs = {
      ...cap.serviceTimeMinMs,
      [cls]: Math.min(c.minServiceTimeMs, c.meanServiceTimeMs),
    };
    const tier = CLASS_TIER[cls];
    // The gateway serves orders and depth: its sizing comes from orders when both were measured.
    if (
      c.instances !== null &&
      c.concurrencyPerInstance !== null &&
      !(cls === "depth" && fit.classes.order?.instances)
    )
      cap.tiers = {
        ...cap.tiers,
        [tier]: { baselineInstances: c.instances, concurrencyPerInstance: c.concurrencyPerInstance },
      };
  }
  venue.description = `calibrated against ${fit.target} at ${fit.at} (stampede calibrate); fields not measured keep stampede's defaults`;
  venue.fit = fit;
  return venue;
}

export async function runCalibrate(opts: CalibrateOptions): Promise<CalibrateResult> {
  const began = Date.now();
  if (opts.classes.length === 0)
    throw new StampedeError("E_USAGE", `--classes names none of ${CALIBRATED_CLASSES.join(", ")}`);
  for (const [tier, n] of Object.entries(opts.instances))
    if (!((TIERS as readonly string[]).includes(tier) && Number.isInteger(n) && (n as number) >= 1))
      throw new StampedeError(
        "E_USAGE",
        `--instances ${tier}=${n}: a tier (${TIERS.join(", ")}) and an integer >= 1`,
      );
  // Every step's rate is at most the cap, so the plan's peak is the cap itself: checked before anything is sent.
  const target = checkTarget(
    { url: opts.target, iOwnThisTarget: opts.iOwnThisTarget, maxRps: opts.maxRps },
    opts.maxRps,
  );
  await probeDialect(target.baseUrl);
  const ctx = await context(target.baseUrl, opts.classes, opts.env ?? process.env);
  const pacer = createPacer(target.baseUrl, MAX_IN_FLIGHT);
  const fit: CalibrationFit = {
    target: target.baseUrl,
    at: new Date().toISOString(),
    maxRps: opts.maxRps,
    classes: {},
  };
  try {
    const overhead = await overheadMs(pacer);
    opts.log(
      `calibrate: round trip without the venue's work (ping) ${overhead.meanMs.toFixed(2)} ms, subtracted`,
    );
    fit.overheadMs = Math.round(overhead.meanMs * 1000) / 1000;
    for (const cls of opts.classes) {
      const m = await measureClass(cls, pacer, ctx, opts, overhead);
      const tier = CLASS_TIER[cls];
      const instances = opts.instances[tier] ?? EXCHANGE_DEFAULTS.capacity.tiers[tier].baselineInstances;
      fit.classes[cls] = fitClass({ ...m, instances, overheadMs: overhead.meanMs });
      if (!m.turned)
        opts.log(
          `calibrate ${cls}: latency did not turn below --max-rps ${opts.maxRps}: workers unknown (at least ${((opts.maxRps * m.lowLoad.meanMs) / 1000).toFixed(1)})`,
        );
    }
  } finally {
    await pacer.close();
  }
  const venue = fittedVenue(fit);
  const yaml = venueYaml(
    venue,
    `stampede venue file calibrated by stampede calibrate against ${fit.target}: workers from the knee, service times from unloaded requests; the fit block says how well they fit.`,
  );
  // What is written must load: the same validation as --venue.
  parseVenue(yaml, "the calibrated venue");
  return { venue, fit, yaml, elapsedS: (Date.now() - began) / 1000 };
}
