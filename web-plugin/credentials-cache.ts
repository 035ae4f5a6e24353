/**
 * The credentials a StreamingClient signs its connects with: fetched from the page's provider,
 * checked, kept until shortly before they expire, and fetched again ahead of that (a timer), so a
 * reconnect never waits for them.
 */
import type {
  ClientCredentials,
  ClientLogger,
  ClientTimers,
  CredentialsProvider,
  ProviderCredentials,
} from './client-types';
import { WebPluginError } from './errors';

/**
 * An `expiration` number below this is seconds since the epoch, from it on milliseconds: 10^11
 * seconds is the year 5138, 10^11 milliseconds is March 1973, so no real expiry is ambiguous.
 */
export const EPOCH_SECONDS_LIMIT = 1e11;

/** The provider's `expiration` as a Date: a valid Date, or epoch seconds/milliseconds (see above). */
export function readExpiration(value: unknown): Date | undefined {
  if (value == null) return undefined;
  // A Date from another frame (an iframe's SDK) is a Date too, so no instanceof.
  const time =
    Object.prototype.toString.call(value) === '[object Date]'
      ? (value as Date).getTime()
      : typeof value === 'number' && value > 0
        ? value < EPOCH_SECONDS_LIMIT
          ? value * 1000
          : value
        : Number.NaN;
  if (Number.isFinite(time)) return new Date(time);
  throw new WebPluginError(
    'BAD_OPTION',
    `credentials.expiration must be a Date or a number of seconds or milliseconds since the epoch, got ${typeof value === 'string' ? `"${value}"` : String(value)}`,
  );
}

export interface CredentialsCacheOptions {
  readonly provider: CredentialsProvider;
  readonly now: () => number;
  readonly timers: ClientTimers;
  readonly logger: ClientLogger;
  /** Credentials are fetched again this long before they expire. */
  readonly refreshMarginMs: number;
  /** True once the client stopped: no refresh is scheduled then. */
  readonly stopped: () => boolean;
}

export class CredentialsCache {
  private cached: ClientCredentials | undefined;
  private refreshTimer: unknown;

  constructor(private readonly options: CredentialsCacheOptions) {}

  /** The cached credentials while they are valid beyond the margin, else fresh ones from the provider. */
  async get(): Promise<ClientCredentials> {
    const cached = this.cached;
    const margin = this.options.refreshMarginMs;
    if (cached && (!cached.expiration || cached.expiration.getTime() - this.options.now() > margin))
      return cached;
    let fresh: ProviderCredentials | undefined;
    try {
      fresh = await this.options.provider();
    } catch (error) {
      throw new WebPluginError('MISSING_CREDENTIALS', 'the credentials provider failed', { cause: error });
    }
    if (!fresh?.accessKeyId || !fresh.secretAccessKey) {
      throw new WebPluginError(
        'MISSING_CREDENTIALS',
        'the credentials provider returned no accessKeyId/secretAccessKey',
      );
    }
    const expiration = readExpiration(fresh.expiration);
    const checked: ClientCredentials = {
      accessKeyId: fresh.accessKeyId,
      secretAccessKey: fresh.secretAccessKey,
      ...(fresh.sessionToken ? { sessionToken: fresh.sessionToken } : {}),
      ...(expiration ? { expiration } : {}),
    };
    this.cached = checked;
    this.scheduleRefresh(checked);
    return checked;
  }

  /** Stops the refresh timer (the client closed or gave up). */
  cancelRefresh(): void {
    if (this.refreshTimer !== undefined) this.options.timers.clearTimeout(this.refreshTimer);
    this.refreshTimer = undefined;
  }

  /** Fetches credentials again shortly before they expire, so a reconnect never waits for them. */
  private scheduleRefresh(credentials: ClientCredentials): void {
    this.cancelRefresh();
    if (!credentials.expiration || this.options.stopped()) return;
    const delay = credentials.expiration.getTime() - this.options.refreshMarginMs - this.options.now();
    if (delay <= 0) return;
    this.refreshTimer = this.options.timers.setTimeout(() => {
      this.refreshTimer = undefined;
      this.cached = undefined;
      this.get().catch((error: unknown) => {
        this.options.logger.warn('credentials refresh failed; retried at the next connect', { error });
      });
    }, delay);
  }
}
