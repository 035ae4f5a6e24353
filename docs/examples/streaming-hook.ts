import {
  applyAnswerToQnabotEvent,
  converseStreamSource,
  getPublisherRuntime,
  publishAnswer,
  publishOptionsOf,
  type QnabotHookEvent,
  readQnabotHookEvent,
  runtimeForQnabotHook,
} from '../../functions/streaming';

// Reads STREAMING_CALLBACK_URL / STREAMING_TABLE_NAME (and the coalescing settings) at cold start.
const runtime = getPublisherRuntime('qnabot-hook');

export const handler = async (event: QnabotHookEvent): Promise<QnabotHookEvent> => {
  const request = readQnabotHookEvent(event); // req._event.sessionId, req.question, req._settings
  // Without STREAMING_* (a hook next to a QnABot master): QnABot's STREAMING_TABLE + checked endpoint.
  const active = runtimeForQnabotHook(runtime, request);
  const result = await publishAnswer({
    sessionId: request.sessionId,
    source: converseStreamSource(active.bedrock(), {
      modelId: 'amazon.nova-micro-v1:0',
      messages: [{ role: 'user', content: [{ text: request.question }] }],
    }),
    ...publishOptionsOf(active), // clients, coalescing and polling settings, logger, metrics
  });
  return applyAnswerToQnabotEvent(event, result); // res.message + the Markdown alt message
};
