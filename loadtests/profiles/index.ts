import { airdropHerd } from "./airdropHerd.ts";
import { collateralDepeg20251010 } from "./collateralDepeg20251010.ts";
import { flashCrash100x } from "./flashCrash100x.ts";
import { liquidationCascade20251010 } from "./liquidationCascade20251010.ts";
import { regionOutage } from "./regionOutage.ts";
import { smoke } from "./smoke.ts";
import { soak } from "./soak.ts";
import { spamFlood } from "./spamFlood.ts";
import type { Profile } from "./types.ts";

/** Every profile by name: the CLI and the k6 script look them up here. */
export const PROFILES: Readonly<Record<string, Profile>> = {
  [smoke.name]: smoke,
  [flashCrash100x.name]: flashCrash100x,
  [liquidationCascade20251010.name]: liquidationCascade20251010,
  [collateralDepeg20251010.name]: collateralDepeg20251010,
  [airdropHerd.name]: airdropHerd,
  [regionOutage.name]: regionOutage,
  [spamFlood.name]: spamFlood,
  [soak.name]: soak,
};
