import { liquidationCascade20251010 } from "./liquidationCascade20251010.ts";
import { regionOutage } from "./regionOutage.ts";
import { smoke } from "./smoke.ts";
import type { Profile } from "./types.ts";

/** Every profile by name: the CLI and the k6 script look them up here. */
export const PROFILES: Readonly<Record<string, Profile>> = {
  [smoke.name]: smoke,
  [liquidationCascade20251010.name]: liquidationCascade20251010,
  [regionOutage.name]: regionOutage,
};
