/**
 * The bundled knowledge base of the local model: short Q&A pairs about this add-on, QnABot,
 * Lex Web UI, WebSockets, streaming and Bedrock. The local model answers with the entry whose
 * question and keywords best overlap the user's question; RetrieveAndGenerate cites the matched
 * entries as `s3://local-knowledge-base/<slug>.md`.
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

/** Answer used when no entry matches the question. */
export const FALLBACK_ANSWER =
  'Sorry, I don’t have an answer to that in my knowledge base. I can tell you about streaming answers with qna-streaming, QnABot, Lex Web UI, WebSockets and Amazon Bedrock; try asking about one of those.';
