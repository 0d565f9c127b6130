import { mkdtempSync, readdirSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CONTROL_TOKEN_FILE, createRunFolder } from "../../scripts/drill.ts";

/**
 * The run folder a drill creates once its venue is open: with the drill's own mock's token, a
 * `control-token` file only its owner can read (0600); for a target, no token file at all.
 */
describe("createRunFolder", () => {
  it("writes the drill's own mock's token readable by its owner only", async () => {
    const out = mkdtempSync(join(tmpdir(), "stampede-folder-"));
    const token = "ab".repeat(32);
    const { id, runDir } = await createRunFolder(join(out, "runs"), "smoke", token);
    expect(id).toMatch(/-smoke$/);
    const file = join(runDir, CONTROL_TOKEN_FILE);
    expect(readFileSync(file, "utf8")).toBe(`${token}\n`);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it("writes no token file without a token, and a second folder gets another name", async () => {
    const out = mkdtempSync(join(tmpdir(), "stampede-folder-"));
    const first = await createRunFolder(out, "smoke", undefined);
    const second = await createRunFolder(out, "smoke", undefined);
    expect(second.runDir).not.toBe(first.runDir);
    expect(readdirSync(first.runDir)).toEqual([]);
  });
});
