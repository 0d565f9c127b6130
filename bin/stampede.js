#!/usr/bin/env node
// The CLI is TypeScript run through tsx's loader, so there is no build step between a clone and a drill.
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";

const REPO = dirname(dirname(fileURLToPath(import.meta.url)));
/** cliErrors.ts's EXIT.harness; the catalog itself is TypeScript, which cannot load without tsx. */
const EXIT_HARNESS = 3;

/** A package that cannot be found (not a file of the repository): the install is missing or incomplete. */
function isMissingPackage(err) {
  return (
    err instanceof Error && err.code === "ERR_MODULE_NOT_FOUND" && /Cannot find package/.test(err.message)
  );
}

try {
  const { register } = await import("tsx/esm/api");
  register();
  await import("../scripts/cli.ts");
} catch (err) {
  // Exit 1 means "gate failed" to CI: a harness that cannot start must not look like one.
  if (isMissingPackage(err)) {
    const what = err.message.split("\n")[0];
    process.stderr.write(`stampede: dependencies are missing; run \`npm install\` in ${REPO}\n  (${what})\n`);
  } else {
    process.stderr.write(
      `stampede: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
  }
  process.exit(EXIT_HARNESS);
}
