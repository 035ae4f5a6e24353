/**
 * Template parameter values for the local stack, applied the way CloudFormation applies them: the
 * values are checked against the declared parameters (name, AllowedValues), the Conditions are
 * decided, resources and outputs whose condition is false are left out, and `Fn::If` /
 * `AWS::NoValue` are resolved in what remains. The chosen values become the parameters' defaults,
 * so every later `Ref` to a parameter (gateway config, Lambda environments) sees them.
 *
 * Conditions may use Fn::Equals / Not / And / Or / Condition over literals, `Ref` to parameters
 * and `Fn::Join` (including of CommaDelimitedList parameters) — what the shipped templates use.
 */
import { ExecuteApiError } from '../execute-api/errors';

type Json = unknown;
type JsonObject = Record<string, Json>;

export interface ParameterizedTemplate {
  Parameters?: Record<string, { Type?: string; Default?: unknown; AllowedValues?: unknown[] }>;
  Conditions?: Record<string, Json>;
  Resources?: Record<string, { Type: string; Condition?: string; Properties?: Record<string, unknown> }>;
  Outputs?: Record<string, { Value?: Json; Condition?: string }>;
}

const NO_VALUE = Symbol('AWS::NoValue');

function isObject(value: Json): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function onlyKey(value: JsonObject): string | undefined {
  const keys = Object.keys(value);
  return keys.length === 1 ? keys[0] : undefined;
}

/** A copy of `template` as CloudFormation would deploy it with `values` (others keep their defaults). */
export function applyTemplateParameters<T extends ParameterizedTemplate>(
  template: T,
  values: Record<string, string> = {},
): T {
  const declared = template.Parameters ?? {};
  for (const [name, value] of Object.entries(values)) {
    const parameter = declared[name];
    if (!parameter) {
      throw new ExecuteApiError(
        `template has no parameter ${name} (parameters: ${Object.keys(declared).join(', ') || 'none'})`,
      );
    }
    const allowed = parameter.AllowedValues?.map(String);
    if (allowed && !allowed.includes(value)) {
      throw new ExecuteApiError(`parameter ${name} must be one of ${allowed.join(', ')}, got "${value}"`);
    }
  }
  const parameter = (name: string): string => {
    const given = values[name];
    if (given !== undefined) return given;
    const fallback = declared[name]?.Default;
    if (fallback === undefined) throw new ExecuteApiError(`parameter ${name} has no value and no default`);
    return String(fallback);
  };

  const decided = new Map<string, boolean>();
  const condition = (name: string): boolean => {
    const known = decided.get(name);
    if (known !== undefined) return known;
    const expression = template.Conditions?.[name];
    if (expression === undefined) throw new ExecuteApiError(`unknown condition ${name}`);
    const result = evaluate(expression);
    decided.set(name, result);
    return result;
  };
  const scalar = (value: Json): string => {
    if (typeof value === 'string' || typeof value === 'number') return String(value);
    if (isObject(value) && typeof value.Ref === 'string') return parameter(value.Ref);
    if (isObject(value) && Array.isArray(value['Fn::Join'])) {
      const [separator, parts] = value['Fn::Join'] as [string, Json];
      const list = Array.isArray(parts)
        ? parts.map(scalar)
        : isObject(parts) && typeof parts.Ref === 'string'
          ? parameter(parts.Ref).split(',').filter(Boolean)
          : undefined;
      if (list) return list.join(separator);
    }
    throw new ExecuteApiError(`cannot evaluate ${JSON.stringify(value)} in a condition locally`);
  };
  const evaluate = (expression: Json): boolean => {
    const fn = isObject(expression) ? onlyKey(expression) : undefined;
    const args = fn === undefined ? undefined : (expression as JsonObject)[fn];
    switch (fn) {
      case 'Condition':
        return condition(String(args));
      case 'Fn::Not':
        return !evaluate((args as Json[])[0]);
      case 'Fn::And':
        return (args as Json[]).every(evaluate);
      case 'Fn::Or':
        return (args as Json[]).some(evaluate);
      case 'Fn::Equals': {
        const [left, right] = args as [Json, Json];
        return scalar(left) === scalar(right);
      }
      default:
        throw new ExecuteApiError(`cannot evaluate condition ${JSON.stringify(expression)} locally`);
    }
  };
  const resolve = (value: Json): Json | typeof NO_VALUE => {
    if (Array.isArray(value)) return value.map(resolve).filter((item) => item !== NO_VALUE);
    if (!isObject(value)) return value;
    if (onlyKey(value) === 'Ref' && value.Ref === 'AWS::NoValue') return NO_VALUE;
    if (onlyKey(value) === 'Fn::If') {
      const [name, whenTrue, whenFalse] = value['Fn::If'] as [string, Json, Json];
      return resolve(condition(name) ? whenTrue : whenFalse);
    }
    const out: JsonObject = {};
    for (const [key, item] of Object.entries(value)) {
      const resolved = resolve(item);
      if (resolved !== NO_VALUE) out[key] = resolved;
    }
    return out;
  };
  const kept = <V extends { Condition?: string }>(entries: Record<string, V> | undefined) =>
    Object.fromEntries(
      Object.entries(entries ?? {})
        .filter(([, entry]) => entry.Condition === undefined || condition(entry.Condition))
        .map(([id, entry]) => [id, resolve(entry)]),
    );

  const out = structuredClone(template) as ParameterizedTemplate;
  out.Parameters = Object.fromEntries(
    Object.entries(declared).map(([name, declaration]) => [
      name,
      name in values ? { ...declaration, Default: values[name] } : { ...declaration },
    ]),
  );
  if (template.Resources) out.Resources = kept(template.Resources) as ParameterizedTemplate['Resources'];
  if (template.Outputs) out.Outputs = kept(template.Outputs) as ParameterizedTemplate['Outputs'];
  return out as T;
}

/**
 * Sets environment variables of every Lambda function in a template that declares them (e.g. the
 * `@connections` URL, which on AWS is built from the API id and region, and locally is the local
 * gateway's). Returns a copy.
 */
export function overrideFunctionEnvironment<T extends ParameterizedTemplate>(
  template: T,
  variables: Record<string, string>,
): T {
  const out = structuredClone(template);
  for (const resource of Object.values(out.Resources ?? {})) {
    if (resource.Type !== 'AWS::Lambda::Function') continue;
    const environment = resource.Properties?.Environment as
      | { Variables?: Record<string, unknown> }
      | undefined;
    const declared = environment?.Variables;
    if (!declared) continue;
    for (const [name, value] of Object.entries(variables)) if (name in declared) declared[name] = value;
  }
  return out;
}
