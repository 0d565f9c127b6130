import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import type { ExchangeConfig } from "../defaults.ts";
import { ERR, errorBody } from "./errors.ts";
import { rawRefusal, refuse } from "./respond.ts";

/**
 * The HTTP listener: how many sockets it holds, how long an idle or slow one may stay
 * (defaults.ts `listener`), and the refusals that come before any route is looked at (an HTTP
 * version the venue does not speak, a request Node's parser could not read), each with a
 * dialect body.
 */

export function createListener(
  limits: ExchangeConfig["listener"],
  handle: (req: IncomingMessage, res: ServerResponse) => void,
): Server {
  const server = createServer(
    {
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      // Checked in spokenHttp instead, so that the refusal has a dialect body (Node's is empty).
      requireHostHeader: false,
      // Node checks the two timeouts on this interval: a tenth of the shorter keeps a slow socket
      // from outliving its timeout by more than 10%.
      connectionsCheckingInterval: Math.max(
        10,
        Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs) / 10,
      ),
    },
    (req, res) => {
      if (spokenHttp(req, res)) handle(req, res);
    },
  );
  server.keepAliveTimeout = limits.keepAliveTimeoutMs;
  server.maxConnections = limits.maxConnections;
  server.on("clientError", onClientError);
  return server;
}

/** Listens on loopback unless told otherwise; the URL clients reach it at. */
export async function listen(server: Server, port: number, host: string): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const hostPart = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return `http://${hostPart}:${address.port}`;
}

/** False (after refusing it) for a request the venue does not answer whatever its path. */
function spokenHttp(req: IncomingMessage, res: ServerResponse): boolean {
  // Node's parser takes a request line without a version (`GET /`, HTTP/0.9) or with any
  // `HTTP/d.d`, and would answer it as HTTP/1.1; the venue speaks 1.0 and 1.1 only.
  if (req.httpVersionMajor !== 1) {
    res.setHeader("Connection", "close");
    refuse(res, ERR.HTTP_VERSION_NOT_SUPPORTED, { version: req.httpVersion });
    return false;
  }
  if (req.httpVersionMinor === 1 && req.headers.host === undefined) {
    res.setHeader("Connection", "close");
    refuse(res, ERR.MALFORMED_REQUEST);
    return false;
  }
  return true;
}

/**
 * What Node's parser refuses before a request exists (malformed request line or headers, headers
 * over the 16 KiB limit, a request not received in time) gets a dialect body like every other
 * refusal instead of Node's empty one; same statuses and the same rule as Node's default handler
 * (lib/_http_server.js socketOnError): answer unless a response already started on this socket
 * (keep-alive), then close it.
 */
function onClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  const inFlight = (socket as { _httpMessage?: ServerResponse | null })._httpMessage;
  if (socket.writable && (inFlight == null || !inFlight.headersSent)) {
    const spec =
      err.code === "HPE_HEADER_OVERFLOW"
        ? ERR.HEADERS_TOO_LARGE
        : err.code === "ERR_HTTP_REQUEST_TIMEOUT"
          ? ERR.REQUEST_TIMEOUT
          : ERR.MALFORMED_REQUEST;
    socket.end(rawRefusal(spec.status, errorBody(spec)));
  } else {
    socket.destroy();
  }
}
