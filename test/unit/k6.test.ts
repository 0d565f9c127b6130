import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { StampedeError } from "../../loadtests/vocabulary/cliErrors.ts";
import { ensureK6, K6_VERSION, toolsDir } from "../../scripts/k6.ts";

const emptyDir = () => mkdtempSync(join(tmpdir(), "stampede-k6-"));

describe("locating k6", () => {
  it("exits 2 with install advice when there is neither k6 nor Go", async () => {
    const err = await ensureK6(() => {}, { env: { PATH: emptyDir() }, dir: emptyDir() }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(StampedeError);
    expect((err as StampedeError).code).toBe("E_K6_MISSING");
    expect((err as StampedeError).exitCode).toBe(2);
    expect((err as StampedeError).message).toMatch(/install k6 v1\.8\.1.*K6_BIN.*install Go/);
  });

  it("refuses a K6_BIN that is not k6", async () => {
    const err = await ensureK6(() => {}, { env: { K6_BIN: "/bin/false", PATH: "" } }).catch(
      (e: unknown) => e,
    );
    expect((err as StampedeError).code).toBe("E_K6_MISSING");
  });

  it("takes K6_BIN first and the cached build in .tools/ otherwise (pretest has built it)", async () => {
    const cached = join(toolsDir(), "k6");
    const viaEnv = await ensureK6(() => {}, { env: { K6_BIN: cached, PATH: "" } });
    expect(viaEnv).toMatchObject({ source: "K6_BIN", version: K6_VERSION });
    const viaTools = await ensureK6(() => {}, { env: { PATH: "" } });
    expect(viaTools).toEqual({ path: cached, version: K6_VERSION, source: ".tools" });
  });
});
