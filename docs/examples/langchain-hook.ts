import { ChatBedrockConverse } from '@langchain/aws';
import { ChatPromptTemplate } from '@langchain/core/prompts';
import {
  applyAnswerToQnabotEvent,
  getPublisherRuntime,
  langChainStreamSource,
  publishAnswer,
  publishOptionsOf,
  type QnabotHookEvent,
  readQnabotHookEvent,
  runtimeForQnabotHook,
} from 'qna-streaming/publisher';

// Reads the STREAMING_* environment once, at cold start (as in streaming-hook.ts).
const runtime = getPublisherRuntime('qnabot-hook');

// Bedrock ConverseStream through LangChain.js; credentials from the Lambda's role, and
// AWS_ENDPOINT_URL_BEDROCK_RUNTIME is honoured (the local stack).
const model = new ChatBedrockConverse({ model: 'amazon.nova-micro-v1:0', region: process.env.AWS_REGION });
const chain = ChatPromptTemplate.fromMessages([
  ['system', 'You answer questions about {topic} in a few sentences of Markdown.'],
  ['human', '{question}'],
]).pipe(model); // message chunks: text, usage and the stop reason reach the browser's end frame

export const handler = async (event: QnabotHookEvent): Promise<QnabotHookEvent> => {
  const request = readQnabotHookEvent(event); // req._event.sessionId, req.question, req._settings
  const active = runtimeForQnabotHook(runtime, request);
  const result = await publishAnswer({
    sessionId: request.sessionId,
    // The publisher's cancel signal reaches LangChain (a Stop press closes the model's HTTP stream);
    // a model throttled before its first token is called again, logged as this Lambda.
    source: langChainStreamSource(
      (signal) => chain.stream({ topic: 'QnABot on AWS', question: request.question }, { signal }),
      { logger: active.logger },
    ),
    ...publishOptionsOf(active), // clients, coalescing and polling settings, logger, metrics
  });
  return applyAnswerToQnabotEvent(event, result); // res.message + the Markdown alt message
};
