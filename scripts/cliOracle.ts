import { StampedeError } from "../loadtests/vocabulary/cliErrors.ts";
import { isOracleMode, ORACLE_MODES, type OracleMode } from "../loadtests/vocabulary/market.ts";

/** The commands' `--oracle` (drill, simulate, serve): its help and its check at the edge. */

export const ORACLE_HELP = `How the market model values collateral: ${ORACLE_MODES.join(", ")} (default: the profile's; only for a profile with a market model)`;

/** `--oracle MODE`, checked at the edge; undefined when not given. */
export function oracleOption(value: string | undefined): OracleMode | undefined {
  if (value === undefined) return undefined;
  if (!isOracleMode(value))
    throw new StampedeError(
      "E_USAGE",
      `--oracle must be one of ${ORACLE_MODES.join(", ")}, got ${JSON.stringify(value)}`,
    );
  return value;
}
