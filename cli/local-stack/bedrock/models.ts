/**
 * Model identifiers the local double accepts, as Bedrock spells them: a foundation model id, a
 * cross-region inference profile id (`us.`, `eu.`, `apac.`, `global.` … prefix), or the ARN of
 * either. Anything else is a ValidationException, as on AWS.
 */

/** Foundation models commonly used by QnABot / this add-on, plus the local model's own id. */
export const DEFAULT_MODEL_IDS: readonly string[] = [
  'local.knowledge-base-v1',
  'anthropic.claude-3-haiku-20240307-v1:0',
  'anthropic.claude-3-sonnet-20240229-v1:0',
  'anthropic.claude-3-5-haiku-20241022-v1:0',
  'anthropic.claude-3-5-sonnet-20240620-v1:0',
  'anthropic.claude-3-5-sonnet-20241022-v2:0',
  'anthropic.claude-3-7-sonnet-20250219-v1:0',
  'anthropic.claude-sonnet-4-20250514-v1:0',
  'amazon.nova-micro-v1:0',
  'amazon.nova-lite-v1:0',
  'amazon.nova-pro-v1:0',
  'amazon.titan-text-express-v1',
  'amazon.titan-text-premier-v1:0',
  'meta.llama3-8b-instruct-v1:0',
  'meta.llama3-70b-instruct-v1:0',
  'mistral.mistral-large-2402-v1:0',
  'cohere.command-r-plus-v1:0',
  'ai21.jamba-1-5-mini-v1:0',
];

/** The model id the local stack uses when none is configured. */
export const LOCAL_MODEL_ID = 'local.knowledge-base-v1';

const PROFILE_PREFIX = /^(?:us|us-gov|eu|apac|jp|au|ca|global)\./;
const ARN = /^arn:aws(?:-[a-z]+)*:bedrock:[a-z0-9-]*:\d{0,12}:(foundation-model|inference-profile)\/(.+)$/;

/**
 * The foundation model id behind `identifier` when it names a known model, else undefined.
 * `identifier` may be an id, an inference profile id, or an ARN of either.
 */
export function resolveModelId(identifier: string, known: ReadonlySet<string>): string | undefined {
  let id = identifier;
  const arn = ARN.exec(identifier);
  if (arn) {
    id = arn[2] as string;
    if (arn[1] === 'foundation-model') return known.has(id) ? id : undefined;
  }
  if (known.has(id)) return id;
  const withoutProfile = id.replace(PROFILE_PREFIX, '');
  return withoutProfile !== id && known.has(withoutProfile) ? withoutProfile : undefined;
}
