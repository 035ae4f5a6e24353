/** The page `npm start` serves at `/` until a demo page is registered: what is running, where. */
import type { LocalEndpoints } from './endpoints';
import { escapeHtml } from './html';

export function renderStatusPage(endpoints: LocalEndpoints): string {
  const rows: [string, string][] = [
    ['WebSocket API (IAM-authorized $connect)', endpoints.webSocketUrl],
    ['@connections callback URL', endpoints.callbackUrl],
    [
      'Lex V2 runtime',
      `${endpoints.lexRuntime} (bot ${endpoints.botId}, alias ${endpoints.botAliasId}, ${endpoints.localeId})`,
    ],
    ['Cognito Identity', `${endpoints.cognitoIdentity} (pool ${endpoints.identityPoolId})`],
    ['Bedrock runtime', `${endpoints.bedrockRuntime} (model ${endpoints.modelId})`],
    ['Bedrock agent runtime', endpoints.bedrockAgentRuntime],
    ['DynamoDB', `${endpoints.dynamodb} (table ${endpoints.tableName})`],
  ];
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>qna-streaming local stack</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}
td{padding:.25rem .75rem;border-bottom:1px solid #ddd}code{font-size:.9em}</style></head>
<body><h1>qna-streaming local stack</h1>
<p>Everything below runs on this machine; no AWS account is involved.</p>
<table>${rows.map(([name, value]) => `<tr><td>${escapeHtml(name)}</td><td><code>${escapeHtml(value)}</code></td></tr>`).join('')}</table>
<p><a href="/">Back to the demo chat</a> · machine-readable: <a href="/endpoints.json">endpoints.json</a>.</p>
</body></html>
`;
}
