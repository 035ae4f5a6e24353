/**
 * The bundled knowledge base of the local model: short Q&A pairs about this add-on, QnABot,
 * Lex Web UI, WebSockets, streaming and Bedrock (KNOWLEDGE_BASE_ENTRIES), and a few long answers
 * of the kind a real LLM writes (LONG_ANSWER_ENTRIES: paragraphs, lists, a code block). The local
 * model answers with the entry whose question and keywords best overlap the user's question;
 * RetrieveAndGenerate cites the matched entries as `s3://local-knowledge-base/<slug>.md`.
 */
export interface KnowledgeBaseEntry {
  /** Stable id; also the document name in citations. */
  readonly slug: string;
  readonly title: string;
  readonly question: string;
  /** Extra words a user may ask with (matched like the question). */
  readonly keywords: readonly string[];
  readonly answer: string;
}

export const KNOWLEDGE_BASE_ENTRIES: readonly KnowledgeBaseEntry[] = [
  {
    slug: 'what-is-qna-streaming',
    title: 'What qna-streaming is',
    question: 'What is qna-streaming and what does it do?',
    keywords: ['product', 'add-on', 'overview', 'word by word', 'about'],
    answer:
      'qna-streaming is an optional add-on for QnABot and Lex Web UI bots that streams answers from a large language model word by word. ' +
      'A nested stack adds an API Gateway WebSocket API, a session table and a connection Lambda; a small library in your fulfillment Lambda sends the model output to the visitor’s open sockets, and the final answer still returns through Lex.',
  },
  {
    slug: 'enable-streaming',
    title: 'Turning streaming on',
    question: 'How do I enable streaming on my existing QnABot stack?',
    keywords: ['EnableStreaming', 'toggle', 'parameter', 'turn on', 'activate', 'install', 'update stack'],
    answer:
      'Update your bot stack and set the parameter EnableStreaming to TRUE. The nested streaming stack is created, and its output StreamingWebSocketEndpoint holds the wss:// address. ' +
      'Paste that address into the streaming settings of your chat client (Lex Web UI or your own page) and reload it.',
  },
  {
    slug: 'disable-streaming',
    title: 'Turning streaming off',
    question: 'How do I disable streaming again?',
    keywords: ['turn off', 'remove', 'deactivate', 'FALSE', 'uninstall'],
    answer:
      'Set EnableStreaming back to FALSE and update the stack. The nested stack and its WebSocket API are deleted, and the bot answers exactly as before, with the complete answer arriving through Lex.',
  },
  {
    slug: 'websocket-endpoint',
    title: 'The WebSocket endpoint',
    question: 'Where do I find the WebSocket endpoint URL?',
    keywords: ['StreamingWebSocketEndpoint', 'wss', 'url', 'output', 'address', 'outputs'],
    answer:
      'Open the CloudFormation console, select your bot stack and look at its Outputs tab: StreamingWebSocketEndpoint is the wss:// URL browsers connect to, ending in /Prod. ' +
      'StreamingCallbackUrl is the https:// address the Lambda functions use to post to connections.',
  },
  {
    slug: 'websocket-authentication',
    title: 'How browsers authenticate',
    question: 'How does the browser authenticate to the WebSocket API?',
    keywords: [
      'sigv4',
      'presign',
      'signature',
      'iam',
      'cognito',
      'credentials',
      'auth',
      'security',
      'connect',
    ],
    answer:
      'The $connect route uses AWS_IAM authorization. The browser plugin presigns the wss:// URL with Signature Version 4, using the visitor’s Cognito credentials, and includes the Lex session id in the signed query string. ' +
      'When the caller signed with Cognito credentials, the session id must equal their Cognito identity id, so nobody can listen to someone else’s answers.',
  },
  {
    slug: 'session-id',
    title: 'Session ids',
    question: 'Which session id should the WebSocket connection use?',
    keywords: ['sessionId', 'lex session', 'query string', 'identity'],
    answer:
      'Use the same session id you pass to Lex RecognizeText, between 2 and 100 characters of letters, digits, dots, underscores, colons and hyphens. ' +
      'The fulfillment Lambda looks up the connections of that session id and streams the answer to all of them, so several open tabs all receive it.',
  },
  {
    slug: 'text-and-json-protocol',
    title: 'Message formats',
    question: 'What do the messages on the WebSocket look like?',
    keywords: ['protocol', 'json', 'text', 'frames', 'format', 'seq', 'turnId', 'delta'],
    answer:
      'By default each WebSocket message is plain answer text, which is what Lex Web UI expects. Connect with protocol=json to receive one JSON object per message instead: start, delta, citation, end and error frames, each with a turnId and a gap-free seq number so a client can detect loss.',
  },
  {
    slug: 'keep-alive',
    title: 'Idle timeouts and heartbeats',
    question: 'Why does my WebSocket connection close after ten minutes?',
    keywords: ['idle', 'timeout', 'ping', 'heartbeat', 'disconnect', 'closed', 'keepalive', 'two hours'],
    answer:
      'API Gateway closes WebSocket connections that are idle for 10 minutes and any connection after 2 hours. The browser plugin sends {"action":"ping"} every 9 minutes and reconnects with a fresh signature before the 2-hour limit, so the socket stays ready for the next answer.',
  },
  {
    slug: 'cancel-answer',
    title: 'Stopping an answer',
    question: 'Can a user stop an answer while it is streaming?',
    keywords: ['cancel', 'stop', 'abort', 'interrupt'],
    answer:
      'Yes. The plugin’s stop control sends {"action":"cancel"} on the socket. The publisher notices within a second, aborts the model call and returns the partial text, marked as stopped, as the final answer.',
  },
  {
    slug: 'final-answer',
    title: 'Streamed text and the final answer',
    question: 'What happens to the streamed text when the Lex answer arrives?',
    keywords: ['replace', 'final', 'formatted', 'markdown', 'lex response'],
    answer:
      'The streamed text is a preview. When the final Lex answer arrives, with its formatting, buttons and citations, it replaces the streamed text in the chat window. If streaming fails, nothing is lost, because the final answer always comes through Lex.',
  },
  {
    slug: 'qnabot-overview',
    title: 'QnABot on AWS',
    question: 'What is QnABot on AWS?',
    keywords: ['qnabot', 'solution', 'chatbot', 'content designer', 'faq'],
    answer:
      'QnABot on AWS is an open source solution that builds a conversational bot on Amazon Lex. Administrators maintain questions and answers in the Content Designer, and the bot can use Amazon Bedrock knowledge bases and large language models to answer questions that are not in its list.',
  },
  {
    slug: 'qnabot-lambda-hook',
    title: 'Streaming from a QnABot Lambda hook',
    question: 'How do I stream an answer from a QnABot Lambda hook?',
    keywords: ['hook', 'lambda hook', 'req', 'res', 'fulfillment', 'publisher', 'library'],
    answer:
      'In your Lambda hook, create a publisher from the streaming library, pass it the hook event and your model stream, and return the event it gives back. ' +
      'The library reads the session id from the request, finds the open connections while the model starts, streams the text and fills res.message with the final answer.',
  },
  {
    slug: 'lex-web-ui',
    title: 'Lex Web UI',
    question: 'What is Lex Web UI?',
    keywords: ['web ui', 'chat window', 'widget', 'iframe', 'loader', 'vuex'],
    answer:
      'Lex Web UI is an open source chat interface for Amazon Lex bots that you can embed in a web page as a full page or a widget. It signs in visitors through Amazon Cognito, and with streaming turned on it shows the answer as it is generated.',
  },
  {
    slug: 'lex-web-ui-streaming-config',
    title: 'Configuring streaming in Lex Web UI',
    question: 'How do I configure streaming in Lex Web UI?',
    keywords: ['allowStreamingResponses', 'streamingWebSocketEndpoint', 'config', 'settings', 'plugin'],
    answer:
      'Set allowStreamingResponses to true and streamingWebSocketEndpoint to the StreamingWebSocketEndpoint output of your stack in the Lex Web UI configuration. The plugin then opens the socket with the visitor’s credentials and renders each chunk as it arrives.',
  },
  {
    slug: 'other-pages',
    title: 'Using the plugin on any page',
    question: 'Can I use streaming without Lex Web UI?',
    keywords: ['any page', 'react', 'framework', 'custom client', 'embed', 'widget'],
    answer:
      'Yes. The browser plugin has a framework-free API: give it the endpoint, a credentials provider and the Lex session id, and subscribe to its chunk, final and error events. It works in any modern browser page.',
  },
  {
    slug: 'websockets',
    title: 'WebSockets',
    question: 'What is a WebSocket?',
    keywords: ['websocket', 'socket', 'bidirectional', 'real-time', 'push'],
    answer:
      'A WebSocket is a long-lived, two-way connection between a browser and a server over a single TCP connection. Unlike a normal HTTP request, the server can push messages at any time, which makes it a good fit for sending an answer piece by piece.',
  },
  {
    slug: 'api-gateway-websocket',
    title: 'API Gateway WebSocket APIs',
    question: 'How does API Gateway handle WebSocket connections?',
    keywords: ['api gateway', 'routes', '@connections', 'connection id', 'postToConnection', 'managementapi'],
    answer:
      'API Gateway keeps the WebSocket open for you and calls a backend for route keys such as $connect, $disconnect and $default. Each connection gets a connection id, and a backend sends messages to it by calling POST on the @connections API. A message can be at most 32 KB per frame and 128 KB in total.',
  },
  {
    slug: 'gone-connections',
    title: 'Closed connections',
    question: 'What happens when the browser tab is closed during an answer?',
    keywords: ['410', 'gone', 'closed tab', 'stale', 'disconnect'],
    answer:
      'Posting to a closed connection returns 410 Gone. The publisher forgets that connection, deletes its item from the session table and keeps streaming to the session’s other tabs; the answer itself still completes and returns through Lex.',
  },
  {
    slug: 'why-streaming',
    title: 'Why stream answers',
    question: 'Why should answers be streamed?',
    keywords: ['benefit', 'latency', 'wait', 'user experience', 'faster', 'perceived'],
    answer:
      'A language model may need several seconds to write a full answer, but its first words are ready after a fraction of a second. Streaming shows those words immediately, so visitors start reading at once instead of staring at a typing indicator.',
  },
  {
    slug: 'coalescing',
    title: 'Coalescing chunks',
    question: 'Does every model chunk become its own WebSocket message?',
    keywords: ['coalesce', 'batch', 'posts', 'cost', 'window', 'chunk', 'performance'],
    answer:
      'No. The first text goes out at once, and later chunks are coalesced within a short window, so an answer costs a fraction of one post per model chunk. Posts are pipelined, so reading the model stream never waits for a post, and order is preserved for each connection.',
  },
  {
    slug: 'throttling',
    title: 'Throttling and retries',
    question: 'What happens when Bedrock throttles a request?',
    keywords: ['throttle', 'throttling', '429', 'rate limit', 'retry', 'backoff', 'quota'],
    answer:
      'When Bedrock throttles before the first token, the publisher retries with jittered exponential backoff. If the model fails in the middle of an answer, the browser receives an error frame and the final answer contains what was generated, with a clear note that it is incomplete.',
  },
  {
    slug: 'bedrock-overview',
    title: 'Amazon Bedrock',
    question: 'What is Amazon Bedrock?',
    keywords: ['bedrock', 'foundation model', 'llm', 'claude', 'nova', 'titan', 'generative ai'],
    answer:
      'Amazon Bedrock is a managed service that gives access to foundation models from Amazon and other providers through one API. You pay per token, and models are called with Converse or InvokeModel, or their streaming variants.',
  },
  {
    slug: 'converse-stream',
    title: 'ConverseStream',
    question: 'How does the Bedrock ConverseStream API work?',
    keywords: ['converse', 'conversestream', 'contentBlockDelta', 'event stream', 'messageStop', 'metadata'],
    answer:
      'ConverseStream sends the conversation to a model and returns an event stream: messageStart, then many contentBlockDelta events with pieces of text, contentBlockStop, messageStop with the stop reason, and a final metadata event with token usage and latency.',
  },
  {
    slug: 'knowledge-bases',
    title: 'Bedrock knowledge bases',
    question: 'What is a Bedrock knowledge base and RetrieveAndGenerate?',
    keywords: [
      'knowledge base',
      'rag',
      'retrieval',
      'retrieveandgenerate',
      'citations',
      'sources',
      'documents',
    ],
    answer:
      'A Bedrock knowledge base indexes your documents so a model can answer from them. RetrieveAndGenerateStream retrieves the most relevant passages, streams the generated answer and sends citations that point to the source documents, which the plugin can show as references.',
  },
  {
    slug: 'model-access',
    title: 'Model access',
    question: 'Why do I get AccessDeniedException when calling a Bedrock model?',
    keywords: ['access denied', 'model access', 'permission', 'AccessDeniedException', 'enable model'],
    answer:
      'Either the model is not enabled for your account in the Bedrock console, or the Lambda role lacks bedrock:InvokeModelWithResponseStream on that model. Enable model access in the console, and grant the permission on the model or inference profile ARN.',
  },
  {
    slug: 'iam-permissions',
    title: 'Permissions for the publisher',
    question: 'Which IAM permissions does a Lambda need to stream answers?',
    keywords: ['iam', 'policy', 'managed policy', 'StreamingPublisherPolicyArn', 'ManageConnections', 'role'],
    answer:
      'Attach the managed policy from the StreamingPublisherPolicyArn output to the fulfillment Lambda role. It grants execute-api:ManageConnections on this API’s @connections path and read access to the session table, and nothing more.',
  },
  {
    slug: 'cost',
    title: 'What streaming costs',
    question: 'How much does streaming cost?',
    keywords: ['price', 'pricing', 'cost', 'billing', 'money', 'charges'],
    answer:
      'You pay for API Gateway WebSocket connection minutes and messages, the connection Lambda invocations and on-demand DynamoDB requests. Because chunks are coalesced, a typical answer needs only a handful of messages, so the cost is small next to the model’s token charges.',
  },
  {
    slug: 'local-stack',
    title: 'The local stack',
    question: 'Can I try streaming without an AWS account?',
    keywords: ['local', 'npm start', 'offline', 'demo', 'development', 'laptop', 'test'],
    answer:
      'Yes. Run npm start to launch the local stack on 127.0.0.1: a local WebSocket API with real signature checks, a DynamoDB-compatible table, a local model that answers from a small knowledge base, and a demo chat page. The Lambda code runs unchanged against it.',
  },
  {
    slug: 'troubleshooting-no-stream',
    title: 'When nothing streams',
    question: 'Why do I only see the final answer and no streaming?',
    keywords: ['troubleshoot', 'not working', 'no streaming', 'debug', 'problem', 'broken'],
    answer:
      'Check three things: the chat client has the right StreamingWebSocketEndpoint, the socket connects (a 403 means the session id does not match the signing identity), and the fulfillment Lambda has the publisher policy attached. The connection and publisher logs in CloudWatch name the failing step.',
  },
  {
    slug: 'regions',
    title: 'Supported regions',
    question: 'In which AWS regions can I use streaming?',
    keywords: ['region', 'regions', 'availability', 'us-east-1'],
    answer:
      'Streaming works in every region where API Gateway WebSocket APIs, Lambda, DynamoDB and Amazon Lex V2 are available. The model can be called in the same region or through a cross-region inference profile.',
  },
  {
    slug: 'greeting',
    title: 'Greetings',
    question: 'Hello, who are you?',
    keywords: ['hello', 'hi', 'hey', 'help', 'assistant', 'bot'],
    answer:
      'Hello! I am the local demo assistant of qna-streaming. Ask me about streaming answers, QnABot, Lex Web UI, WebSockets or Amazon Bedrock, and watch the answer arrive word by word.',
  },
];

/**
 * Long answers (roughly 300–700 tokens each) shaped like a real model's: several paragraphs, bulleted
 * and numbered lists and a fenced code block, so the demo, the benchmarks and the compatibility
 * checks can watch a long, formatted answer stream. Kept apart from KNOWLEDGE_BASE_ENTRIES because
 * the load runner (scripts/load/) asks that list's questions in turn and its figures assume short
 * answers; the model searches both (ALL_KNOWLEDGE_BASE_ENTRIES). Ask them with LONG_ANSWER_QUESTIONS.
 */
export const LONG_ANSWER_ENTRIES: readonly KnowledgeBaseEntry[] = [
  {
    slug: 'guide-write-streaming-hook',
    title: 'Writing a streaming QnABot hook, step by step',
    question: 'How do I write a streaming QnABot hook?',
    keywords: ['write', 'example', 'code', 'tutorial', 'step by step', 'typescript', 'sample'],
    answer: `A streaming QnABot hook is an ordinary Lambda hook with one extra job: while the model writes the answer, it sends the text to the visitor's open WebSocket tabs, and when the model is done it still returns the complete answer to QnABot. QnABot and Lex then deliver that final answer as usual, so nothing is lost when streaming is off or a tab has already closed.

Here is the shape of a complete hook in TypeScript, using the publisher library, the package entry \`qna-streaming/publisher\`:

\`\`\`ts
import {
  applyAnswerToQnabotEvent,
  converseStreamSource,
  getPublisherRuntime,
  publishAnswer,
  type QnabotHookEvent,
  readQnabotHookEvent,
} from 'qna-streaming/publisher';

// Read once per container: STREAMING_CALLBACK_URL and STREAMING_TABLE_NAME.
const runtime = getPublisherRuntime('qnabot-hook');

export const handler = async (event: QnabotHookEvent): Promise<QnabotHookEvent> => {
  const { sessionId, question } = readQnabotHookEvent(event);
  const source = converseStreamSource(runtime.bedrock(), {
    modelId: 'amazon.nova-micro-v1:0',
    system: [{ text: 'Answer briefly and cite the FAQ when you can.' }],
    messages: [{ role: 'user', content: [{ text: question }] }],
  });
  const result = await publishAnswer({
    sessionId,
    source,
    table: runtime.table,
    managementApi: runtime.managementApi,
  });
  return applyAnswerToQnabotEvent(event, result);
};
\`\`\`

What happens when it runs:

1. \`readQnabotHookEvent\` takes the Lex session id from \`req._event.sessionId\` and the question from \`req.question\`. The session id is the one the browser signed into its WebSocket URL.
2. \`publishAnswer\` starts the model call and looks up the session's connections at the same time, so the lookup never delays the first words.
3. The first text is posted at once; later text is coalesced for a short window, so a long answer costs a handful of posts instead of one per model chunk.
4. \`applyAnswerToQnabotEvent\` writes the full answer into \`res.message\` and the Markdown alternative that Lex Web UI renders, and the hook returns the event to QnABot.

Before you deploy it, check these points:

- The function name starts with \`QNA-\`, otherwise QnABot is not allowed to invoke it.
- Its role has the managed policy from the \`StreamingPublisherPolicyArn\` output and \`bedrock:InvokeModelWithResponseStream\` on the model.
- Its environment has \`STREAMING_CALLBACK_URL\` and \`STREAMING_TABLE_NAME\` from the streaming stack's outputs; never take them from session attributes sent by the browser.
- Its timeout is longer than your longest answer, because QnABot gets the answer only when the model has finished.

Prefer callbacks to promises? \`publishAnswerWithCallbacks\` takes the same options plus \`onContent\`, \`onComplete\` and \`onError\`. To stream from a Bedrock knowledge base instead of a plain model, swap the source for \`retrieveAndGenerateStreamSource\`, and the citations travel to the browser along with the text.`,
  },
  {
    slug: 'guide-session-table',
    title: 'How the session table works',
    question: 'Explain how the session table works',
    keywords: ['session table', 'dynamodb', 'item', 'items', 'layout', 'ttl', 'tabs', 'owner', 'schema'],
    answer: `The session table is a small DynamoDB table that answers one question for the publisher: which WebSocket connections belong to this Lex session right now? The connection Lambda writes to it when a browser connects or disconnects, and the Lambda that streams an answer reads it.

Its key is the Lex session id, the same id the browser puts into its signed WebSocket URL and passes to Lex RecognizeText. That choice is deliberate: QnABot's own fulfillment and the Lambdas written for Lex Web UI read the table with a plain \`GetItem\` on \`sessionId\` and expect a \`connectionId\` attribute in the item, and they keep working unchanged.

What the table keeps for a session:

- **The pointer**: \`connectionId\` names the newest live tab, so single-tab readers such as QnABot find a connection that is still open. When that tab closes, the pointer moves to another live tab.
- **Every tab**: each open tab is recorded with its protocol (\`text\` or \`json\`) and its connect time, so this add-on's publisher streams to all of them, not just the newest.
- **The owner**: the identity that first connected with the session id. Another identity that signs a URL with the same session id gets a 403 at connect, so nobody can listen to someone else's answer.
- **A cancel request**: when a tab sends \`{"action":"cancel"}\`, the running answer notices it within a second and stops.

The table also keeps a small lookup item per connection, because \`$disconnect\` and \`cancel\` only know the connection id and must find the session from it.

Cleaning up works in three layers:

1. \`$disconnect\` removes the tab as soon as API Gateway reports that the socket closed.
2. A post that answers 410 Gone tells the publisher that the tab vanished without a clean disconnect; it removes the tab and keeps streaming to the others.
3. Every item carries a \`ttl\` attribute, the connect time plus two hours and a margin, because API Gateway closes every socket after two hours anyway.

DynamoDB deletes expired items late, sometimes days later, so the readers ignore expired tabs themselves instead of trusting the TTL. Here is what a reader effectively does:

\`\`\`ts
const { Item } = await documentClient.send(
  new GetCommand({ TableName: tableName, Key: { sessionId } }),
);
const connectionId = Item?.connectionId; // the newest live tab, or undefined
\`\`\`

The table is on-demand, encrypted, with point-in-time recovery, and a publisher only needs read access to it; the managed publisher policy grants exactly that.`,
  },
  {
    slug: 'guide-enable-checklist',
    title: 'A rollout checklist for streaming',
    // Longer than "How do I enable streaming?" on purpose: the coverage bonus then keeps that
    // question on the short enable-streaming entry, while "checklist" still finds this one.
    question: 'Give me a step-by-step checklist to enable streaming safely in production',
    keywords: ['checklist', 'steps', 'rollout', 'production', 'go live', 'list', 'prerequisites'],
    answer: `Here is a checklist that takes an existing bot from "typing indicator" to word-by-word answers. Work through it in order; each step can be verified before you move on.

**Before you start**

- You have an existing QnABot on AWS 7.x stack, or your own Lex V2 bot whose fulfillment runs in Lambda.
- The model you want to stream is enabled in the Amazon Bedrock console of your region.
- The region has API Gateway WebSocket APIs, Lambda, DynamoDB and Lex V2 (every commercial region does).
- You can update the bot's CloudFormation stack.

**The checklist**

1. **Build the artifacts.** Run \`npm ci\` and \`npm run package\`; the templates and Lambda zips land in \`build/publish/\`.
2. **Upload them** to the bucket and prefix your parent stack reads from (\`BootstrapBucket\`, \`BootstrapPrefix\`).
3. **Add the toggle** to your parent template: merge \`parent-fragment.json\` (parameter, condition, nested stack and output). QnABot 7.x masters already declare the shared parameters.
4. **Update the stack** with \`EnableStreaming=TRUE\`:

\`\`\`bash
aws cloudformation update-stack --stack-name my-bot \\
  --use-previous-template \\
  --capabilities CAPABILITY_IAM CAPABILITY_NAMED_IAM CAPABILITY_AUTO_EXPAND \\
  --parameters ParameterKey=EnableStreaming,ParameterValue=TRUE
aws cloudformation wait stack-update-complete --stack-name my-bot
\`\`\`

5. **Read the outputs.** Copy \`StreamingWebSocketEndpoint\` (the \`wss://…/Prod\` address) and \`StreamingDynamoDbTable\`.
6. **Give publishers permission.** Attach \`StreamingPublisherPolicyArn\` to the role of every Lambda that streams: the fulfillment Lambda and any Lambda hook.
7. **Configure the chat client.** In Lex Web UI set \`allowStreamingResponses\` to true and \`streamingWebSocketEndpoint\` to the endpoint; in your own page pass it to the plugin's \`StreamingClient\`.
8. **Verify.** Run \`npx qna-streaming doctor --stack my-bot\`, then ask a question in the chat window and watch the first words arrive within a second.

**If something is off**

- A 403 when the socket opens usually means the session id in the URL does not match the identity that signed it.
- Only the final answer and no stream: check the publisher policy on the Lambda role and the endpoint in the client settings.
- The socket closes after ten minutes of silence: make sure the client sends a ping every nine minutes.

To roll back, update the stack with \`EnableStreaming=FALSE\`. The nested stack is deleted, and the bot answers exactly as it did before, with the full answer arriving through Lex.`,
  },
  {
    slug: 'guide-answer-journey',
    title: 'The journey of a streamed answer',
    question: 'Walk me through what happens between asking a question and seeing the streamed answer',
    keywords: ['journey', 'flow', 'walk through', 'end to end', 'detail', 'sequence', 'lifecycle', 'explain'],
    answer: `Quite a lot happens in the second or two between pressing Enter and reading the first words, but every step has a simple job. Here is the whole journey of one answer.

When the page loads, the browser gets temporary credentials for the visitor from Amazon Cognito. It signs the WebSocket URL with Signature Version 4, puts the visitor's session id into the signed query string, and opens the socket. API Gateway checks the signature before anything else runs; the connection Lambda then records the new tab in the session table. From then on the socket simply waits, with a ping every nine minutes to keep it open.

Then the visitor asks a question:

1. The browser sends the question to Lex with \`RecognizeText\`, using the same session id as the socket.
2. Lex hands the turn to the fulfillment Lambda, or QnABot calls its Lambda hook.
3. The Lambda starts the Bedrock \`ConverseStream\` call and, at the same moment, looks up the session's open tabs.
4. The first words from the model go out to every tab immediately, one \`PostToConnection\` per tab.
5. Later words are coalesced for a short window and posted together, while the Lambda keeps reading the model stream without waiting for the posts.
6. When the model stops, the last text is flushed, and with the JSON protocol an \`end\` frame reports the stop reason, token usage and timing.
7. The Lambda returns the complete answer to Lex, and the browser replaces the streamed preview with that final, formatted answer.

With the JSON protocol the frames of one answer look like this:

\`\`\`json
{"v":1,"type":"start","turnId":"t-7f3a","seq":0}
{"v":1,"type":"delta","turnId":"t-7f3a","seq":1,"text":"Streaming shows"}
{"v":1,"type":"delta","turnId":"t-7f3a","seq":2,"text":" the first words at once, and"}
{"v":1,"type":"end","turnId":"t-7f3a","seq":3,"stopReason":"end_turn","ttftMs":412,"totalMs":5310}
\`\`\`

A few details make this robust:

- **Ordering**: posts to one tab are sent in order, and \`seq\` has no gaps, so a client can tell when something went missing.
- **Old turns**: \`turnId\` lets the page drop frames that belong to an answer it has already replaced or cancelled.
- **Closed tabs**: a post that answers 410 Gone removes that tab from the table, and the other tabs keep receiving.
- **Failures**: if every post fails, the visitor still gets the full answer from Lex, only without the word-by-word preview.

Lex Web UI's built-in socket uses the plain text protocol instead: each message is just the next piece of the answer, with no JSON around it.`,
  },
  {
    slug: 'guide-embed-widget',
    title: 'Adding the streaming chat widget to a page',
    question: 'How do I add the streaming chat widget to my own web page?',
    keywords: [
      'html',
      'script tag',
      'createChatWidget',
      'StreamingClient',
      'website',
      'front end',
      'javascript',
    ],
    answer: `You can add streaming answers to any web page with the plugin's script-tag bundle. It has no dependencies, stays within its gzip size budget and works in every modern browser. It ships a default stylesheet and a small Lex V2 \`RecognizeText\` helper, so you provide only the visitor's credentials.

First build the bundle with \`npm run build:web-plugin\` and copy \`qna-streaming.js\` and \`qna-streaming.css\` from \`build/web-plugin/\` next to your page. Then add a container and a few lines of script:

\`\`\`html
<link rel="stylesheet" href="qna-streaming.css">
<div id="chat"></div>
<script src="qna-streaming.js"></script>
<script>
  const { StreamingClient, createChatWidget, recognizeText, answerText } = QnaStreaming;
  const client = new StreamingClient({
    endpoint: 'wss://abc123.execute-api.us-east-1.amazonaws.com/Prod',
    region: 'us-east-1',
    sessionId: identityId,            // the visitor's Cognito identity id
    credentials: getVisitorCredentials, // async () => ({ accessKeyId, secretAccessKey, sessionToken, expiration })
  });
  client.connect();
  createChatWidget({
    container: document.getElementById('chat'),
    client,
    ask: async (text) => answerText(await recognizeText({
      botId, botAliasId, localeId: 'en_US', region: 'us-east-1',
      sessionId: identityId, text, credentials: getVisitorCredentials,
    })),
  });
</script>
\`\`\`

What yours should do:

- **\`getVisitorCredentials\`** calls Cognito Identity \`GetId\` once and \`GetCredentialsForIdentity\` whenever the credentials are about to expire. The client calls it again before each new signature; \`expiration\` may be a Date or Cognito's epoch seconds.
- **\`recognizeText\`** sends the question to Lex V2 with the visitor's identity id as the session id, and \`answerText\` reads the text of the final answer.

Using the identity id as the session id matters: the streaming stack lets only the identity that signed the URL listen to that session, so one visitor can never receive another visitor's answer.

What the widget gives you out of the box:

1. Each chunk is rendered the moment it arrives, with no artificial per-chunk delay.
2. A Stop button sends \`{"action":"cancel"}\`, and the answer stops within a second.
3. The log is an \`aria-live\` region, so screen readers announce the answer as it grows.
4. The time to the first words is shown under each answer.
5. The socket is kept alive with a ping every nine minutes and renewed with a fresh signature before API Gateway's two-hour limit.

If you already have your own chat interface, skip the widget and listen to the client's events instead: \`delta\` for each piece of text, \`end\` for the timing and \`error\` for problems. With the JSON protocol you also get \`citation\` events for knowledge-base answers. When your final Lex answer arrives, replace the streamed text with it.`,
  },
];

/** The questions of the long answers, for the demo page, benchmarks and compatibility checks. */
export const LONG_ANSWER_QUESTIONS: readonly string[] = LONG_ANSWER_ENTRIES.map((entry) => entry.question);

/** Everything the local model answers from: the short entries, then the long ones. */
export const ALL_KNOWLEDGE_BASE_ENTRIES: readonly KnowledgeBaseEntry[] = [
  ...KNOWLEDGE_BASE_ENTRIES,
  ...LONG_ANSWER_ENTRIES,
];

/** Answer used when no entry matches the question. */
export const FALLBACK_ANSWER =
  'Sorry, I don’t have an answer to that in my knowledge base. I can tell you about streaming answers with qna-streaming, QnABot, Lex Web UI, WebSockets and Amazon Bedrock; try asking about one of those.';
