/**
 * Client-controlled session attributes never choose where an answer is posted on their own. Lex Web UI sends its
 * own `streamingEndpoint` (its `wss://` endpoint rewritten to `https://`) and `streamingDynamoDbTable`;
 * they are accepted only when they name the endpoint/table this Lambda is configured with, and
 * otherwise ignored with a warning. Either way the configured values are the ones used.
 */
import type { PublisherConfig } from '../../shared/config';
import type { Logger } from '../../shared/logger';

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

/**
 * Where a publisher with none of our configuration streams when it runs next to a QnABot 7 master
 * (a QnABot Lambda hook: the master gives hooks no environment of ours). What QnABot's own
 * fulfillment does (upstream source/lambda/es-proxy-layer/lib/llm.js): the table comes from its
 * settings (`req._settings.STREAMING_TABLE`, server side), the endpoint from the client's
 * `streamingEndpoint` attribute. The attribute is checked, not trusted: it must be an API Gateway
 * `…/Prod` endpoint in the Lambda's own region (`https://<api id>.execute-api.<region>.amazonaws.com/Prod`,
 * `wss://` accepted and rewritten), and IAM bounds the rest: the hook's role may post only to the
 * streaming API (the nested stack's StreamingPublisherPolicyArn), so naming any other API gets 403
 * and the answer still returns through Lex. Undefined (with the reason) when streaming is not possible.
 */
export function qnabotStreamingTarget(
  attributes: Record<string, unknown>,
  settings: Record<string, unknown>,
  environment: { region: string | undefined; allowLocalEndpoints: boolean },
): { tableName: string; callbackUrl: string } | { reason: string } {
  const tableName = settings.STREAMING_TABLE;
  if (typeof tableName !== 'string' || !tableName.trim()) {
    return { reason: 'QnABot setting STREAMING_TABLE is empty (EnableStreaming=FALSE on the master)' };
  }
  const endpoint = attributes[LEX_WEB_UI_ATTRIBUTES.endpoint];
  if (typeof endpoint !== 'string' || !endpoint.trim()) {
    return { reason: 'the client sent no streamingEndpoint session attribute' };
  }
  const table = attributes[LEX_WEB_UI_ATTRIBUTES.table];
  if (typeof table === 'string' && table.trim() && table.trim() !== tableName.trim()) {
    return { reason: 'the client named another session table in streamingDynamoDbTable' };
  }
  const aws =
    /^(?:https|wss):\/\/([a-z0-9]{10})\.execute-api\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?\/Prod\/?$/.exec(
      endpoint.trim(),
    );
  if (aws) {
    if (aws[2] !== environment.region) {
      return {
        reason: `streamingEndpoint is in region ${aws[2]}, not this Lambda's (${environment.region})`,
      };
    }
    return {
      tableName: tableName.trim(),
      callbackUrl: `https://${aws[1]}.execute-api.${aws[2]}.amazonaws.com${aws[3] ?? ''}/Prod`,
    };
  }
  const local = /^(?:https?|wss?):\/\/(127\.0\.0\.1|localhost):(\d{1,5})\/Prod\/?$/.exec(endpoint.trim());
  if (local && environment.allowLocalEndpoints) {
    return { tableName: tableName.trim(), callbackUrl: `http://${local[1]}:${local[2]}/Prod` };
  }
  return { reason: 'streamingEndpoint is not an API Gateway …/Prod endpoint; ignored' };
}
