/**
 * The credentials a StreamingClient signs its connects with: fetched from the page's provider,
 * checked, kept until shortly before they expire, and fetched again ahead of that (a timer), so a
 * reconnect never waits for them.
 */
import type { ClientCredentials, ClientLogger, ClientTimers, CredentialsProvider } from './client-types';
import { WebPluginError } from './errors';

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
    let fresh: ClientCredentials | undefined;
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
    this.cached = fresh;
    this.scheduleRefresh(fresh);
    return fresh;
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
