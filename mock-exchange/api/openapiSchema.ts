/**
 * The few JSON-schema builders the OpenAPI document (openapi.ts) and its parts
 * (openapiMarketData.ts) write their schemas with, and the shape of one route's documentation.
 */

export type Schema = Record<string, unknown>;

export const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });
export const str: Schema = { type: "string" };
export const int: Schema = { type: "integer" };
export const bool: Schema = { type: "boolean" };
export const dec = ref("Decimal");
export const arrayOf = (items: Schema): Schema => ({ type: "array", items });
export const oneOrAll = (name: string): Schema => ({ oneOf: [ref(name), arrayOf(ref(name))] });

/** An object whose every listed property is required (the mock always sends them). */
export function obj(properties: Record<string, Schema>, optional: readonly string[] = []): Schema {
  return {
    type: "object",
    properties,
    required: Object.keys(properties).filter((k) => !optional.includes(k)),
  };
}

export interface Param {
  name: string;
  required?: boolean;
  schema: Schema;
  description?: string;
}

export const symbol = (required: boolean): Param => ({
  name: "symbol",
  required,
  schema: str,
  ...(required ? {} : { description: "One symbol (an object); without it, every symbol (an array)." }),
});

export interface RouteDoc {
  summary: string;
  params: Param[];
  ok: Schema;
  /** How the weight depends on parameters, when it does. */
  weightNote?: string;
}
