/**
 * Client-controlled session attributes never choose where an answer is posted. Lex Web UI sends its
 * own `streamingEndpoint` (its `wss://` endpoint rewritten to `https://`) and `streamingDynamoDbTable`;
 * they are accepted only when they name the endpoint/table this Lambda is configured with, and
 * otherwise ignored with a warning. Either way the configured values are the ones used.
 */
import type { PublisherConfig } from '../shared/config';
import type { Logger } from '../shared/logger';

/** Session attribute names Lex Web UI sets when streaming is enabled in its config. */
export const LEX_WEB_UI_ATTRIBUTES = {
  endpoint: 'streamingEndpoint',
  table: 'streamingDynamoDbTable',
} as const;

/** Host and path of an endpoint URL, so `wss://x/Prod`, `https://x/Prod/` compare equal. */
export function endpointKey(url: string): string | undefined {
  try {
    const parsed = new URL(url.trim());
    return `${parsed.host.toLowerCase()}${parsed.pathname.replace(/\/+$/, '')}`;
  } catch {
    return undefined;
  }
}

export interface AttributeCheck {
  /** Names of attributes that pointed elsewhere and were ignored. */
  ignored: string[];
}

export function checkStreamingAttributes(
  attributes: Record<string, unknown> | undefined,
  config: Pick<PublisherConfig, 'tableName' | 'callbackUrl' | 'webSocketEndpoint'>,
  logger?: Logger,
): AttributeCheck {
  const ignored: string[] = [];
  const endpoint = attributes?.[LEX_WEB_UI_ATTRIBUTES.endpoint];
  if (typeof endpoint === 'string' && endpoint) {
    const accepted = [config.webSocketEndpoint, config.callbackUrl]
      .filter((value): value is string => Boolean(value))
      .map(endpointKey);
    const key = endpointKey(endpoint);
    if (!config.webSocketEndpoint || key === undefined || !accepted.includes(key)) {
      ignored.push(LEX_WEB_UI_ATTRIBUTES.endpoint);
      logger?.warn('ignoring session attribute naming another streaming endpoint; using the configured one', {
        attribute: LEX_WEB_UI_ATTRIBUTES.endpoint,
        value: endpoint,
      });
    }
  }
  const table = attributes?.[LEX_WEB_UI_ATTRIBUTES.table];
  if (typeof table === 'string' && table && table !== config.tableName) {
    ignored.push(LEX_WEB_UI_ATTRIBUTES.table);
    logger?.warn('ignoring session attribute naming another session table; using the configured one', {
      attribute: LEX_WEB_UI_ATTRIBUTES.table,
      value: table,
    });
  }
  return { ignored };
}
