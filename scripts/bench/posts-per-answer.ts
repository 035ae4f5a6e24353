/**
 * One measured answer on the local stack: how many `@connections` posts the publisher makes for a
 * long answer, against how many chunks the model sent. Usage:
 *
 *   npx tsx scripts/bench/posts-per-answer.ts [--tokens=500] [--tokens-per-second=100] [--post-latency-ms=0]
 *
 * Prints one JSON object. (The full side-by-side benchmark against a naive publisher is `npm run
 * bench`'s job; this is the quick check of the coalescing defaults.)
 */
import { LexRuntimeV2Client, RecognizeTextCommand } from '@aws-sdk/client-lex-runtime-v2';
import { startLocalStack } from '../../cli/local-stack/stack';
import { newVisitor, openRecordingSocket } from './visitor';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

function flag(name: string, fallback: number): number {
  const raw = process.argv.find((arg) => arg.startsWith(`--${name}=`))?.split('=')[1];
  const value = raw === undefined ? fallback : Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new Error(`--${name} must be a non-negative number`);
  return value;
}

async function main(): Promise<void> {
  const answerTokens = flag('tokens', 500);
  const tokensPerSecond = flag('tokens-per-second', 100);
  const postLatencyMs = flag('post-latency-ms', 0);
  const metrics: Record<string, unknown>[] = [];
  const stack = await startLocalStack({
    modelBehaviour: { answerTokens, tokensPerSecond, timeToFirstTokenMs: 300 },
    connectionsLatencyMs: postLatencyMs,
    onLog: (line, source) => {
      if (source === 'FulfillmentFunction' && line.includes('"_aws"')) metrics.push(JSON.parse(line));
    },
  });
  try {
    const { region } = stack.endpoints;
    const visitor = await newVisitor(stack.endpoints);
    const { sessionId, credentials } = visitor;
    const socket = await openRecordingSocket({ endpoints: stack.endpoints, visitor, clock: Date.now });
    const postsBefore = stack.gateway.stats().posts;
    const lex = new LexRuntimeV2Client({ endpoint: stack.endpoints.lexRuntime, region, credentials });
    const startedAt = Date.now();
    const answer = await lex.send(
      new RecognizeTextCommand({
        botId: stack.endpoints.botId,
        botAliasId: stack.endpoints.botAliasId,
        localeId: stack.endpoints.localeId,
        sessionId,
        text: 'How does coalescing reduce the number of posts?',
      }),
    );
    const lexAt = Date.now();
    lex.destroy();
    await new Promise((resolve) => setTimeout(resolve, 300));
    await socket.close();
    const lastMessageAt = socket.frames.at(-1)?.at ?? 0;
    const emf = metrics.at(-1) ?? {};
    process.stdout.write(
      `${JSON.stringify(
        {
          answerTokens,
          tokensPerSecond,
          postLatencyMs,
          modelChunks: emf.Chunks,
          posts: stack.gateway.stats().posts - postsBefore,
          framesReceived: socket.frames.length,
          answerChars: answer.messages?.[0]?.content?.length ?? 0,
          lexAnswerMs: lexAt - startedAt,
          lastFrameBeforeLexMs: lexAt - lastMessageAt,
          timeToFirstTokenMs: emf.TimeToFirstToken,
        },
        null,
        2,
      )}\n`,
    );
  } finally {
    await stack.stop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exit(1);
});
