/**
 * The CLI's error catalog: stable codes, a clear message, and the exit code (docs/architecture.md
 * "Interfaces": 0 ok, 1 gate failed, 2 usage or config error, 3 harness fault). Tests assert
 * on `code` and on exit codes, never on wording. In the vocabulary because the reporter throws
 * them too (a missing run, a bad gate config), and it sits below the CLI.
 */

export const EXIT = { ok: 0, gateFailed: 1, usage: 2, harness: 3 } as const;

const CATALOG = {
  E_USAGE: EXIT.usage,
  E_UNKNOWN_PROFILE: EXIT.usage,
  E_BAD_PROFILE: EXIT.usage,
  E_UNKNOWN_STRATEGY: EXIT.usage,
  E_BAD_GATE_CONFIG: EXIT.usage,
  /** A venue file (--venue, calibrate's output) that cannot be read, parsed or validated. */
  E_BAD_VENUE: EXIT.usage,
  /** A file a command would write exists already (venue init, calibrate --out without --force). */
  E_FILE_EXISTS: EXIT.usage,
  E_RUN_NOT_FOUND: EXIT.usage,
  E_K6_MISSING: EXIT.usage,
  E_GO_TOO_OLD: EXIT.usage,
  /** The target (dialect or control plane) answered a 3xx: drills follow no redirect. */
  E_TARGET_REDIRECT: EXIT.usage,
  /** Nothing answers at the target: connection refused, unknown host. */
  E_TARGET_UNREACHABLE: EXIT.usage,
  /** The target's control plane wants a token (401): STAMPEDE_CONTROL_TOKEN missing or wrong. */
  E_CONTROL_TOKEN: EXIT.usage,
  /** Another drill holds the target's lease. */
  E_VENUE_LEASED: EXIT.usage,
  E_K6_BUILD_FAILED: EXIT.harness,
  E_K6_FAILED: EXIT.harness,
  E_EXCHANGE_FAILED: EXIT.harness,
  E_REPORT_FAILED: EXIT.harness,
  E_SIMULATION_FAILED: EXIT.harness,
  /** A signal stopped a command that cannot give its result from part of its work (compare). */
  E_INTERRUPTED: EXIT.harness,
} as const;

export type ErrorCode = keyof typeof CATALOG;

export class StampedeError extends Error {
  readonly exitCode: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.exitCode = CATALOG[code];
  }
}
