/**
 * The subset of API Gateway's request-template language (VTL) the local execute-api evaluates, for
 * non-proxy (`AWS`) Lambda integrations: `$context.<name>` (dotted, e.g. `$context.identity.sourceIp`),
 * `$input.body` and `$input.json('$')`. Anything else that VTL would interpret (`#set`, `#if`, other
 * references, `$util.*`) is refused when the gateway starts, naming the construct, rather than
 * rendered wrongly at run time. Text that is not VTL passes through unchanged.
 */
import { ExecuteApiError } from './errors';

/** `requestContext` fields a template may read (what the local gateway puts into its events). */
const CONTEXT_NAMES = new Set([
  'apiId',
  'connectedAt',
  'connectionId',
  'domainName',
  'eventType',
  'extendedRequestId',
  'identity',
  'messageDirection',
  'messageId',
  'requestId',
  'requestTime',
  'requestTimeEpoch',
  'routeKey',
  'stage',
]);

export const SUPPORTED_TEMPLATE_SUBSET = "$context.<name>, $input.body and $input.json('$')";

type Part =
  | { kind: 'text'; text: string }
  | { kind: 'context'; path: string[] }
  | { kind: 'body' }
  | { kind: 'json' };

export interface TemplateInput {
  /** The event's `requestContext`. */
  context: Record<string, unknown>;
  /** The client's message as received. */
  body: string;
}

/** A template compiled once at start; `render` is pure. */
export interface RequestTemplate {
  render(input: TemplateInput): string;
}

// One VTL construct at a time: a directive or comment (`#set`, `#{if}`, `##`, `#*`), or a reference
// (`$x`, `${x}`, `$!x`). Other `#` and `$` characters are plain text in VTL too.
const VTL_START =
  /#(?:\{?(?:set|if|elseif|else|end|foreach|break|stop|macro|define|evaluate|include|parse)\b|[#*])|\$!?\{?[a-zA-Z]/g;

export function compileRequestTemplate(template: string, where: string): RequestTemplate {
  const parts: Part[] = [];
  let last = 0;
  VTL_START.lastIndex = 0;
  for (let match = VTL_START.exec(template); match; match = VTL_START.exec(template)) {
    const at = match.index;
    const rest = template.slice(at);
    const context = /^\$context((?:\.[a-zA-Z][a-zA-Z0-9]*)+)/.exec(rest);
    const body = /^\$input\.body\b/.exec(rest);
    const json = /^\$input\.json\((['"])\$\1\)/.exec(rest);
    const known = context ?? body ?? json;
    if (!known) {
      const snippet = rest.slice(0, 40).split('\n')[0];
      throw new ExecuteApiError(
        `${where}: the request template uses "${snippet}", which the local execute-api does not evaluate (it supports ${SUPPORTED_TEMPLATE_SUBSET})`,
      );
    }
    if (at > last) parts.push({ kind: 'text', text: template.slice(last, at) });
    if (context?.[1]) {
      const path = context[1].slice(1).split('.');
      if (!CONTEXT_NAMES.has(path[0] as string)) {
        throw new ExecuteApiError(
          `${where}: the request template reads $context.${path.join('.')}, which the local execute-api does not provide (known: ${[...CONTEXT_NAMES].join(', ')})`,
        );
      }
      parts.push({ kind: 'context', path });
    } else parts.push({ kind: body ? 'body' : 'json' });
    last = at + known[0].length;
    VTL_START.lastIndex = last;
  }
  if (last < template.length) parts.push({ kind: 'text', text: template.slice(last) });

  return {
    render({ context, body }) {
      return parts.map((part) => renderPart(part, context, body)).join('');
    },
  };
}

function renderPart(part: Part, context: Record<string, unknown>, body: string): string {
  if (part.kind === 'text') return part.text;
  if (part.kind === 'body') return body;
  if (part.kind === 'json') return jsonOf(body);
  return contextValue(context, part.path);
}

function contextValue(context: Record<string, unknown>, path: string[]): string {
  let value: unknown = context;
  for (const key of path) {
    value = value && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
  }
  // VTL renders a null reference as empty with `$!`, and as its own text without; API Gateway's
  // context values are always set, so an empty string is the honest local stand-in.
  if (value === undefined || value === null) return '';
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

/** `$input.json('$')`: the body as JSON text (a body that is not JSON becomes a JSON string). */
function jsonOf(body: string): string {
  try {
    return JSON.stringify(JSON.parse(body));
  } catch {
    return JSON.stringify(body);
  }
}
