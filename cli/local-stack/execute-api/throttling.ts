/**
 * Route throttling as the stage declares it (`RouteSettings`, else `DefaultRouteSettings`): a token
 * bucket per route (burst, rate per second), applied only while enforced (off by default, because
 * the load and fuzz suites send faster than the shipped limits on purpose). API Gateway applies its
 * limits best effort and also per account and region; this is the per-route part only.
 */
import type { GatewayConfig } from './gateway-config';

/** API Gateway's throttling: a bucket of `burst` tokens refilled at `ratePerSecond`. */
class TokenBucket {
  private tokens: number;
  private at: number;

  constructor(
    private readonly burst: number,
    private readonly ratePerSecond: number | undefined,
    nowMs: number,
  ) {
    this.tokens = burst;
    this.at = nowMs;
  }

  take(nowMs: number): boolean {
    if (this.ratePerSecond !== undefined) {
      this.tokens = Math.min(this.burst, this.tokens + ((nowMs - this.at) / 1000) * this.ratePerSecond);
    }
    this.at = nowMs;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

export class RouteThrottle {
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(
    private readonly config: GatewayConfig,
    /** Requests refused, by route key (the gateway's stats object, counted in place). */
    private readonly throttled: Record<string, number>,
    private readonly now: () => number,
    private enforced: boolean,
  ) {}

  /** Takes a token of the route's bucket; false when the route is throttled (counted). */
  admit(routeKey: string): boolean {
    if (!this.enforced) return true;
    const limits = { ...this.config.throttling, ...this.config.routes[routeKey]?.throttling };
    if (limits.burstLimit === undefined && limits.rateLimit === undefined) return true;
    let bucket = this.buckets.get(routeKey);
    if (!bucket) {
      bucket = new TokenBucket(limits.burstLimit ?? Number.POSITIVE_INFINITY, limits.rateLimit, this.now());
      this.buckets.set(routeKey, bucket);
    }
    if (bucket.take(this.now())) return true;
    this.throttled[routeKey] = (this.throttled[routeKey] ?? 0) + 1;
    return false;
  }

  /** Turns enforcement on or off from now on; every bucket starts full again. */
  setEnforced(enforced: boolean): void {
    this.enforced = enforced;
    this.buckets.clear();
  }
}
