/**
 * The CI form of the load run (`npm run load:full` is the full one): 50 visitors asking Lex at the
 * same moment on the real local stack, each socket checked frame by frame against its own Lex
 * answer; then 300 authenticated idle sockets held open while one more visitor still gets a
 * complete answer. Latency and memory are printed, not asserted (2 shared cores make them noisy).
 */

import { type LocalStack, startLocalStack } from '../../cli/local-stack/stack';
import { newVisitor, openRecordingSocket } from '../../scripts/bench/visitor';
import { checkDelivery, parseFrames } from '../../scripts/load/delivery';
import { askThroughLex } from '../../scripts/load/lex-ask';
import {
  createPostClock,
  formatAnswersReport,
  formatIdleReport,
  holdIdleConnections,
  runConcurrentAnswers,
} from '../../scripts/load/load-runner';

const SESSIONS = 50;
const IDLE_CONNECTIONS = 300;

let stack: LocalStack;
const postClock = createPostClock();

beforeAll(async () => {
  stack = await startLocalStack({
    demo: false,
    modelBehaviour: { timeToFirstTokenMs: 50, tokensPerSecond: 200 },
    connectionsLatencyMs: postClock.latencyMs,
  });
}, 60_000);

afterAll(async () => {
  await stack?.stop();
});

it(`${SESSIONS} sessions streaming at once each get every frame, in order, equal to their Lex answer`, async () => {
  // Act
  const report = await runConcurrentAnswers({ stack, postClock, sessions: SESSIONS });
  process.stdout.write(`${formatAnswersReport(report)}\n`);

  // Assess
  expect(report.failed).toEqual([]);
  expect(report.complete).toBe(SESSIONS);
  expect(report.frames).toBeGreaterThanOrEqual(SESSIONS * 3); // start, at least one delta, end (a busy machine may deliver a whole short answer in one delta)
  expect(stack.gateway.stats().goneResponses).toBe(0);
}, 60_000);

it(`holds ${IDLE_CONNECTIONS} authenticated idle sockets and still streams a complete answer meanwhile`, async () => {
  // Prepare
  let answerProblems: string[] | undefined;

  // Act
  const report = await holdIdleConnections({
    stack,
    connections: IDLE_CONNECTIONS,
    whileHeld: async () => {
      const visitor = await newVisitor(stack.endpoints);
      const socket = await openRecordingSocket({ endpoints: stack.endpoints, visitor, protocol: 'json' });
      try {
        const answer = await askThroughLex(stack.endpoints, visitor, 'What is QnABot on AWS?');
        const deadline = Date.now() + 5000;
        while (!socket.text().includes('"type":"end"') && Date.now() < deadline) {
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        const { frames, problems } = parseFrames(socket.frames);
        answerProblems = [
          ...problems,
          ...checkDelivery(
            frames.map(({ frame }) => frame),
            answer.text,
          ),
        ];
      } finally {
        await socket.close();
      }
    },
  });
  process.stdout.write(`${formatIdleReport(report)}\n`);

  // Assess
  expect(report.refused).toEqual([]);
  expect(report.opened).toBe(IDLE_CONNECTIONS);
  expect(report.heldOpen).toBe(IDLE_CONNECTIONS);
  expect(answerProblems).toEqual([]);
  expect(stack.gateway.connectionIds()).toHaveLength(0);
}, 60_000);
