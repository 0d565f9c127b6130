/** USDT and the engine's integer cash units (10^-cashDecimals USDT), both ways. */

export function usdtToCash(usdt: number, cashDecimals: number): number {
  return Math.round(usdt * 10 ** cashDecimals);
}

/** Cash units as the dialect's 8-decimal string. */
export function cashText(units: number, cashDecimals: number): string {
  return (units / 10 ** cashDecimals).toFixed(8);
}
