/**
 * What the local stack reads out of (and changes in) the synthesized streaming template's
 * resources, so the local Lambdas get the environment and code the template gives them on AWS, not a
 * hand-kept copy. Values are resolved by the evaluator (evaluator.ts).
 */
import { type CfnTemplate, resolveParameterString, TemplateError } from './evaluator';

/** The Lambda functions of a template: logical id, asset name (from the S3 key) and environment. */
export interface TemplateFunction {
  logicalId: string;
  /** Asset name in templates/lambda-assets.ts, read from `lambda/<name>-<hash>.zip`. */
  asset: string;
  environment: Record<string, string>;
  timeoutMs: number;
}

function environmentOf(properties: Record<string, unknown>): Record<string, unknown> | undefined {
  return (properties.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables;
}

/**
 * Every AWS::Lambda::Function of `template`, its environment resolved. `refs` names what a Ref
 * resolves to locally (a resource's physical id, or a parameter value); a parameter without one
 * resolves to its default.
 */
export function templateFunctions(template: CfnTemplate, refs: Record<string, string>): TemplateFunction[] {
  const functions: TemplateFunction[] = [];
  for (const [logicalId, resource] of Object.entries(template.Resources)) {
    if (resource.Type !== 'AWS::Lambda::Function') continue;
    const properties = resource.Properties ?? {};
    const code = properties.Code as { S3Key?: unknown } | undefined;
    const key = JSON.stringify(code?.S3Key ?? '');
    const match = /lambda\/([a-z0-9-]+?)-[0-9a-f]{12}\.zip/.exec(key);
    if (!match?.[1])
      throw new TemplateError(`${logicalId}: Code.S3Key does not name a packaged Lambda asset`);
    const environment: Record<string, string> = {};
    for (const [name, value] of Object.entries(environmentOf(properties) ?? {})) {
      environment[name] = resolveParameterString(template, refs, value);
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

/**
 * Sets environment variables of every Lambda function in a template that declares them (e.g. the
 * `@connections` URL, which on AWS is built from the API id and region, and locally is the local
 * gateway's). Returns a copy.
 */
export function overrideFunctionEnvironment<T extends CfnTemplate>(
  template: T,
  variables: Record<string, string>,
): T {
  const out = structuredClone(template);
  for (const resource of Object.values(out.Resources)) {
    if (resource.Type !== 'AWS::Lambda::Function') continue;
    const declared = environmentOf(resource.Properties ?? {});
    if (!declared) continue;
    for (const [name, value] of Object.entries(variables)) if (name in declared) declared[name] = value;
  }
  return out;
}

/** Logical id of the template's only resource of a type. */
export function singleResourceId(template: CfnTemplate, type: string): string {
  const ids = Object.entries(template.Resources)
    .filter(([, resource]) => resource.Type === type)
    .map(([id]) => id);
  if (ids.length !== 1) throw new TemplateError(`expected one ${type} in the template, found ${ids.length}`);
  return ids[0] as string;
}
