/**
 * The chat page's question: RecognizeText on the local Lex V2 runtime, signed with the visitor's
 * Cognito credentials and the identity id as the Lex session id (as the demo page and Lex Web UI do).
 */
import { LexRuntimeV2Client, RecognizeTextCommand } from '@aws-sdk/client-lex-runtime-v2';
import type { LocalEndpoints } from '../../cli/local-stack/endpoints';
import type { Visitor } from '../bench/visitor';

export interface LexAnswer {
  /** The final answer Lex returned (first message), or '' when it returned none. */
  text: string;
  /** performance.now() when the question was sent and when the answer arrived. */
  sentAt: number;
  answeredAt: number;
}

export async function askThroughLex(
  endpoints: LocalEndpoints,
  visitor: Visitor,
  question: string,
): Promise<LexAnswer> {
  const lex = new LexRuntimeV2Client({
    endpoint: endpoints.lexRuntime,
    region: endpoints.region,
    credentials: visitor.credentials,
    maxAttempts: 1,
  });
  const sentAt = performance.now();
  try {
    const response = await lex.send(
      new RecognizeTextCommand({
        botId: endpoints.botId,
        botAliasId: endpoints.botAliasId,
        localeId: endpoints.localeId,
        sessionId: visitor.sessionId,
        text: question,
      }),
    );
    return { text: response.messages?.[0]?.content ?? '', sentAt, answeredAt: performance.now() };
  } finally {
    lex.destroy();
  }
}
