/**
 * Example Lex V2 fulfillment Lambda of the example bot: streams a Bedrock ConverseStream answer to
 * the session's sockets and fulfils the intent with a Close response carrying the final answer.
 * Model settings come from the environment (STREAMING_MODEL_ID, STREAMING_SYSTEM_PROMPT, …). With
 * streaming off (empty STREAMING_CALLBACK_URL and STREAMING_TABLE_NAME) it answers through Lex only.
 * Configuration is read at cold start, so a half-wired template fails before the first answer.
 */
import type { LexV2Event, LexV2Result } from 'aws-lambda';
import { coldStartMetric } from '../shared/metrics';
import { answerLexV2Fulfillment } from '../streaming/integrations/answer-flows';
import { getPublisherRuntime } from '../streaming/runtime';

const runtime = getPublisherRuntime('fulfillment');
const coldStart = coldStartMetric({ service: runtime.service });

export const handler = async (event: LexV2Event): Promise<LexV2Result> => {
  coldStart();
  return answerLexV2Fulfillment(event, runtime);
};
