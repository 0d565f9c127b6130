import { once } from "node:events";
import { connect, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { startVenueServer, type VenueServer } from "../../mock-exchange/api/server.ts";
import { EXCHANGE_DEFAULTS, type ExchangeConfig } from "../../mock-exchange/defaults.ts";
import { type BenchServerChild, spawnBenchExchange } from "../../scripts/benchHttp.ts";
import { fastExchangeConfig } from "./fixture.ts";

/**
 * The listener's limits on real loopback sockets: idle and half-sent HTTP sockets closed after
 * the (shortened) timeouts, HTTP/0.9 request lines refused, the connection caps of HTTP and
 * WebSocket, Binance's ping/pong on the streams (venue clock moved by the test), and a 90 MB
 * WebSocket message refused with 1009 from its frame header while the server (a child process,
 * its RSS read over IPC) does not grow.
 */

interface Clock {
  offset: number;
  now: () => number;
}

let exchange: VenueServer | undefined;
let child: BenchServerChild | undefined;
const sockets: Array<Socket | WebSocket> = [];

afterEach(async () => {
  for (const s of sockets.splice(0)) s instanceof WebSocket ? s.terminate() : s.destroy();
  await exchange?.close();
  exchange = undefined;
  await child?.stop();
  child = undefined;
});

function testClock(): Clock {
  const clock: Clock = { offset: 0, now: () => Date.now() + clock.offset };
  return clock;
}

const SHORT_LISTENER: ExchangeConfig["listener"] = {
  ...EXCHANGE_DEFAULTS.listener,
  keepAliveTimeoutMs: 300,
  headersTimeoutMs: 300,
  requestTimeoutMs: 600,
};

async function start(overrides: Partial<ExchangeConfig> = {}, clock?: Clock): Promise<VenueServer> {
  exchange = await startVenueServer({
    port: 0,
    config: fastExchangeConfig({ listener: SHORT_LISTENER, ...overrides }),
    ...(clock === undefined ? {} : { now: clock.now }),
  });
  return exchange;
}

function portOf(url: string): number {
  return Number(new URL(url).port);
}

async function open(url: string): Promise<Socket> {
  const s = connect(portOf(url), "127.0.0.1");
  sockets.push(s);
  s.on("error", () => {});
  await once(s, "connect");
  return s;
}

/** What the server sent on `s` until it closed the socket, and when (ms after the call); rejects after limitMs. */
function closed(s: Socket, limitMs: number): Promise<{ afterMs: number; text: string }> {
  const t0 = Date.now();
  let text = "";
  s.on("data", (d: Buffer) => {
    text += d.toString("latin1");
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`still open after ${limitMs} ms: ${text}`)), limitMs);
    s.once("close", () => {
      clearTimeout(timer);
      resolve({ afterMs: Date.now() - t0, text });
    });
  });
}

function bodyOf(response: string): { code: number; msg: string } {
  return JSON.parse(response.slice(response.indexOf("\r\n\r\n") + 4)) as { code: number; msg: string };
}

async function until(what: string, check: () => boolean, limitMs = 2_000): Promise<void> {
  const t0 = Date.now();
  while (!check()) {
    if (Date.now() - t0 > limitMs) throw new Error(`${what}: not within ${limitMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function wsClient(url: string, path: string, options: { autoPong?: boolean } = {}): WebSocket {
  const ws = new WebSocket(`${url.replace(/^http/, "ws")}${path}`, options);
  sockets.push(ws);
  ws.on("error", () => {});
  return ws;
}

describe("HTTP listener timeouts", () => {
  it("closes a socket that sends nothing once the headers timeout has passed, with a 408 body", async () => {
    const ex = await start();
    const s = await open(ex.url);
    const { afterMs, text } = await closed(s, 3_000);
    expect(afterMs).toBeGreaterThanOrEqual(250);
    expect(text).toMatch(/^HTTP\/1\.1 408 /);
    expect(bodyOf(text).code).toBe(-1000);
  });

  it("closes a socket that sent half a request line", async () => {
    const ex = await start();
    const s = await open(ex.url);
    s.write("GET /fapi/v1/pi");
    const { afterMs, text } = await closed(s, 3_000);
    expect(afterMs).toBeGreaterThanOrEqual(250);
    expect(text).toMatch(/^HTTP\/1\.1 408 /);
  });

  it("closes an idle keep-alive socket after its last response", async () => {
    const ex = await start();
    const s = await open(ex.url);
    const done = closed(s, 4_000);
    s.write("GET /fapi/v1/ping HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    const { afterMs, text } = await done;
    expect(text).toMatch(/^HTTP\/1\.1 200 /);
    // Node closes a kept-alive socket up to a second after keepAliveTimeout.
    expect(afterMs).toBeGreaterThanOrEqual(250);
    expect(afterMs).toBeLessThan(2_500);
  });

  it("keeps a busy keep-alive socket open longer than the headers and request timeouts", async () => {
    const ex = await start();
    const s = await open(ex.url);
    let text = "";
    s.on("data", (d: Buffer) => {
      text += d.toString("latin1");
    });
    const t0 = Date.now();
    let answered = 0;
    // 1 s of requests 200 ms apart: past the 300 ms headers and 600 ms request timeouts in total.
    while (Date.now() - t0 < 1_000) {
      s.write("GET /fapi/v1/ping HTTP/1.1\r\nHost: x\r\n\r\n");
      await until("answer", () => text.split("HTTP/1.1 200").length - 1 > answered);
      answered++;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(answered).toBeGreaterThanOrEqual(4);
    expect(s.destroyed).toBe(false);
  });

  it("keeps the default timeouts finite and ordered (headers within the whole request)", () => {
    const l = EXCHANGE_DEFAULTS.listener;
    expect(l.headersTimeoutMs).toBeGreaterThan(0);
    expect(l.headersTimeoutMs).toBeLessThanOrEqual(l.requestTimeoutMs);
    expect(l.keepAliveTimeoutMs).toBeGreaterThan(0);
  });
});

describe("HTTP versions", () => {
  it("refuses an HTTP/0.9 request line (no version) with 505 and a {code,msg} body, then closes", async () => {
    const ex = await start();
    const s = await open(ex.url);
    const done = closed(s, 2_000);
    s.write("GET /fapi/v1/ping\r\n\r\n");
    const { text } = await done;
    expect(text).toMatch(/^HTTP\/1\.1 505 /);
    expect(bodyOf(text).code).toBe(-1000);
    expect(ex.venue.timeline.since(0)).toEqual([]);
  });

  it("refuses an HTTP/1.1 request without Host with 400 and a {code,msg} body, then closes", async () => {
    const ex = await start();
    const s = await open(ex.url);
    const done = closed(s, 2_000);
    s.write("GET /fapi/v1/ping HTTP/1.1\r\n\r\n");
    const { text } = await done;
    expect(text).toMatch(/^HTTP\/1\.1 400 /);
    expect(bodyOf(text).code).toBe(-1000);
  });

  it("refuses HTTP/2.0 on a request line and still serves 1.0 and 1.1", async () => {
    const ex = await start();
    const s = await open(ex.url);
    const done = closed(s, 2_000);
    s.write("GET /fapi/v1/ping HTTP/2.0\r\nHost: x\r\n\r\n");
    expect((await done).text).toMatch(/^HTTP\/1\.1 505 /);
    for (const version of ["1.0", "1.1"]) {
      const t = await open(ex.url);
      const ok = closed(t, 2_000);
      t.write(`GET /fapi/v1/ping HTTP/${version}\r\nHost: x\r\nConnection: close\r\n\r\n`);
      expect((await ok).text).toMatch(/^HTTP\/1\.1 200 /);
    }
  });
});

describe("connection caps", () => {
  it("closes the HTTP connection past listener.maxConnections and accepts again once one closes", async () => {
    const ex = await start({
      listener: { ...SHORT_LISTENER, keepAliveTimeoutMs: 10_000, maxConnections: 3 },
    });
    const held: Socket[] = [];
    for (let i = 0; i < 3; i++) {
      const s = await open(ex.url);
      const answered = new Promise<string>((resolve) => s.once("data", (d: Buffer) => resolve(d.toString())));
      s.write("GET /fapi/v1/ping HTTP/1.1\r\nHost: x\r\n\r\n");
      expect(await answered).toMatch(/^HTTP\/1\.1 200 /);
      held.push(s);
    }
    const fourth = await open(ex.url);
    const refused = closed(fourth, 2_000);
    fourth.write("GET /fapi/v1/ping HTTP/1.1\r\nHost: x\r\n\r\n");
    expect((await refused).text).toBe("");
    (held[0] as Socket).destroy();
    // The server counts the freed slot once it has seen that socket close: retry until then.
    let served = "";
    for (let attempt = 0; attempt < 50 && !served.startsWith("HTTP/1.1 200"); attempt++) {
      const s = await open(ex.url);
      const r = closed(s, 2_000);
      s.write("GET /fapi/v1/ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
      served = (await r).text;
      if (!served) await new Promise((r) => setTimeout(r, 20));
    }
    expect(served).toMatch(/^HTTP\/1\.1 200 /);
  });

  it("refuses a WebSocket upgrade past streams.maxConnections with 503 and a {code,msg} body", async () => {
    const ex = await start({ streams: { ...EXCHANGE_DEFAULTS.streams, maxConnections: 2 } });
    const first = wsClient(ex.url, "/ws/btcusdt@forceOrder");
    const second = wsClient(ex.url, "/ws/btcusdt@forceOrder");
    await Promise.all([once(first, "open"), once(second, "open")]);
    const third = wsClient(ex.url, "/ws/btcusdt@forceOrder");
    const [, res] = (await once(third, "unexpected-response")) as [
      unknown,
      NodeJS.ReadableStream & { statusCode: number },
    ];
    expect(res.statusCode).toBe(503);
    let text = "";
    for await (const chunk of res) text += String(chunk);
    expect(JSON.parse(text)).toMatchObject({ code: -1000 });
    first.close();
    await once(first, "close");
    const again = wsClient(ex.url, "/ws/btcusdt@forceOrder");
    await once(again, "open");
  });
});

describe("WebSocket ping/pong (Binance: a ping every 3 minutes, closed without a pong for 10)", () => {
  it("closes a connection that never answers a ping and keeps one that does, past the HTTP timeouts", async () => {
    const clock = testClock();
    const streams = {
      ...EXCHANGE_DEFAULTS.streams,
      pingIntervalNaturalMs: 1_000,
      pongTimeoutNaturalMs: 3_000,
      pongTimeoutMinWallMs: 1,
    };
    const ex = await start({ timeScale: 1, streams }, clock);
    const answering = wsClient(ex.url, "/ws/btcusdt@forceOrder");
    const silent = wsClient(ex.url, "/ws/btcusdt@forceOrder", { autoPong: false });
    await Promise.all([once(answering, "open"), once(silent, "open")]);
    let silentClosed = false;
    silent.on("close", () => {
      silentClosed = true;
    });
    const pings = { answering: 0, silent: 0 };
    answering.on("ping", () => pings.answering++);
    silent.on("ping", () => pings.silent++);
    for (let step = 1; step <= 5; step++) {
      clock.offset += 1_000;
      await until(`ping ${step}`, () => pings.answering >= step);
      // The pong's round trip on loopback.
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(pings.silent).toBeGreaterThanOrEqual(2);
    await until("silent connection closed", () => silentClosed);
    // Longer than the HTTP headers and request timeouts (300 and 600 ms): an upgraded socket is
    // not an HTTP request any more.
    await new Promise((r) => setTimeout(r, 700));
    expect(answering.readyState).toBe(WebSocket.OPEN);
  });
});

describe("WebSocket message size", () => {
  it("accepts the largest message a client needs: SUBSCRIBE naming 1,024 streams", async () => {
    const ex = await start();
    const ws = wsClient(ex.url, "/ws");
    await once(ws, "open");
    const params = Array.from({ length: 1_024 }, (_, i) =>
      i % 2 === 0 ? "btcusdt@depth20@100ms" : "ethusdt@depth20@500ms",
    );
    const message = JSON.stringify({ method: "SUBSCRIBE", params, id: 1 });
    expect(message.length).toBeLessThan(EXCHANGE_DEFAULTS.streams.maxIncomingMessageBytes);
    ws.send(message);
    const [answer] = (await once(ws, "message")) as [Buffer];
    expect(JSON.parse(String(answer))).toEqual({ result: null, id: 1 });
  });

  it("refuses six 90 MB messages, each with 1009 from its frame header, and the server does not grow", async () => {
    child = await spawnBenchExchange(fastExchangeConfig());
    const server = child;
    // Warm-up: one connection and message, so what the first upgrade allocates is in the baseline.
    const warm = wsClient(server.url, "/ws");
    await once(warm, "open");
    warm.send(JSON.stringify({ method: "LIST_SUBSCRIPTIONS", id: 1 }));
    await once(warm, "message");
    warm.close();
    const before = (await server.stats()).rssBytes;
    const results: Array<{ closeCode: number; sentBytes: number }> = [];
    for (let i = 0; i < 6; i++) results.push(await sendHugeMessage(server.url, 90_000_000));
    const after = (await server.stats()).rssBytes;
    const growthMb = (after - before) / 1e6;
    console.log(
      `90 MB messages: close codes ${results.map((r) => r.closeCode).join(",")}; sent before the close ${results.map((r) => (r.sentBytes / 1e6).toFixed(2)).join(", ")} MB; server RSS ${(before / 1e6).toFixed(1)} -> ${(after / 1e6).toFixed(1)} MB (${growthMb.toFixed(1)} MB)`,
    );
    for (const r of results) {
      expect(r.closeCode).toBe(1009);
      expect(r.sentBytes).toBeLessThan(16 * 1024 * 1024);
    }
    expect(growthMb).toBeLessThan(20);
  }, 60_000);
});

/**
 * Upgrades a raw socket to a WebSocket, announces one text frame of `bytes` and streams its
 * payload in 1 MiB chunks until the server's close frame arrives (or all of it was sent).
 * Returns the close code (0 when none came) and how much payload had been written by then.
 */
async function sendHugeMessage(
  url: string,
  bytes: number,
): Promise<{ closeCode: number; sentBytes: number }> {
  const s = await open(url);
  let received = Buffer.alloc(0);
  let upgraded = false;
  let closeCode = 0;
  /** Ends a wait for "drain" early: a server that stopped reading never drains. */
  let wake: (() => void) | undefined;
  s.on("data", (d: Buffer) => {
    received = Buffer.concat([received, d]);
    if (!upgraded) {
      const end = received.indexOf("\r\n\r\n");
      if (end < 0) return;
      upgraded = received.subarray(0, 12).toString() === "HTTP/1.1 101";
      received = received.subarray(end + 4);
    }
    // A close frame from the server: 0x88, a length byte, then the code (unmasked).
    if (received.length >= 4 && received[0] === 0x88) {
      closeCode = received.readUInt16BE(2);
      wake?.();
    }
  });
  s.write(
    "GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
  );
  await until("upgrade", () => upgraded);
  const header = Buffer.alloc(14);
  header[0] = 0x81;
  header[1] = 0x80 | 127;
  header.writeBigUInt64BE(BigInt(bytes), 2);
  // Mask key 0: the payload goes as it is.
  s.write(header);
  const chunk = Buffer.alloc(1024 * 1024, 0x61);
  let sentBytes = 0;
  while (sentBytes < bytes && closeCode === 0 && !s.destroyed) {
    const n = Math.min(chunk.length, bytes - sentBytes);
    const flushed = s.write(n === chunk.length ? chunk : chunk.subarray(0, n));
    sentBytes += n;
    if (!flushed)
      await new Promise<void>((resolve) => {
        const done = () => {
          s.off("drain", done);
          s.off("close", done);
          wake = undefined;
          resolve();
        };
        wake = done;
        s.on("drain", done);
        s.on("close", done);
      });
  }
  await until("close frame", () => closeCode !== 0, 5_000);
  s.destroy();
  return { closeCode, sentBytes };
}
