/**
 * Example QnABot Lambda hook: answers the matched item from Bedrock ConverseStream and streams the
 * answer word by word to the user's open sockets while QnABot gets the final text. Model id and
 * prompt come from the item's hook arguments (e.g. `{"modelId":"…","system":"…"}`), QnABot settings,
 * or the environment (STREAMING_MODEL_ID, STREAMING_SYSTEM_PROMPT).
 */
import { answerQnabotHook } from '../streaming/answer-flows';
import type { QnabotHookEvent } from '../streaming/qnabot-hook';
import { getPublisherRuntime } from '../streaming/runtime';

export const handler = async (event: QnabotHookEvent): Promise<QnabotHookEvent> =>
  answerQnabotHook(event, getPublisherRuntime('qnabot-hook'));
