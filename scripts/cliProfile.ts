import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { stringify } from "yaml";
import type { CommandModule } from "yargs";
import { naturalDurationS } from "../loadtests/lib/plan.ts";
import { PROFILES } from "../loadtests/profiles/index.ts";
import { VENUE_SYMBOL_NAMES } from "./exchangeConfig.ts";
import { ROOT } from "./paths.ts";
import { PROFILE_SCHEMA_FILE, resolveProfile } from "./profileSource.ts";
import { writeSchemas } from "./schemas.ts";

/**
 * `stampede profile validate FILE`, `stampede profile show NAME` and `stampede schemas`: the
 * commands around profile files, apart from cli.ts so each command file stays small.
 */

type Fail = (err: unknown) => never;

/** A built-in profile as a YAML file to start from, naming the schema that checks it. */
export function profileYaml(name: string): string {
  const { profile } = resolveProfile(name);
  const schemaUrl = pathToFileURL(join(ROOT, PROFILE_SCHEMA_FILE)).href;
  const header = [
    `# stampede profile "${profile.name}", written by \`stampede profile show ${name}\`.`,
    `# Edit it, check it with \`stampede profile validate FILE\`, run it with \`--profile FILE\`.`,
    `# Fields, units and rules: ${PROFILE_SCHEMA_FILE} in the stampede repository.`,
    `# yaml-language-server: $schema=${schemaUrl}`,
  ];
  return `${header.join("\n")}\n${stringify(profile, { lineWidth: 100 })}`;
}

/** The one line `profile validate` prints for a valid profile. */
export function validSummary(spec: string): string {
  const { profile } = resolveProfile(spec, { venueSymbols: VENUE_SYMBOL_NAMES });
  const naturalS = naturalDurationS(profile);
  const wallS = naturalS / profile.defaultTimeScale;
  return `OK ${spec}: profile "${profile.name}", ${profile.phases.length} phases (${profile.phases.map((p) => p.name).join(", ")}), ${naturalS} natural s, ${Math.round(wallS)} wall s at its time scale ${profile.defaultTimeScale}`;
}

export function profileCommands(fail: Fail): CommandModule[] {
  const profile: CommandModule = {
    command: "profile",
    describe: "Profile files: check one (validate FILE), or print a built-in one to start from (show NAME)",
    builder: (y) =>
      y
        .command(
          "validate <file>",
          "Check a profile file (YAML or JSON) against the schema and the profile rules; exit 2 with every problem",
          (v) => v.positional("file", { type: "string", demandOption: true }),
          (argv) => {
            try {
              process.stdout.write(`${validSummary(String(argv.file))}\n`);
            } catch (err) {
              fail(err);
            }
          },
        )
        .command(
          "show <name>",
          "Print a built-in profile as YAML (JSON with --json), a file to start your own from",
          (v) =>
            v
              .positional("name", {
                type: "string",
                demandOption: true,
                describe: `Profile: ${Object.keys(PROFILES).join(", ")}`,
              })
              .option("json", { type: "boolean", default: false, describe: "Print JSON instead of YAML" }),
          (argv) => {
            try {
              const name = String(argv.name);
              process.stdout.write(
                argv.json ? `${JSON.stringify(resolveProfile(name).profile, null, 2)}\n` : profileYaml(name),
              );
            } catch (err) {
              fail(err);
            }
          },
        )
        .demandCommand(1, "Name a subcommand: validate FILE or show NAME."),
    handler: () => {},
  };
  const schemas: CommandModule = {
    command: "schemas",
    describe: "Regenerate docs/schemas/*.schema.json from the TypeScript types (a development command)",
    builder: (y) => y,
    handler: async () => {
      try {
        for (const file of await writeSchemas()) process.stdout.write(`${file}\n`);
      } catch (err) {
        fail(err);
      }
    },
  };
  return [profile, schemas];
}
