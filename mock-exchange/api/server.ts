import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { EXCHANGE_DEFAULTS, type ExchangeConfig } from "../defaults.ts";
import type { Venue } from "../venue.ts";
import { ControlAccess, controlTokenProblem, newControlToken } from "./control.ts";
import { ControlRoutes } from "./controlRoutes.ts";
import { ERR } from "./errors.ts";
import { ExchangeRequests } from "./exchangeRequests.ts";
import { ExchangeInstance } from "./instance.ts";
import { createListener, listen } from "./listener.ts";
import { ExchangeMetrics, METRICS_CONTENT_TYPE } from "./metrics.ts";
import { readBody, refuse } from "./respond.ts";
import { findRoute } from "./routes.ts";
import { attachStreams } from "./streams.ts";
import { startVenueTick } from "./venueTick.ts";

/**
 * The mock exchange over HTTP, put together: the Binance USDⓈ-M dialect under /fapi
 * (exchangeRequests.ts), the control plane under /__stampede (controlRoutes.ts), never mixed;
 * Prometheus metrics at /metrics; WebSocket streams on the same port (streams.ts); the listener's
 * limits (listener.ts) and the venue's shared tick (venueTick.ts). Every plane reads the current
 * venue from one ExchangeInstance, which a reset replaces.
 */

export interface VenueServer {
  readonly url: string;
  readonly venue: Venue;
  readonly server: Server;
  /** The token every control-plane request must carry (`Authorization: Bearer <token>`). */
  readonly controlToken: string;
  /** Random per start: changes when the process behind the URL is another one. */
  readonly instanceId: string;
  close(): Promise<void>;
}

export interface StartOptions {
  port?: number;
  host?: string;
  config?: ExchangeConfig;
  now?: () => number;
  /** The control plane's token; default a fresh random one (control.ts newControlToken). */
  controlToken?: string | undefined;
}

export async function startVenueServer(options: StartOptions = {}): Promise<VenueServer> {
  const now = options.now ?? Date.now;
  const instance = new ExchangeInstance(options.config ?? EXCHANGE_DEFAULTS, now);
  // Prometheus metrics (GET /metrics): one object for the exchange's life, across resets.
  const metrics = new ExchangeMetrics();
  metrics.venueStarted(instance.venue, false);
  const exchange = new ExchangeRequests(instance, metrics, now);

  const controlToken = options.controlToken ?? newControlToken();
  const tokenProblem = controlTokenProblem(controlToken);
  if (tokenProblem !== undefined) throw new Error(tokenProblem);
  // A reset ends what waits on the old venue: its pending answers (their connections closed).
  const control = new ControlRoutes(instance, new ControlAccess(controlToken, now), (config) => {
    exchange.dropPending();
    metrics.venueStarted(instance.reset(config), true);
  });

  const planes: Planes = { instance, exchange, control, metrics };
  const server = createListener(instance.config.listener, (req, res) => routeRequest(req, res, planes));
  const stopTick = startVenueTick(instance, metrics, now);
  // WebSocket streams on the same port (/ws/<stream>, /stream?streams=...); they follow a reset venue.
  const streams = attachStreams(server, () => instance.venue, now);
  const url = await listen(server, options.port ?? 0, options.host ?? "127.0.0.1");

  return {
    url,
    get venue() {
      return instance.venue;
    },
    server,
    controlToken,
    instanceId: instance.instanceId,
    close: async () => {
      stopTick();
      streams.close();
      exchange.dropPending();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

interface Planes {
  instance: ExchangeInstance;
  exchange: ExchangeRequests;
  control: ControlRoutes;
  metrics: ExchangeMetrics;
}

/** Sends a request to its plane by path; the dialect's routes (routes.ts) past that. */
function routeRequest(req: IncomingMessage, res: ServerResponse, planes: Planes) {
  const rawUrl = req.url ?? "/";
  const q = rawUrl.indexOf("?");
  const path = q < 0 ? rawUrl : rawUrl.slice(0, q);
  const query = q < 0 ? "" : rawUrl.slice(q + 1);
  const method = req.method ?? "GET";
  // Prometheus scrape, next to the control plane: not exchange traffic, no weight, no timeline.
  if (path === "/metrics" && method === "GET") return serveMetrics(res, planes.metrics);
  const maxBodyBytes = planes.instance.config.maxBodyBytes;
  if (path.startsWith("/__stampede/")) {
    readBody(req, maxBodyBytes, (tooLarge, body) => {
      if (tooLarge) return refuse(res, ERR.PAYLOAD_TOO_LARGE, { max: maxBodyBytes });
      planes.control.handle(req, res, path, query, body);
    });
    return;
  }
  const route = findRoute(method, path);
  if (route === undefined) return refuse(res, ERR.NOT_FOUND, { path });
  if (route === "method") return refuse(res, ERR.METHOD_NOT_ALLOWED, { method, path });
  if (method === "GET") return planes.exchange.handle(req, res, route, query, "");
  readBody(req, maxBodyBytes, (tooLarge, body) => {
    if (tooLarge) return refuse(res, ERR.PAYLOAD_TOO_LARGE, { max: maxBodyBytes });
    planes.exchange.handle(req, res, route, query, body);
  });
}

function serveMetrics(res: ServerResponse, metrics: ExchangeMetrics): void {
  metrics.scrape().then(
    (text) => {
      res.writeHead(200, { "Content-Type": METRICS_CONTENT_TYPE, "Content-Length": Buffer.byteLength(text) });
      res.end(text);
    },
    (err: unknown) => {
      console.error("mock exchange: /metrics failed", err);
      refuse(res, ERR.UNKNOWN);
    },
  );
}
