import {
  applyAnswerToQnabotEvent,
  converseInputForQuestion,
  converseStreamSource,
  getPublisherRuntime,
  publishAnswer,
  publishOptionsOf,
  type QnabotHookEvent,
  readQnabotHookEvent,
  runtimeForQnabotHook,
} from 'qna-streaming/publisher';

// Reads the STREAMING_* environment once, at cold start: the @connections URL, the session table,
// the coalescing and polling settings; 'qnabot-hook' names this Lambda in its logs and metrics.
const runtime = getPublisherRuntime('qnabot-hook');

export const handler = async (event: QnabotHookEvent): Promise<QnabotHookEvent> => {
  const request = readQnabotHookEvent(event); // req._event.sessionId, req.question, req._settings
  // Without STREAMING_* (a hook next to a QnABot master): QnABot's STREAMING_TABLE + checked endpoint.
  const active = runtimeForQnabotHook(runtime, request);
  const input = converseInputForQuestion({ modelId: 'amazon.nova-micro-v1:0', question: request.question });
  const result = await publishAnswer({
    sessionId: request.sessionId,
    // Bedrock ConverseStream; a model throttled before its first token is retried, logged as this Lambda.
    source: converseStreamSource(active.bedrock(), input, { logger: active.logger }),
    ...publishOptionsOf(active), // clients, coalescing and polling settings, logger, metrics
  });
  return applyAnswerToQnabotEvent(event, result); // res.message + the Markdown alt message
};
