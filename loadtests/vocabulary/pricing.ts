import type { TierName } from "./capacity.ts";

/**
 * What one instance of each tier costs per hour, in US dollars: the default `stampede compare`
 * puts on instance-minutes (override with `--price-per-instance-hour gateway=0.19,read=0.38`).
 *
 * ASSUMPTION, not a quote: modelled on AWS EC2 on-demand Linux prices in us-east-1 of
 * general-purpose instances, `gateway` on an m5.xlarge (4 vCPU, 16 GiB, 0.192 USD/h) and `read`
 * on an m5.2xlarge (8 vCPU, 32 GiB, 0.384 USD/h), because a read replica holds the account state
 * in memory. Reserved, spot and other regions differ; the ratio matters more than the level when
 * strategies are compared with each other.
 */
export const DEFAULT_PRICE_USD_PER_INSTANCE_HOUR: Readonly<Record<TierName, number>> = {
  gateway: 0.192,
  read: 0.384,
};
