/**
 * Reads what the local stack needs straight out of the synthesized streaming template, so the
 * local Lambdas get the environment and code the template gives them on AWS, not a hand-kept copy.
 */
import { QnaStreamingError } from '../../../functions/protocol/errors';

type Resources = Record<string, { Type: string; Properties?: Record<string, unknown> }>;
export interface TemplateJson {
  Parameters?: Record<string, { Default?: unknown }>;
  Resources?: Resources;
}

/** A template value the local stack cannot resolve. */
export class TemplateValueError extends QnaStreamingError {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateValueError';
  }
}

/**
 * Resolves `Ref`, `Fn::Join` and plain values. `refs` names what a Ref resolves to locally (a
 * resource's physical id, or a parameter value); a parameter without one resolves to its default.
 */
export function resolveTemplateValue(
  template: TemplateJson,
  value: unknown,
  refs: Record<string, string>,
): string {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
    return String(value);
  if (value && typeof value === 'object') {
    const object = value as Record<string, unknown>;
    if (typeof object.Ref === 'string') {
      const name = object.Ref;
      if (name in refs) return refs[name] as string;
      const parameter = template.Parameters?.[name];
      if (parameter && parameter.Default !== undefined) return String(parameter.Default);
      throw new TemplateValueError(`no local value for Ref ${name}`);
    }
    const join = object['Fn::Join'];
    if (Array.isArray(join) && typeof join[0] === 'string' && Array.isArray(join[1])) {
      return (join[1] as unknown[]).map((part) => resolveTemplateValue(template, part, refs)).join(join[0]);
    }
  }
  throw new TemplateValueError(`cannot resolve template value ${JSON.stringify(value)} locally`);
}

/** The Lambda functions of a template: logical id, asset name (from the S3 key) and environment. */
export interface TemplateFunction {
  logicalId: string;
  /** Asset name in templates/lambda-assets.ts, read from `lambda/<name>-<hash>.zip`. */
  asset: string;
  environment: Record<string, string>;
  timeoutMs: number;
}

export function templateFunctions(template: TemplateJson, refs: Record<string, string>): TemplateFunction[] {
  const functions: TemplateFunction[] = [];
  for (const [logicalId, resource] of Object.entries(template.Resources ?? {})) {
    if (resource.Type !== 'AWS::Lambda::Function') continue;
    const properties = resource.Properties ?? {};
    const code = properties.Code as { S3Key?: unknown } | undefined;
    const key = JSON.stringify(code?.S3Key ?? '');
    const match = /lambda\/([a-z0-9-]+?)-[0-9a-f]{12}\.zip/.exec(key);
    if (!match?.[1])
      throw new TemplateValueError(`${logicalId}: Code.S3Key does not name a packaged Lambda asset`);
    const variables = ((properties.Environment as { Variables?: Record<string, unknown> } | undefined)
      ?.Variables ?? {}) as Record<string, unknown>;
    const environment: Record<string, string> = {};
    for (const [name, value] of Object.entries(variables)) {
      environment[name] = resolveTemplateValue(template, value, refs);
    }
    functions.push({
      logicalId,
      asset: match[1],
      environment,
      timeoutMs: Number(properties.Timeout ?? 3) * 1000,
    });
  }
  return functions;
}

/** Logical id of the template's only resource of a type. */
export function singleResourceId(template: TemplateJson, type: string): string {
  const ids = Object.entries(template.Resources ?? {})
    .filter(([, resource]) => resource.Type === type)
    .map(([id]) => id);
  if (ids.length !== 1)
    throw new TemplateValueError(`expected one ${type} in the template, found ${ids.length}`);
  return ids[0] as string;
}
