import { spawn, spawnSync } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startVenueServer, type VenueServer } from "../../mock-exchange/api/server.ts";
import { EXCHANGE_DEFAULTS } from "../../mock-exchange/defaults.ts";
import { serveConfig } from "../../scripts/serveConfig.ts";
import { controlAccounts } from "./fixture.ts";

/**
 * Binance's own Python connector (binance-futures-connector, `UMFutures`), unmodified, against
 * the venue `stampede serve` runs: the calls a client starts with (time, exchange info, book,
 * tickers, klines, balance v3, account v3, positions v3, orders, listenKey) must all succeed.
 * scripts/ensure-binance-connector.sh installs the pinned connector once under .tools/ with pip;
 * the Python script (test/clients/binance_um_futures.py) allows sockets to the mock's port on
 * 127.0.0.1 only and proves it with a probe. Skipped, saying why, only when Python is missing.
 */

const ROOT = join(import.meta.dirname, "..", "..");
const PYTHON = process.env.PYTHON ?? "python3";
const hasPython = spawnSync(PYTHON, ["--version"], { encoding: "utf8" }).status === 0;
if (!hasPython)
  console.warn(`binance connector test skipped: ${PYTHON} not found (install Python 3 to run it)`);

let exchange: VenueServer | undefined;
let connectorDir = "";

afterAll(async () => {
  await exchange?.close();
});

interface Line {
  call?: string;
  ok?: boolean;
  error?: string;
  summary?: boolean;
  calls?: number;
  failed?: string[];
  guard?: boolean;
  refused?: string[];
}

describe.skipIf(!hasPython)("Binance's Python connector (UMFutures) against `stampede serve`", () => {
  beforeAll(() => {
    const setup = spawnSync("bash", [join(ROOT, "scripts", "ensure-binance-connector.sh")], {
      encoding: "utf8",
      env: { ...process.env, PYTHON },
      timeout: 280_000,
    });
    expect(setup.status, `ensure-binance-connector.sh failed:\n${setup.stderr}`).toBe(0);
    connectorDir = setup.stdout.trim().split("\n").pop() ?? "";
    expect(connectorDir, setup.stderr).not.toBe("");
  }, 300_000);

  it("answers every call of the client's first session, and nothing else is reached", {
    timeout: 150_000,
  }, async () => {
    const { config } = serveConfig({ capacity: "modelled", seed: EXCHANGE_DEFAULTS.seed, trustProxy: false });
    exchange = await startVenueServer({ port: 0, config });
    const [account] = await controlAccounts<{ apiKey: string; apiSecret: string }>(exchange);
    // A bare environment: no proxy variables for requests to honour, nothing but what the script needs.
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      PYTHONPATH: connectorDir,
      PYTHONDONTWRITEBYTECODE: "1",
      STAMPEDE_BASE_URL: exchange.url,
      STAMPEDE_API_KEY: account?.apiKey,
      STAMPEDE_API_SECRET: account?.apiSecret,
    };
    // Asynchronous: the mock answers from this process's event loop while Python waits on it.
    const result = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(PYTHON, [join(ROOT, "test", "clients", "binance_um_futures.py")], { env });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (b: Buffer) => {
        stdout += b.toString();
      });
      child.stderr.on("data", (b: Buffer) => {
        stderr += b.toString();
      });
      const killer = setTimeout(() => child.kill("SIGKILL"), 120_000);
      child.on("exit", (code) => {
        clearTimeout(killer);
        resolve({ code, stdout, stderr });
      });
    });
    const lines = result.stdout
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l) as Line);
    const summary = lines.find((l) => l.summary === true);
    expect(summary, `no summary line; stderr:\n${result.stderr}`).toBeDefined();
    const failures = lines.filter((l) => l.ok === false).map((l) => `${l.call}: ${l.error}`);
    expect(failures).toEqual([]);
    expect(lines.filter((l) => l.ok === true).map((l) => l.call)).toEqual([
      "ping",
      "time",
      "exchange_info",
      "depth",
      "mark_price",
      "ticker_price",
      "balance",
      "account",
      "change_leverage",
      "leverage_brackets",
      "new_order LIMIT",
      "query_order",
      "get_open_orders",
      "get_orders",
      "cancel_order",
      "new_order MARKET",
      "get_position_risk",
      "get_account_trades",
      "ticker_24hr_price_change",
      "ticker_24hr_price_change (all)",
      "klines",
      "new_listen_key",
      "renew_listen_key",
      "close_listen_key",
      "cancel_open_orders",
    ]);
    // Only the guard's own probes were refused: the connector never tried another host.
    const port = Number(new URL(exchange.url).port);
    expect(summary?.guard).toBe(true);
    expect(summary?.refused).toEqual([
      `127.0.0.2:${port}`,
      `127.0.0.1:${port + 1}`,
      "lookup fapi.binance.com",
    ]);
    expect(result.code).toBe(0);
  });
});
