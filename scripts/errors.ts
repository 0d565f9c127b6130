// The CLI's catalog moved to the vocabulary (the reporter throws it too, and sits below the
// CLI); this re-export keeps imports that other changes still add working for one step.
export { type ErrorCode, EXIT, StampedeError } from "../loadtests/vocabulary/cliErrors.ts";
