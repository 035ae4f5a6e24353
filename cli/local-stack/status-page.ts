/**
 * The local stack's `/status` page: what runs where, as `npm start` prints it in the terminal
 * (cli/local-stack/start.ts), with the region and the dev credentials, styled like the demo page
 * (it links the demo's /demo.css).
 */
import type { LocalEndpoints } from './endpoints';
import { escapeHtml } from './html';

interface Row {
  name: string;
  value: string;
  note?: string;
}

function rows(endpoints: LocalEndpoints): Row[] {
  const timing = endpoints.modelTiming;
  return [
    { name: 'Demo chat', value: endpoints.webUrl },
    { name: 'WebSocket API', value: endpoints.webSocketUrl, note: 'IAM-authorized $connect: presign it' },
    { name: '@connections callback URL', value: endpoints.callbackUrl },
    {
      name: 'Lex V2 runtime',
      value: endpoints.lexRuntime,
      note: `bot ${endpoints.botId}, alias ${endpoints.botAliasId}, locale ${endpoints.localeId}`,
    },
    {
      name: 'Cognito Identity',
      value: endpoints.cognitoIdentity,
      note: `identity pool ${endpoints.identityPoolId}`,
    },
    { name: 'Bedrock runtime', value: endpoints.bedrockRuntime, note: `model ${endpoints.modelId}` },
    ...(timing
      ? [
          {
            name: 'Local model timing',
            value: `${timing.timeToFirstTokenMs} ms to first token, ${timing.tokensPerSecond} tokens/s`,
            note: 'npm start -- --model-ttft-ms=… --model-tokens-per-second=…',
          },
        ]
      : []),
    { name: 'Bedrock agent runtime', value: endpoints.bedrockAgentRuntime },
    { name: 'DynamoDB', value: endpoints.dynamodb, note: `table ${endpoints.tableName}` },
    { name: 'Region', value: endpoints.region },
    { name: 'Dev access key id', value: endpoints.credentials.accessKeyId },
    {
      name: 'Dev secret access key',
      value: endpoints.credentials.secretAccessKey,
      note: 'accepted by the local doubles only, never by AWS',
    },
  ];
}

export function renderStatusPage(endpoints: LocalEndpoints): string {
  const table = rows(endpoints)
    .map(
      ({ name, value, note }) =>
        `<tr><th scope="row">${escapeHtml(name)}</th><td><code>${escapeHtml(value)}</code>${
          note ? `<div class="status-note">${escapeHtml(note)}</div>` : ''
        }</td></tr>`,
    )
    .join('\n');
  const environment = [
    `AWS_REGION=${endpoints.region}`,
    `AWS_ACCESS_KEY_ID=${endpoints.credentials.accessKeyId}`,
    `AWS_SECRET_ACCESS_KEY=${endpoints.credentials.secretAccessKey}`,
  ].join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>qna-streaming local stack: what runs where</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/demo.css">
<style>
.status-table{width:100%;border-collapse:separate;border-spacing:0;background:var(--paper);border:1px solid var(--line);border-radius:.75rem;overflow:hidden;font-size:.92rem}
.status-table th,.status-table td{text-align:left;vertical-align:top;padding:.5rem .8rem;border-bottom:1px solid var(--line)}
.status-table tr:last-child th,.status-table tr:last-child td{border-bottom:0}
.status-table th{font-weight:600;white-space:nowrap;width:1%;color:var(--muted)}
.status-table code,.status-env{overflow-wrap:anywhere;font-size:.88em}
.status-note{color:var(--muted);font-size:.82rem}
h2{font-size:1.1rem;margin:1.5rem 0 .5rem}
.status-env{display:block;white-space:pre-wrap;background:var(--paper);border:1px solid var(--line);border-radius:.5rem;padding:.6rem .8rem}
@media (max-width:560px){.status-table th,.status-table td{display:block;width:auto;border:0}.status-table th{padding-bottom:0}.status-table td{padding-top:.1rem}.status-table tr{display:block;border-bottom:1px solid var(--line)}}
</style>
</head>
<body>
<header class="demo-header"><div class="demo-header-inner">
<h1>qna-streaming local stack</h1>
<p>Everything below runs on this machine; no AWS account is involved.</p>
<nav><a href="/">Demo chat</a><a href="/endpoints.json">endpoints.json</a></nav>
</div></header>
<main class="demo-main">
<table class="status-table" data-testid="status-table">
${table}
</table>
<h2>Use it from a terminal or an SDK</h2>
<p>The AWS SDKs and the <code>qna-streaming</code> CLI sign with these (point each client's endpoint at the URL above):</p>
<code class="status-env" data-testid="status-env">${escapeHtml(environment)}</code>
<p>The same as JSON: <a href="/endpoints.json">endpoints.json</a>, and <code>build/local/endpoints.json</code> when started with <code>npm start</code>.</p>
</main>
</body>
</html>
`;
}
