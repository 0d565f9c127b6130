import type { BehaviourName } from "../lib/behaviours.ts";
import { bookWatcher } from "./bookWatcher.ts";
import { marketMaker } from "./marketMaker.ts";
import { panickedChecker } from "./panickedChecker.ts";
import { patientChecker } from "./patientChecker.ts";
import { reduceOnlyCloser } from "./reduceOnlyCloser.ts";
import type { Session } from "./session.ts";
import { stopLossSubmitter } from "./stopLossSubmitter.ts";
import { taker } from "./taker.ts";
import { trader } from "./trader.ts";

/** The k6 code of every behaviour of a class mix (loadtests/lib/behaviours.ts names them). */
export const RUN_BEHAVIOUR: Record<BehaviourName, (s: Session) => void> = {
  trader,
  "market-maker": marketMaker,
  taker,
  "stop-loss-submitter": stopLossSubmitter,
  "reduce-only-closer": reduceOnlyCloser,
  "panicked-checker": panickedChecker,
  "patient-checker": patientChecker,
  "book-watcher": bookWatcher,
};
