import { describe, expect, it } from "vitest";
import { ApiError, ERR } from "../../loadtests/vocabulary/exchangeErrors.ts";
import { formatUnits, Params } from "../../mock-exchange/api/params.ts";

function codeOf(fn: () => unknown): number | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof ApiError) return err.spec.code;
    throw err;
  }
  return undefined;
}

const qty = (p: Params) =>
  p.units("quantity", "0.001", ERR.QTY_LESS_THAN_ZERO, ERR.QTY_NOT_INCREASED_BY_STEP_SIZE);
const price = (p: Params) =>
  p.units("price", "0.10", ERR.PRICE_LESS_THAN_ZERO, ERR.PRICE_NOT_INCREASED_BY_TICK_SIZE);

describe("Params (the HTTP edge's validation)", () => {
  it("reads query and body together and refuses a name given twice (-1101)", () => {
    expect(new Params("symbol=BTCUSDT", "side=BUY").get("side")).toBe("BUY");
    expect(codeOf(() => new Params("symbol=A", "symbol=B"))).toBe(-1101);
    expect(codeOf(() => new Params("symbol=A&symbol=A"))).toBe(-1101);
  });

  it("converts decimals to exact units and refuses malformed, non-positive and off-step values", () => {
    expect(qty(new Params("quantity=0.005"))).toBe(5);
    expect(qty(new Params("quantity=1.000"))).toBe(1_000);
    expect(price(new Params("price=60000.1"))).toBe(600_001);
    expect(codeOf(() => qty(new Params("quantity=abc")))).toBe(-1102);
    expect(codeOf(() => qty(new Params("quantity=NaN")))).toBe(-1102);
    expect(codeOf(() => qty(new Params("quantity=1e3")))).toBe(-1102);
    expect(codeOf(() => qty(new Params("")))).toBe(-1102);
    expect(codeOf(() => qty(new Params("quantity=0")))).toBe(-4003);
    expect(codeOf(() => qty(new Params("quantity=-1")))).toBe(-4003);
    expect(codeOf(() => qty(new Params("quantity=0.0005")))).toBe(-4023);
    expect(codeOf(() => price(new Params("price=-5")))).toBe(-4001);
    expect(codeOf(() => price(new Params("price=60000.15")))).toBe(-4014);
    expect(codeOf(() => qty(new Params("quantity=1234567890123456")))).toBe(-1111);
  });

  it("formats units back to the venue's decimal strings", () => {
    expect(formatUnits(600_001, "0.10")).toBe("60000.10");
    expect(formatUnits(5, "0.001")).toBe("0.005");
  });
});
