import { readFileSync } from "node:fs";
import { join } from "node:path";

/**
 * A small JSON Schema (2020-12) validator for the subset docs/summary.schema.json uses: type
 * (one or a list), properties, required, additionalProperties (false or a schema),
 * propertyNames, items, enum, minimum, maximum, $ref to "#/$defs/...". A keyword outside that
 * subset is an error, so the schema cannot silently rely on something this does not check.
 */

type Schema = Record<string, unknown>;

const ANNOTATIONS = new Set(["$schema", "$id", "title", "description", "$defs"]);
const KEYWORDS = new Set([
  "type",
  "properties",
  "required",
  "additionalProperties",
  "propertyNames",
  "items",
  "enum",
  "minimum",
  "maximum",
  "$ref",
]);

export const SUMMARY_SCHEMA = JSON.parse(
  readFileSync(join(import.meta.dirname, "../../docs/summary.schema.json"), "utf8"),
) as Schema;

function typeOf(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (typeof v === "number") return Number.isInteger(v) ? "integer" : "number";
  return typeof v;
}

function hasType(v: unknown, type: string): boolean {
  const t = typeOf(v);
  return t === type || (type === "number" && t === "integer");
}

/** Problems of `value` against `schema` (empty when valid), each with its JSON path. */
export function validate(
  value: unknown,
  schema: Schema = SUMMARY_SCHEMA,
  root: Schema = schema,
  path = "$",
): string[] {
  const problems = unsupportedKeywords(schema, path);
  if (typeof schema.$ref === "string") {
    const target = resolveRef(schema.$ref, root);
    if (target === undefined) return [...problems, `${path}: unresolved $ref ${schema.$ref}`];
    problems.push(...validate(value, target, root, path));
  }
  // A value of the wrong type has no further problems worth naming: they would all follow from it.
  const wrongType = typeProblem(value, schema, path);
  if (wrongType !== undefined) return [...problems, wrongType];
  problems.push(...enumAndRangeProblems(value, schema, path));
  if (Array.isArray(value) && schema.items !== undefined)
    value.forEach((item, i) => {
      problems.push(...validate(item, schema.items as Schema, root, `${path}[${i}]`));
    });
  if (typeOf(value) === "object")
    problems.push(...objectProblems(value as Record<string, unknown>, schema, root, path));
  return problems;
}

/** A keyword outside the subset is a problem of the schema, so it cannot pass unchecked. */
function unsupportedKeywords(schema: Schema, path: string): string[] {
  return Object.keys(schema)
    .filter((key) => !ANNOTATIONS.has(key) && !KEYWORDS.has(key))
    .map((key) => `${path}: schema keyword "${key}" not supported`);
}

/** `#/$defs/<name>` in the root schema; undefined for any other reference. */
function resolveRef(ref: string, root: Schema): Schema | undefined {
  const m = /^#\/\$defs\/(.+)$/.exec(ref);
  return m ? (root.$defs as Record<string, Schema> | undefined)?.[m[1] as string] : undefined;
}

function typeProblem(value: unknown, schema: Schema, path: string): string | undefined {
  if (schema.type === undefined) return undefined;
  const types = Array.isArray(schema.type) ? (schema.type as string[]) : [schema.type as string];
  if (types.some((t) => hasType(value, t))) return undefined;
  return `${path}: expected ${types.join(" or ")}, got ${typeOf(value)}`;
}

function enumAndRangeProblems(value: unknown, schema: Schema, path: string): string[] {
  const problems: string[] = [];
  if (Array.isArray(schema.enum) && !schema.enum.some((e) => e === value))
    problems.push(`${path}: ${JSON.stringify(value)} not one of ${JSON.stringify(schema.enum)}`);
  if (typeof value === "number") {
    if (typeof schema.minimum === "number" && value < schema.minimum)
      problems.push(`${path}: ${value} < minimum ${schema.minimum}`);
    if (typeof schema.maximum === "number" && value > schema.maximum)
      problems.push(`${path}: ${value} > maximum ${schema.maximum}`);
  }
  return problems;
}

/** required, then per key: propertyNames, and its own schema or additionalProperties. */
function objectProblems(obj: Record<string, unknown>, schema: Schema, root: Schema, path: string): string[] {
  const problems: string[] = [];
  const props = (schema.properties ?? {}) as Record<string, Schema>;
  for (const key of (schema.required ?? []) as string[])
    if (!Object.hasOwn(obj, key)) problems.push(`${path}: missing required "${key}"`);
  for (const [key, v] of Object.entries(obj)) {
    const at = `${path}.${key}`;
    if (schema.propertyNames !== undefined)
      problems.push(...validate(key, schema.propertyNames as Schema, root, `${at} (name)`));
    const own = props[key];
    if (own !== undefined) problems.push(...validate(v, own, root, at));
    else if (schema.additionalProperties === false) problems.push(`${at}: not allowed`);
    else if (typeof schema.additionalProperties === "object" && schema.additionalProperties !== null)
      problems.push(...validate(v, schema.additionalProperties as Schema, root, at));
  }
  return problems;
}
