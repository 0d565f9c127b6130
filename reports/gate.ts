/**
 * The CI gate's pure part: parse threshold expressions and regression specs, evaluate them
 * against a run's summary.json (and a baseline's), and format the verdicts as a text table,
 * JUnit XML and Markdown. No I/O here: scripts/gate.ts reads the files.
 *
 * Each concern has its room in gate/: the config and its validation (config.ts), the checks
 * (checks.ts), the outputs (format.ts). This module is the gate's one address: scripts/gate.ts
 * imports it, and so do TypeScript gate configs outside the repository (`import type
 * { GateConfigFile } from ".../reports/gate.ts"`, docs/ci.md), which must not break when the
 * rooms change.
 */

export {
  type CheckResult,
  checkComplete,
  checkRegression,
  checkThreshold,
  compare,
  type EvaluateOptions,
  evaluateGate,
  type GateOutcome,
  type Resolved,
  relativeChange,
  resolveMetric,
} from "./gate/checks.ts";
export {
  DEFAULT_MAX_REGRESSION,
  DEFAULT_REGRESSIONS,
  GATE_OPERATORS,
  type GateConfig,
  type GateConfigFile,
  type GateConfigOverrides,
  type GateOperator,
  type MetricPath,
  type PathStep,
  parseGateConfig,
  parseMaxRegression,
  parseMetricPath,
  parseThreshold,
  type RegressionSpec,
  type Threshold,
} from "./gate/config.ts";
export { escapeXml, formatJUnit, formatMarkdown, formatTable, type GateMeta } from "./gate/format.ts";
export { formatNumber, formatPercent, movedText } from "./gate/numbers.ts";
