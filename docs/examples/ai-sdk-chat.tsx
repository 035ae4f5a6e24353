// A React chat on the Vercel AI SDK's useChat, streaming QnABot's answers: the transport asks Lex
// (RecognizeText in the visitor's session) and turns the socket's frames into message parts.
import { useChat } from '@ai-sdk/react';
import type { SourceUrlUIPart, UIMessage } from 'ai';
import { answerText, recognizeText, StreamingClient, safeHref } from 'qna-streaming/web-plugin';
import {
  type QnaMessageMetadata,
  type QnaStatusData,
  QnaStreamingTransport,
} from 'qna-streaming/web-plugin/ai-sdk';
import { type FormEvent, useState } from 'react';
import { createRoot } from 'react-dom/client';

export interface ChatConfig {
  region: string;
  streamingEndpoint: string; // the StreamingWebSocketEndpoint output
  cognitoEndpoint: string; // https://cognito-identity.<region>.amazonaws.com/
  identityPoolId: string; // allows unauthenticated identities
  lexEndpoint: string; // https://runtime-v2-lex.<region>.amazonaws.com
  bot: { botId: string; botAliasId: string; localeId: string };
}

// Metadata from `finish`; `data-status` parts are transient: they reach onData, never `messages`.
type ChatMessage = UIMessage<QnaMessageMetadata, { status: QnaStatusData }>;

/** The visitor's Cognito identity and credentials (Cognito Identity's JSON API needs no signature). */
async function cognitoVisitor(config: ChatConfig) {
  const call = async (operation: string, input: object) => {
    const response = await fetch(config.cognitoEndpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': `AWSCognitoIdentityService.${operation}`,
      },
      body: JSON.stringify(input),
    });
    if (!response.ok) throw new Error(`Cognito ${operation} failed with HTTP ${response.status}`);
    return response.json();
  };
  const { IdentityId: identityId } = await call('GetId', { IdentityPoolId: config.identityPoolId });
  const credentials = async () => {
    const { Credentials: c } = await call('GetCredentialsForIdentity', { IdentityId: identityId });
    // Expiration is in epoch seconds: the client takes it as it is and fetches again before it.
    return {
      accessKeyId: c.AccessKeyId,
      secretAccessKey: c.SecretKey,
      sessionToken: c.SessionToken,
      expiration: c.Expiration,
    };
  };
  return { identityId: identityId as string, credentials };
}

/** The message's text as it streams (its text parts, in order). */
const textOf = (message: ChatMessage) =>
  message.parts.map((part) => (part.type === 'text' ? part.text : '')).join('');

function Chat({ transport }: { transport: QnaStreamingTransport }) {
  const [progress, setProgress] = useState<QnaStatusData>(); // "Thinking…", "Searching the knowledge base…"
  const { messages, sendMessage, status, stop, error } = useChat<ChatMessage>({
    transport,
    onData: (part) => {
      if (part.type === 'data-status') setProgress(part.data);
    },
  });
  const [input, setInput] = useState('');
  const busy = status === 'submitted' || status === 'streaming';
  const last = messages.at(-1);
  // A status holds until new text arrives.
  const answerLength = last?.role === 'assistant' ? textOf(last).length : 0;
  const showProgress = busy && progress !== undefined && answerLength === progress.textLength;
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    if (!input.trim() || busy) return;
    setProgress(undefined);
    void sendMessage({ text: input });
    setInput('');
  };
  return (
    <main>
      {messages.map((message) => (
        <article key={message.id} data-role={message.role}>
          <p style={{ whiteSpace: 'pre-wrap' }}>{textOf(message)}</p>
          {message.parts
            .filter((part): part is SourceUrlUIPart => part.type === 'source-url')
            .map((source) => (
              <a key={source.sourceId} href={safeHref(source.url)} target="_blank" rel="noreferrer">
                {source.title ?? source.url}
              </a>
            ))}
          {message.metadata?.ttftMs !== undefined && (
            <small>
              first token after {message.metadata.ttftMs} ms, {message.metadata.usage?.outputTokens ?? '?'}{' '}
              tokens
            </small>
          )}
        </article>
      ))}
      {showProgress && <p role="status">{progress.message}</p>}
      {error && <p role="alert">{error.message}</p>}
      <form onSubmit={onSubmit}>
        <input value={input} onChange={(event) => setInput(event.target.value)} aria-label="Your question" />
        <button type="submit" disabled={busy}>
          Ask
        </button>
        <button type="button" onClick={() => void stop()} disabled={!busy}>
          Stop
        </button>
      </form>
      <output aria-label="status">{status}</output>
    </main>
  );
}

export async function startChat(container: HTMLElement, config: ChatConfig) {
  const { identityId, credentials } = await cognitoVisitor(config);
  // One socket for the page; its session id is the visitor's identity id, also the Lex session.
  const client = new StreamingClient({
    endpoint: config.streamingEndpoint,
    region: config.region,
    sessionId: identityId,
    credentials,
  });
  void client.connect();
  const transport = new QnaStreamingTransport({
    client,
    ask: async (text) =>
      answerText(
        await recognizeText({
          ...config.bot,
          region: config.region,
          endpoint: config.lexEndpoint,
          sessionId: identityId,
          text,
          credentials,
        }),
      ),
  });
  createRoot(container).render(<Chat transport={transport} />);
}
