import {
  applyAnswerToQnabotEvent,
  converseStreamSource,
  getPublisherRuntime,
  publishAnswer,
  type QnabotHookEvent,
  readQnabotHookEvent,
} from '../../functions/streaming';

// Reads STREAMING_CALLBACK_URL / STREAMING_TABLE_NAME once, at cold start.
const runtime = getPublisherRuntime('qnabot-hook');

export const handler = async (event: QnabotHookEvent): Promise<QnabotHookEvent> => {
  const { sessionId, question } = readQnabotHookEvent(event); // req._event.sessionId, req.question
  const result = await publishAnswer({
    sessionId,
    source: converseStreamSource(runtime.bedrock(), {
      modelId: 'amazon.nova-micro-v1:0',
      messages: [{ role: 'user', content: [{ text: question }] }],
    }),
    table: runtime.table,
    managementApi: runtime.managementApi,
    metrics: { service: runtime.service },
  });
  return applyAnswerToQnabotEvent(event, result); // res.message + the Markdown alt message
};
