import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * The trivial responder the generator benchmarks drive (scripts/benchGeneratorCost.ts): answers
 * every request at once with a fixed body, so what the benchmark measures is k6's cost, not a
 * venue's. It knows just enough of the dialect for the drill script to run: the accounts setup()
 * reads, a book with a mid price, an order acknowledgement, an empty position list.
 */

export interface TrivialResponder {
  readonly url: string;
  /** Requests answered so far. */
  requests(): number;
  close(): Promise<void>;
}

const ACCOUNTS = JSON.stringify({
  accounts: Array.from({ length: 100 }, (_, i) => ({
    accountId: i + 1,
    apiKey: `bench-key-${i}`,
    apiSecret: `bench-secret-${i}`,
  })),
});
const BOOK = JSON.stringify({ bids: [["60000.0", "1"]], asks: [["60000.1", "1"]] });
// NEW and unfilled: a trader's iteration sends one request, as a bare script does.
const ORDER_ACK = JSON.stringify({ orderId: 1, status: "NEW", executedQty: "0", updateTime: 0 });

function bodyFor(method: string | undefined, url: string): string {
  if (url.startsWith("/__stampede/accounts")) return ACCOUNTS;
  if (url.startsWith("/fapi/v1/depth")) return BOOK;
  if (url.startsWith("/fapi/v1/order") && method === "POST") return ORDER_ACK;
  if (url.startsWith("/fapi/v2/positionRisk")) return "[]";
  return "{}";
}

export async function startTrivialResponder(): Promise<TrivialResponder> {
  let answered = 0;
  const server: Server = createServer((req, res) => {
    answered++;
    const body = bodyFor(req.method, req.url ?? "/");
    req.resume();
    req.on("end", () => {
      res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
      res.end(body);
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests: () => answered,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
