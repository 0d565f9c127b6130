// The seeded random source moved to the vocabulary (k6 imports it); this re-export keeps the
// simulators' imports working while they are moved.
export { exponential, type Random, seededRandom } from "../loadtests/vocabulary/random.ts";
