import { createHmac } from "node:crypto";
import { once } from "node:events";
import { connect } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { openApiDocument } from "../../mock-exchange/api/openapi.ts";
import { ROUTES } from "../../mock-exchange/api/routes.ts";
import { startVenueServer, type VenueServer } from "../../mock-exchange/api/server.ts";
import { EXCHANGE_DEFAULTS, type ExchangeConfig } from "../../mock-exchange/defaults.ts";
import { controlAccounts, fastExchangeConfig } from "./fixture.ts";

/**
 * GET /__stampede/openapi.json on a real socket: it documents every ROUTES entry (method, path,
 * weight, signed parameters), and real responses of the dialect and the control plane, success
 * and refusals, validate against the schema it gives for their path, method and status.
 */

type Schema = Record<string, unknown>;
type Doc = {
  paths: Record<string, Record<string, Schema>>;
  components: { schemas: Record<string, Schema> };
};

const ANNOTATIONS = new Set(["description", "title"]);
const KEYWORDS = new Set([
  "$ref",
  "oneOf",
  "type",
  "properties",
  "required",
  "items",
  "enum",
  "minimum",
  "maximum",
  "minItems",
  "maxItems",
  "pattern",
]);

function typeOf(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (typeof v === "number") return Number.isInteger(v) ? "integer" : "number";
  return typeof v;
}

/**
 * Problems of `value` against an OpenAPI 3.1 schema (the subset the document uses; any other
 * keyword is itself a problem), refs resolved in `doc.components.schemas`.
 */
function validate(value: unknown, schema: Schema, doc: Doc, path = "$"): string[] {
  const problems = Object.keys(schema)
    .filter((key) => !ANNOTATIONS.has(key) && !KEYWORDS.has(key))
    .map((key) => `${path}: keyword "${key}" not supported`);
  if (typeof schema.$ref === "string") {
    const m = /^#\/components\/schemas\/(.+)$/.exec(schema.$ref);
    const target = m ? doc.components.schemas[m[1] as string] : undefined;
    if (target === undefined) return [...problems, `${path}: unresolved $ref ${schema.$ref}`];
    problems.push(...validate(value, target, doc, path));
  }
  if (Array.isArray(schema.oneOf)) {
    const passing = (schema.oneOf as Schema[]).filter((s) => validate(value, s, doc, path).length === 0);
    if (passing.length !== 1) problems.push(`${path}: matches ${passing.length} of oneOf, not exactly 1`);
  }
  // A value of the wrong type has no further problems worth naming: they would all follow from it.
  if (typeof schema.type === "string") {
    const t = typeOf(value);
    if (!(t === schema.type || (schema.type === "number" && t === "integer")))
      return [...problems, `${path}: expected ${schema.type}, got ${t}`];
  }
  problems.push(...scalarProblems(value, schema, path));
  if (Array.isArray(value)) problems.push(...arrayProblems(value, schema, doc, path));
  if (typeOf(value) === "object")
    problems.push(...objectProblems(value as Record<string, unknown>, schema, doc, path));
  return problems;
}

/** enum, and the bounds of a number or the pattern of a string. */
function scalarProblems(value: unknown, schema: Schema, path: string): string[] {
  const problems: string[] = [];
  if (Array.isArray(schema.enum) && !schema.enum.includes(value))
    problems.push(`${path}: ${JSON.stringify(value)} not one of ${JSON.stringify(schema.enum)}`);
  if (typeof value === "number") {
    if (typeof schema.minimum === "number" && value < schema.minimum) problems.push(`${path}: below minimum`);
    if (typeof schema.maximum === "number" && value > schema.maximum) problems.push(`${path}: above maximum`);
  }
  if (
    typeof value === "string" &&
    typeof schema.pattern === "string" &&
    !new RegExp(schema.pattern).test(value)
  )
    problems.push(`${path}: ${JSON.stringify(value)} does not match ${schema.pattern}`);
  return problems;
}

function arrayProblems(value: unknown[], schema: Schema, doc: Doc, path: string): string[] {
  const problems: string[] = [];
  if (typeof schema.minItems === "number" && value.length < schema.minItems)
    problems.push(`${path}: too few items`);
  if (typeof schema.maxItems === "number" && value.length > schema.maxItems)
    problems.push(`${path}: too many items`);
  if (schema.items !== undefined)
    value.forEach((item, i) => {
      problems.push(...validate(item, schema.items as Schema, doc, `${path}[${i}]`));
    });
  return problems;
}

/** required, and each documented property against its schema (others are not checked). */
function objectProblems(o: Record<string, unknown>, schema: Schema, doc: Doc, path: string): string[] {
  const problems: string[] = [];
  for (const key of (schema.required ?? []) as string[])
    if (!Object.hasOwn(o, key)) problems.push(`${path}: missing required "${key}"`);
  const props = (schema.properties ?? {}) as Record<string, Schema>;
  for (const [key, v] of Object.entries(o)) {
    const own = props[key];
    if (own !== undefined) problems.push(...validate(v, own, doc, `${path}.${key}`));
  }
  return problems;
}

/** ROUTES entries the document has no operation (or a wrong weight) for. */
function undocumented(doc: Doc): string[] {
  const missing: string[] = [];
  for (const r of ROUTES) {
    const op = doc.paths[r.path]?.[r.method.toLowerCase()];
    if (op === undefined) missing.push(`${r.method} ${r.path}`);
    else if (op["x-weight"] !== r.weight) missing.push(`${r.method} ${r.path}: x-weight`);
  }
  return missing;
}

/** The schema the document gives for a JSON response; throws when it has none. */
function responseSchema(doc: Doc, method: string, path: string, status: number): Schema {
  const op = doc.paths[path]?.[method.toLowerCase()];
  const responses = op?.responses as
    | Record<string, { content?: Record<string, { schema: Schema }> }>
    | undefined;
  const schema = responses?.[String(status)]?.content?.["application/json"]?.schema;
  if (schema === undefined) throw new Error(`no documented JSON response for ${method} ${path} ${status}`);
  return schema;
}

function config(overrides: Partial<ExchangeConfig> = {}): ExchangeConfig {
  return fastExchangeConfig({ accounts: 2, trustProxy: false, ...overrides });
}

interface Account {
  apiKey: string;
  apiSecret: string;
}

let exchange: VenueServer | undefined;

afterEach(async () => {
  await exchange?.close();
  exchange = undefined;
});

async function start(overrides: Partial<ExchangeConfig> = {}) {
  exchange = await startVenueServer({ port: 0, config: config(overrides) });
  // The document is public: no token.
  const doc = (await (await fetch(`${exchange.url}/__stampede/openapi.json`)).json()) as Doc;
  const accounts = await controlAccounts<Account>(exchange);
  return { doc, me: accounts[0] as Account };
}

interface Call {
  as?: Account;
  params?: string;
  signature?: string;
  apiKey?: string;
  /** Control-plane headers: Authorization (the exchange's token unless given) and a lease. */
  control?: { token?: string; lease?: string };
}

async function call(method: string, path: string, o: Call = {}) {
  const headers: Record<string, string> = {};
  let params = o.params ?? "";
  if (o.as !== undefined) {
    headers["X-MBX-APIKEY"] = o.as.apiKey;
    params = params === "" ? `timestamp=${Date.now()}` : `${params}&timestamp=${Date.now()}`;
    const sig = o.signature ?? createHmac("sha256", o.as.apiSecret).update(params).digest("hex");
    params = `${params}&signature=${sig}`;
  }
  if (o.apiKey !== undefined) headers["X-MBX-APIKEY"] = o.apiKey;
  if (o.control !== undefined) {
    headers.Authorization = `Bearer ${o.control.token ?? (exchange as VenueServer).controlToken}`;
    if (o.control.lease !== undefined) headers["X-Stampede-Lease"] = o.control.lease;
  }
  const inQuery = method === "GET";
  const url = `${(exchange as VenueServer).url}${path}${inQuery && params !== "" ? `?${params}` : ""}`;
  if (!inQuery) headers["Content-Type"] = "application/x-www-form-urlencoded";
  const res = await fetch(url, { method, headers, body: inQuery ? undefined : params });
  return { status: res.status, body: (await res.json()) as unknown };
}

/** Calls, then validates the body against the documented schema for its path, method and status. */
async function checked(doc: Doc, method: string, path: string, status: number, o: Call = {}) {
  const res = await call(method, path, o);
  expect(res.status, `${method} ${path} ${JSON.stringify(res.body)}`).toBe(status);
  expect(validate(res.body, responseSchema(doc, method, path, status), doc), `${method} ${path}`).toEqual([]);
  return res.body as Record<string, unknown>;
}

describe("OpenAPI document", () => {
  it("is served at /__stampede/openapi.json and documents every route with its weight and signing", async () => {
    const { doc } = await start();
    expect(doc).toEqual(openApiDocument());
    expect((doc as unknown as Schema).openapi).toBe("3.1.0");
    expect(undocumented(doc)).toEqual([]);
    for (const r of ROUTES) {
      const op = doc.paths[r.path]?.[r.method.toLowerCase()] as Schema;
      const params = op.parameters as Array<{ name: string; in: string; required: boolean }>;
      const names = params.map((p) => p.name);
      if (r.keyed) expect(op.security, r.name).toEqual([{ ApiKey: [] }]);
      // USER_STREAM routes (listenKey) take the API key alone.
      if (r.keyed && r.signed !== false) {
        expect(params.find((p) => p.name === "timestamp")?.required, r.name).toBe(true);
        expect(params.find((p) => p.name === "signature")?.required, r.name).toBe(true);
        expect(names, r.name).toContain("recvWindow");
      } else {
        expect(names, r.name).not.toContain("signature");
      }
      for (const s of ["400", "404", "418", "429", "500", "502", "503", ...(r.keyed ? ["401"] : [])])
        expect(responseSchema(doc, r.method, r.path, Number(s)), `${r.name} ${s}`).toEqual({
          $ref: "#/components/schemas/Error",
        });
    }
    for (const p of [
      "/__stampede/accounts",
      "/__stampede/config",
      "/__stampede/timeline",
      "/__stampede/reset",
      "/__stampede/lease",
      "/__stampede/openapi.json",
      "/metrics",
    ])
      expect(Object.keys(doc.paths), p).toContain(p);
    const schemes = (doc.components as unknown as { securitySchemes: Schema }).securitySchemes;
    expect(schemes.ApiKey).toEqual({ type: "apiKey", in: "header", name: "X-MBX-APIKEY" });
    expect(schemes.ControlToken).toMatchObject({ type: "http", scheme: "bearer" });
    // Every control operation but the document itself wants the token, and documents its 401.
    for (const [path, item] of Object.entries(doc.paths)) {
      if (!path.startsWith("/__stampede/")) continue;
      for (const [method, op] of Object.entries(item)) {
        if (path === "/__stampede/openapi.json") {
          expect(op.security, `${method} ${path}`).toEqual([]);
          continue;
        }
        expect(op.security, `${method} ${path}`).toEqual([{ ControlToken: [] }]);
        expect(responseSchema(doc, method, path, 401), `${method} ${path}`).toEqual({
          $ref: "#/components/schemas/Error",
        });
      }
    }
    for (const [method, path] of [
      ["POST", "/__stampede/reset"],
      ["POST", "/__stampede/lease"],
      ["PUT", "/__stampede/lease"],
      ["DELETE", "/__stampede/lease"],
    ] as const)
      expect(responseSchema(doc, method, path, 409)).toEqual({ $ref: "#/components/schemas/Error" });
  });

  it("catches a route without a path item and a body that breaks its schema", async () => {
    const doc = openApiDocument() as unknown as Doc;
    const { "/fapi/v3/positionRisk": _dropped, ...rest } = doc.paths;
    expect(undocumented({ ...doc, paths: rest })).toEqual(["GET /fapi/v3/positionRisk"]);

    const time = responseSchema(doc, "GET", "/fapi/v1/time", 200);
    expect(validate({ serverTime: 1 }, time, doc)).toEqual([]);
    expect(validate({}, time, doc)).toEqual(['$: missing required "serverTime"']);
    const ticker = responseSchema(doc, "GET", "/fapi/v1/ticker/price", 200);
    const row = { symbol: "BTCUSDT", price: "60000.0", time: 1 };
    expect(validate(row, ticker, doc)).toEqual([]);
    expect(validate([row], ticker, doc)).toEqual([]);
    expect(validate({ ...row, price: 60000 }, ticker, doc)).not.toEqual([]);
    expect(validate({ ...row, price: "abc" }, ticker, doc)).not.toEqual([]);
    const err = responseSchema(doc, "GET", "/fapi/v1/depth", 400);
    expect(validate({ code: "-1121", msg: "x" }, err, doc)).not.toEqual([]);
    expect(validate({ code: -1121 }, err, doc)).toEqual(['$: missing required "msg"']);
    expect(() => responseSchema(doc, "GET", "/fapi/v1/nope", 200)).toThrow();
  });
});

describe("OpenAPI document against the dialect's real responses", () => {
  it("matches real responses of the dialect, public and signed, success and refusals", async () => {
    const { doc, me } = await start();
    await checked(doc, "GET", "/fapi/v1/ping", 200);
    await checked(doc, "GET", "/fapi/v1/time", 200);
    await checked(doc, "GET", "/fapi/v1/exchangeInfo", 200);
    const depth = await checked(doc, "GET", "/fapi/v1/depth", 200, { params: "symbol=BTCUSDT&limit=5" });
    expect((depth.bids as unknown[]).length).toBe(5);
    await checked(doc, "GET", "/fapi/v1/ticker/price", 200, { params: "symbol=BTCUSDT" });
    await checked(doc, "GET", "/fapi/v1/ticker/price", 200);
    await checked(doc, "GET", "/fapi/v1/premiumIndex", 200, { params: "symbol=ETHUSDT" });
    await checked(doc, "GET", "/fapi/v1/premiumIndex", 200);

    // A position (MARKET against the house ladder) and a resting order.
    await checked(doc, "POST", "/fapi/v1/order", 200, {
      as: me,
      params: "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.002",
    });
    const resting = await checked(doc, "POST", "/fapi/v1/order", 200, {
      as: me,
      params: "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.002&price=59000.0",
    });
    const ref = `symbol=BTCUSDT&orderId=${resting.orderId as number}`;
    await checked(doc, "GET", "/fapi/v1/order", 200, { as: me, params: ref });
    await checked(doc, "PUT", "/fapi/v1/order", 200, {
      as: me,
      params: `${ref}&side=BUY&quantity=0.003&price=59000.0`,
    });
    const open = await checked(doc, "GET", "/fapi/v1/openOrders", 200, { as: me, params: "symbol=BTCUSDT" });
    expect((open as unknown as unknown[]).length).toBe(1);
    await checked(doc, "DELETE", "/fapi/v1/order", 200, { as: me, params: ref });
    await checked(doc, "DELETE", "/fapi/v1/allOpenOrders", 200, { as: me, params: "symbol=BTCUSDT" });
    const v2 = await checked(doc, "GET", "/fapi/v2/positionRisk", 200, { as: me });
    const v3 = await checked(doc, "GET", "/fapi/v3/positionRisk", 200, { as: me });
    expect((v2 as unknown as unknown[]).length).toBe(2);
    expect((v3 as unknown as unknown[]).length).toBe(1);
    await checked(doc, "GET", "/fapi/v2/balance", 200, { as: me });
    const account = await checked(doc, "GET", "/fapi/v2/account", 200, { as: me });
    expect((account.positions as unknown[]).length).toBeGreaterThan(0);
    await checked(doc, "GET", "/fapi/v3/account", 200, { as: me });
    await checked(doc, "POST", "/fapi/v1/leverage", 200, { as: me, params: "symbol=BTCUSDT&leverage=10" });
    // Batches: an order and a refusal in one answer; the position's fills in userTrades.
    const orders = [
      {
        symbol: "BTCUSDT",
        side: "BUY",
        type: "LIMIT",
        timeInForce: "GTC",
        quantity: "0.001",
        price: "59000.0",
      },
      { symbol: "BTCUSDT", side: "UP", type: "MARKET", quantity: "0.001" },
    ];
    const placed = await checked(doc, "POST", "/fapi/v1/batchOrders", 200, {
      as: me,
      params: `batchOrders=${encodeURIComponent(JSON.stringify(orders))}`,
    });
    const placedId = (placed as unknown as Array<{ orderId: number }>)[0]?.orderId as number;
    await checked(doc, "DELETE", "/fapi/v1/batchOrders", 200, {
      as: me,
      params: `symbol=BTCUSDT&orderIdList=${encodeURIComponent(JSON.stringify([placedId, 999_999]))}`,
    });
    await checked(doc, "POST", "/fapi/v1/batchOrders", 400, { as: me, params: "batchOrders=%5B" });
    const trades = await checked(doc, "GET", "/fapi/v1/userTrades", 200, {
      as: me,
      params: "symbol=BTCUSDT",
    });
    expect((trades as unknown as unknown[]).length).toBeGreaterThan(0);
    // USER_STREAM: the API key alone, no timestamp or signature.
    const started = await checked(doc, "POST", "/fapi/v1/listenKey", 200, { apiKey: me.apiKey });
    expect(started.listenKey).toMatch(/^[A-Za-z0-9]{64}$/);
    await checked(doc, "PUT", "/fapi/v1/listenKey", 200, { apiKey: me.apiKey });
    await checked(doc, "DELETE", "/fapi/v1/listenKey", 200, { apiKey: me.apiKey });
    const gone = await checked(doc, "PUT", "/fapi/v1/listenKey", 400, { apiKey: me.apiKey });
    expect(gone.code).toBe(-1125);
    const brackets = await checked(doc, "GET", "/fapi/v1/leverageBracket", 200, { as: me });
    expect((brackets as unknown as unknown[]).length).toBe(2);
    await checked(doc, "GET", "/fapi/v1/leverageBracket", 200, { as: me, params: "symbol=ETHUSDT" });

    const bad = await checked(doc, "GET", "/fapi/v1/depth", 400, { params: "symbol=NOPE" });
    expect(bad.code).toBe(-1121);
    const sig = await checked(doc, "GET", "/fapi/v2/balance", 400, { as: me, signature: "ab".repeat(32) });
    expect(sig.code).toBe(-1022);
    const noKey = await checked(doc, "GET", "/fapi/v2/account", 401);
    expect(noKey.code).toBe(-2014);
    const badKey = await checked(doc, "GET", "/fapi/v2/account", 401, { apiKey: "stpnope" });
    expect(badKey.code).toBe(-2015);
    const notOpen = await checked(doc, "GET", "/fapi/v1/order", 400, {
      as: me,
      params: "symbol=BTCUSDT&orderId=999999",
    });
    expect(notOpen.code).toBeLessThan(0);
  });

  it("matches real responses of the market data and v3 routes clients call first", async () => {
    const { doc, me } = await start();
    // A trade, so the tickers and candles have something to report.
    await checked(doc, "POST", "/fapi/v1/order", 200, {
      as: me,
      params: "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.002",
    });
    await checked(doc, "GET", "/fapi/v2/ticker/price", 200, { params: "symbol=BTCUSDT" });
    await checked(doc, "GET", "/fapi/v2/ticker/price", 200);
    const day = await checked(doc, "GET", "/fapi/v1/ticker/24hr", 200, { params: "symbol=BTCUSDT" });
    expect(day.count).toBe(1);
    await checked(doc, "GET", "/fapi/v1/ticker/24hr", 200);
    const klines = await checked(doc, "GET", "/fapi/v1/klines", 200, {
      params: "symbol=BTCUSDT&interval=1m",
    });
    expect((klines as unknown as unknown[]).length).toBeGreaterThan(0);
    await checked(doc, "GET", "/fapi/v1/klines", 200, { params: "symbol=ETHUSDT&interval=1h&limit=5" });
    const badInterval = await checked(doc, "GET", "/fapi/v1/klines", 400, {
      params: "symbol=BTCUSDT&interval=7m",
    });
    expect(badInterval.code).toBe(-1120);
    await checked(doc, "GET", "/fapi/v3/balance", 200, { as: me });
    const resting = await checked(doc, "POST", "/fapi/v1/order", 200, {
      as: me,
      params: "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.002&price=59000.0",
    });
    const ref = `symbol=BTCUSDT&orderId=${resting.orderId as number}`;
    await checked(doc, "GET", "/fapi/v1/openOrder", 200, { as: me, params: ref });
    await checked(doc, "DELETE", "/fapi/v1/order", 200, { as: me, params: ref });
    const gone = await checked(doc, "GET", "/fapi/v1/openOrder", 400, { as: me, params: ref });
    expect(gone.code).toBe(-2013);
  });
});

describe("OpenAPI document against the control plane's and the listener's real responses", () => {
  it("matches a 429 and the control plane's JSON answers", async () => {
    const { doc } = await start({ limits: { ...EXCHANGE_DEFAULTS.limits, weightPerMinute: 20 } });
    // limit=1000 weighs 20: the second one is over the budget.
    await checked(doc, "GET", "/fapi/v1/depth", 200, { params: "symbol=BTCUSDT&limit=1000" });
    const limited = await checked(doc, "GET", "/fapi/v1/depth", 429, { params: "symbol=BTCUSDT&limit=1000" });
    expect(limited.code).toBe(-1003);

    const control = {};
    await checked(doc, "GET", "/__stampede/accounts", 200, { control });
    await checked(doc, "GET", "/__stampede/config", 200, { control });
    await checked(doc, "GET", "/__stampede/openapi.json", 200);
    await checked(doc, "POST", "/__stampede/reset", 200, { control });
    const noToken = await checked(doc, "GET", "/__stampede/accounts", 401);
    expect(noToken.code).toBe(-9901);
    await checked(doc, "POST", "/__stampede/reset", 401, { control: { token: "wrong".repeat(4) } });
    // The lease: taken, renewed, in the way of a reset without it, released.
    const lease = await checked(doc, "POST", "/__stampede/lease", 200, { control });
    const held = { lease: lease.leaseId as string };
    await checked(doc, "PUT", "/__stampede/lease", 200, { control: held });
    const leased = await checked(doc, "POST", "/__stampede/reset", 409, { control });
    expect(leased.code).toBe(-9902);
    const taken = await checked(doc, "POST", "/__stampede/lease", 409, { control });
    expect(taken.code).toBe(-9902);
    await checked(doc, "POST", "/__stampede/reset", 200, { control: held });
    await checked(doc, "DELETE", "/__stampede/lease", 200, { control: held });
    const gone = await checked(doc, "PUT", "/__stampede/lease", 409, { control: held });
    expect(gone.code).toBe(-9903);
    const res = await fetch(`${(exchange as VenueServer).url}/__stampede/reset`, {
      method: "POST",
      headers: {
        Authorization: `Bearer ${(exchange as VenueServer).controlToken}`,
        "Content-Type": "application/json",
      },
      body: "{not json",
    });
    expect(res.status).toBe(400);
    expect(validate(await res.json(), responseSchema(doc, "POST", "/__stampede/reset", 400), doc)).toEqual(
      [],
    );
  });

  it("documents the listener's 408, 431, 505 (and 413 where a body is read) and matches them on a raw socket", async () => {
    const { doc } = await start({
      listener: { ...EXCHANGE_DEFAULTS.listener, headersTimeoutMs: 200, requestTimeoutMs: 400 },
      streams: { ...EXCHANGE_DEFAULTS.streams, maxConnections: 0 },
    });
    for (const [path, item] of Object.entries(doc.paths))
      for (const [method, op] of Object.entries(item)) {
        const statuses = Object.keys(op.responses as Schema);
        for (const s of ["408", "431", "505"]) expect(statuses, `${method} ${path}`).toContain(s);
        const readsBody = path.startsWith("/__stampede/") || (method !== "get" && !path.startsWith("/ws"));
        expect(statuses.includes("413"), `${method} ${path} 413`).toBe(readsBody);
      }
    const port = Number(new URL((exchange as VenueServer).url).port);
    /** The status and JSON body the server sends for `request`, up to its close. */
    const raw = async (request: string) => {
      const s = connect(port, "127.0.0.1");
      await once(s, "connect");
      let text = "";
      s.on("data", (d: Buffer) => {
        text += d.toString("latin1");
      });
      s.write(request);
      await once(s, "close");
      return {
        status: Number(text.slice(9, 12)),
        body: JSON.parse(text.slice(text.indexOf("\r\n\r\n") + 4)),
      };
    };
    const cases: Array<[string, string, string]> = [
      ["GET", "/fapi/v1/ping", "GET /fapi/v1/ping\r\n\r\n"],
      ["GET", "/fapi/v1/depth", "GET /fapi/v1/dep"],
      [
        "GET",
        "/fapi/v1/time",
        `GET /fapi/v1/time HTTP/1.1\r\nHost: x\r\nX-Big: ${"x".repeat(20_000)}\r\n\r\n`,
      ],
      [
        "GET",
        "/__stampede/config",
        `GET /__stampede/config HTTP/1.1\r\nHost: x\r\nContent-Length: 20000\r\nConnection: close\r\n\r\n${"x".repeat(20_000)}`,
      ],
      [
        "GET",
        "/ws/{stream}",
        "GET /ws/btcusdt@depth HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
      ],
    ];
    const seen: number[] = [];
    for (const [method, path, request] of cases) {
      const res = await raw(request);
      seen.push(res.status);
      expect(
        validate(res.body, responseSchema(doc, method, path, res.status), doc),
        `${path} ${res.status}`,
      ).toEqual([]);
    }
    expect(seen).toEqual([505, 408, 431, 413, 503]);
  });
});
