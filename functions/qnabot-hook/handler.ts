/**
 * Example QnABot Lambda hook: answers the matched item from Bedrock ConverseStream and streams the
 * answer word by word to the user's open sockets while QnABot gets the final text. Model id and
 * prompt come from the item's hook arguments (e.g. `{"modelId":"…","system":"…"}`), QnABot settings,
 * or the environment (STREAMING_MODEL_ID, STREAMING_SYSTEM_PROMPT). With streaming off (empty
 * STREAMING_CALLBACK_URL and STREAMING_TABLE_NAME) QnABot still gets the full answer.
 * Configuration is read at cold start, so a half-wired template fails before the first answer.
 */
import { coldStartMetric } from '../shared/metrics';
import { answerQnabotHook } from '../streaming/integrations/answer-flows';
import type { QnabotHookEvent } from '../streaming/integrations/qnabot';
import { getPublisherRuntime } from '../streaming/runtime';

const runtime = getPublisherRuntime('qnabot-hook');
const coldStart = coldStartMetric({ service: runtime.service });

export const handler = async (event: QnabotHookEvent): Promise<QnabotHookEvent> => {
  coldStart();
  return answerQnabotHook(event, runtime);
};
