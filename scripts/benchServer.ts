import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { pathToFileURL } from "node:url";
import { startVenueServer, type VenueServer } from "../mock-exchange/api/server.ts";
import { EXCHANGE_DEFAULTS, type ExchangeConfig } from "../mock-exchange/defaults.ts";

/**
 * The server side of the HTTP benchmarks (scripts/benchHttp.ts, scripts/benchSoak.ts), run as a
 * child process (`node --import tsx scripts/benchServer.ts`, IPC channel) so that it has its
 * own event loop and core, apart from the load generator. One server per process, driven by
 * messages:
 *
 * - `{type:"exchange", config, controlToken}`: the mock exchange with that config on 127.0.0.1:0,
 *   its control plane answering that token (the parent's, so it never travels in argv);
 * - `{type:"raw", response, busyUs?}`: a bare node:http server answering every request with the
 *   same status, headers and body (the baseline of `http_raw_rps`); with busyUs, it first spins
 *   that many microseconds of CPU per request (the calibration of `http_busy_raw_rps`);
 * - `{type:"stats", id}`: answers `{type:"stats", id, rssBytes, cpuUs}` (process.memoryUsage().rss
 *   and the CPU time, user + system, the process has used so far);
 * - `{type:"stop"}`: closes the server and exits.
 *
 * Answers `{type:"ready", url}` once listening, `{type:"error", message}` if it could not start.
 */

export interface RawResponse {
  status: number;
  /** Header name/value pairs in the order the mock sent them, hop-by-hop headers removed. */
  headers: [string, string][];
  body: string;
}

export type ServerCommand =
  | { type: "exchange"; config: ExchangeConfig; controlToken: string }
  | { type: "raw"; response: RawResponse; busyUs?: number }
  | { type: "stats"; id: number }
  | { type: "stop" };

export type ServerReply =
  | { type: "ready"; url: string }
  | { type: "stats"; id: number; rssBytes: number; cpuUs: number }
  | { type: "error"; message: string };

/**
 * The bare server: no routing, no parsing beyond node's own, the same bytes for every request.
 * busyUs > 0 adds that much CPU per request before answering, spent spinning on the monotonic
 * clock: work with no allocation, no memory traffic and no syscall, so what it costs beyond
 * busyUs is what being slower costs a server on this machine (the generator idles and each
 * response has to wake it).
 */
export async function startRawServer(response: RawResponse, busyUs = 0): Promise<Server> {
  const body = Buffer.from(response.body, "utf8");
  const headers: Record<string, string> = {};
  for (const [name, value] of response.headers) headers[name] = value;
  const busyMs = busyUs / 1000;
  const server = createServer((_req, res) => {
    if (busyMs > 0) {
      const until = performance.now() + busyMs;
      while (performance.now() < until);
    }
    res.writeHead(response.status, headers);
    res.end(body);
  });
  // The mock's keep-alive, so both send the same Keep-Alive header (server.ts).
  server.keepAliveTimeout = EXCHANGE_DEFAULTS.listener.keepAliveTimeoutMs;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  return server;
}

function reply(message: ServerReply): void {
  process.send?.(message);
}

// Only as the entry point of a child with an IPC channel: importing this file does nothing.
const isEntry = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isEntry && process.send !== undefined) {
  let exchange: VenueServer | undefined;
  let raw: Server | undefined;
  const urlOf = (s: Server) => {
    const a = s.address() as AddressInfo;
    return `http://${a.address}:${a.port}`;
  };
  process.on("message", (message: ServerCommand) => {
    switch (message.type) {
      case "exchange":
        startVenueServer({
          host: "127.0.0.1",
          port: 0,
          config: message.config,
          controlToken: message.controlToken,
        }).then(
          (started) => {
            exchange = started;
            reply({ type: "ready", url: started.url });
          },
          (err: unknown) => reply({ type: "error", message: String(err) }),
        );
        return;
      case "raw":
        startRawServer(message.response, message.busyUs).then(
          (started) => {
            raw = started;
            reply({ type: "ready", url: urlOf(started) });
          },
          (err: unknown) => reply({ type: "error", message: String(err) }),
        );
        return;
      case "stats": {
        const cpu = process.cpuUsage();
        reply({
          type: "stats",
          id: message.id,
          rssBytes: process.memoryUsage().rss,
          cpuUs: cpu.user + cpu.system,
        });
        return;
      }
      case "stop": {
        const closing: Promise<void>[] = [];
        if (exchange !== undefined) closing.push(exchange.close());
        if (raw !== undefined) {
          const s = raw;
          s.closeAllConnections();
          closing.push(new Promise<void>((resolve) => s.close(() => resolve())));
        }
        Promise.all(closing).finally(() => process.exit(0));
        return;
      }
    }
  });
  // The parent went away: do not linger as an orphan holding a port.
  process.on("disconnect", () => process.exit(0));
}
