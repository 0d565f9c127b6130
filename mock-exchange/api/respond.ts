import { type IncomingMessage, type ServerResponse, STATUS_CODES } from "node:http";
import { type ExchangeErrorSpec, errorBody } from "./errors.ts";

/**
 * How the mock exchange writes its answers, for every plane (dialect, control, listener,
 * streams' upgrades): the dialect's headers on one writeHead, JSON documents, and whole raw
 * responses for a socket that has no ServerResponse. Also how a request body is read, with its cap.
 */

export const JSON_CONTENT_TYPE = "application/json";

/**
 * A dialect answer. orders10s / orders1m: the account's order counts, sent on order-placing
 * routes only (-1: none).
 */
export function send(
  res: ServerResponse,
  status: number,
  body: string,
  usedWeight: number,
  orders10s = -1,
  orders1m = -1,
): void {
  if (res.destroyed) return;
  // One flat [name, value, ...] list given to writeHead alone: Node writes it out as it is,
  // without setHeader's per-header map (node:http "response.writeHead": headers may be an
  // array); ~7 µs less per response than setHeader + an object (http_order_rps). A
  // Retry-After set before (refusals) still goes first: writeHead then merges the list in.
  const length = String(Buffer.byteLength(body));
  const weight = String(usedWeight);
  res.writeHead(
    status,
    orders10s >= 0
      ? [
          "X-MBX-ORDER-COUNT-10S",
          String(orders10s),
          "X-MBX-ORDER-COUNT-1M",
          String(orders1m),
          "Content-Type",
          JSON_CONTENT_TYPE,
          "Content-Length",
          length,
          "X-MBX-USED-WEIGHT-1M",
          weight,
        ]
      : ["Content-Type", JSON_CONTENT_TYPE, "Content-Length", length, "X-MBX-USED-WEIGHT-1M", weight],
  );
  res.end(body);
}

/** A dialect error (`{code,msg}` from the catalog, its placeholders filled from `fields`). */
export function refuse(
  res: ServerResponse,
  spec: ExchangeErrorSpec,
  fields?: Record<string, string | number>,
  usedWeight = 0,
  orders10s = -1,
  orders1m = -1,
): void {
  send(res, spec.status, errorBody(spec, fields), usedWeight, orders10s, orders1m);
}

/** A JSON document (the control plane's answers), with any extra headers. */
export function sendJson(
  res: ServerResponse,
  status: number,
  value: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(value);
  res.writeHead(status, {
    "Content-Type": JSON_CONTENT_TYPE,
    "Content-Length": Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

/**
 * A whole HTTP/1.1 response with a dialect error body, closing the connection: for a socket that
 * has no ServerResponse (a request Node's parser refused, a refused WebSocket upgrade).
 */
export function rawRefusal(status: number, body: string): string {
  return (
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: ${JSON_CONTENT_TYPE}\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`
  );
}

/** Collects a request body up to maxBytes; past that, answers once with tooLarge and drops the rest. */
export function readBody(
  req: IncomingMessage,
  maxBytes: number,
  done: (tooLarge: boolean, body: string) => void,
): void {
  const chunks: Buffer[] = [];
  let size = 0;
  let finished = false;
  req.on("data", (chunk: Buffer) => {
    if (finished) return;
    size += chunk.length;
    if (size > maxBytes) {
      finished = true;
      done(true, "");
      req.resume();
      return;
    }
    chunks.push(chunk);
  });
  req.on("end", () => {
    if (finished) return;
    finished = true;
    // A body in one chunk (the usual order) is decoded as it is: no copy into a concatenated buffer.
    const only = chunks.length === 1 ? chunks[0] : undefined;
    done(false, (only ?? Buffer.concat(chunks)).toString("utf8"));
  });
}
