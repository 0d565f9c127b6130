import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { StampedeError } from "../../loadtests/vocabulary/cliErrors.ts";
import { ensureK6, K6_VERSION, toolsDir } from "../../scripts/k6.ts";
import { EXTENSION_DIR, extensionHash, hasStampedeOutput } from "../../scripts/k6Build.ts";

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
    expect(viaTools).toEqual({ path: cached, version: K6_VERSION, source: ".tools", extension: true });
  });

  it("uses a K6_BIN without the stampede output with a warning (drills then write a csv)", async () => {
    const dir = emptyDir();
    const fake = join(dir, "k6");
    writeFileSync(fake, `#!/bin/sh\necho "k6 ${K6_VERSION} (go1.26.8, linux/amd64)"\n`);
    chmodSync(fake, 0o755);
    const lines: string[] = [];
    const k6 = await ensureK6((l) => lines.push(l), { env: { K6_BIN: fake, PATH: "" } });
    expect(k6).toMatchObject({ source: "K6_BIN", extension: false });
    expect(lines.join("\n")).toMatch(/no stampede output extension.*raw csv/);
  });

  it("skips a k6 on PATH without the extension rather than drilling with it", async () => {
    const pathDir = emptyDir();
    writeFileSync(join(pathDir, "k6"), `#!/bin/sh\necho "k6 ${K6_VERSION} (go1.26.8, linux/amd64)"\n`);
    chmodSync(join(pathDir, "k6"), 0o755);
    const k6 = await ensureK6(() => {}, { env: { PATH: pathDir } });
    expect(k6).toMatchObject({ source: ".tools", extension: true, path: join(toolsDir(), "k6") });
  });
});

describe("building k6 with the stampede output", () => {
  it("recognises the extension in `k6 version`", () => {
    const plain = `k6 ${K6_VERSION} (go1.26.8, linux/amd64)\n`;
    expect(hasStampedeOutput(plain)).toBe(false);
    expect(
      hasStampedeOutput(`${plain}Extensions:\n  github.com/stampede/k6-output (devel), stampede [output]\n`),
    ).toBe(true);
    expect(hasStampedeOutput(`${plain}Extensions:\n  github.com/x/y v0.1.0, xk6-stampede [output]\n`)).toBe(
      false,
    );
  });

  it("names the build folder after the extension's sources, so a change rebuilds", () => {
    const dir = emptyDir();
    mkdirSync(join(dir, "cmd", "k6"), { recursive: true });
    mkdirSync(join(dir, "testdata"));
    writeFileSync(join(dir, "go.mod"), "module x\n");
    writeFileSync(join(dir, "cmd", "k6", "main.go"), "package main\n");
    const before = extensionHash(dir);
    writeFileSync(join(dir, "a_test.go"), "package x\n");
    writeFileSync(join(dir, "testdata", "golden.hlog"), "#\n");
    expect(extensionHash(dir)).toBe(before); // tests and fixtures are not in the binary
    writeFileSync(join(dir, "cmd", "k6", "main.go"), "package main // changed\n");
    expect(extensionHash(dir)).not.toBe(before);
    expect(toolsDir()).toMatch(new RegExp(`${K6_VERSION}-stampede-${extensionHash()}$`));
  });

  it("pins the same k6 in the extension's go.mod", () => {
    const goMod = readFileSync(join(EXTENSION_DIR, "go.mod"), "utf8");
    expect(goMod).toMatch(new RegExp(`^\\s*go\\.k6\\.io/k6 ${K6_VERSION.replace(/\./g, "\\.")}$`, "m"));
    expect(goMod).toMatch(/^\s*github\.com\/HdrHistogram\/hdrhistogram-go v1\.1\.2$/m);
  });
});
