/**
 * The one CloudFormation evaluator of the repo, for the local stack and the template tests alike:
 * given parameter values it decides the Conditions (Fn::Equals / Not / And / Or / Condition over
 * literals, `Ref` to parameters and `Fn::Join`, including of CommaDelimitedList parameters), drops
 * resources and outputs whose condition is false, and resolves `Fn::If` and `AWS::NoValue` in what
 * remains. Everything else (GetAtt, Ref to resources, pseudo parameters) is left as written, so the
 * result shows exactly what CloudFormation would try to create. Around it: checking parameter
 * values as CloudFormation does, resolving a string-valued expression, and listing the logical ids
 * an expression references.
 */
import { QnaStreamingError } from '../../../functions/protocol/errors';

type Json = unknown;
type JsonObject = Record<string, Json>;

/** A parameter declaration (the keys CloudFormation checks a value against). */
export interface CfnParameterDeclaration {
  Type: string;
  Default?: string | number;
  Description?: string;
  AllowedValues?: (string | number)[];
  AllowedPattern?: string;
  MinValue?: number;
  MaxValue?: number;
  MinLength?: number;
  MaxLength?: number;
}

/** A resource (a type literal, so it reads as a plain `Record<string, unknown>` too). */
export type CfnResource = {
  Type: string;
  Condition?: string;
  Properties?: JsonObject;
  Metadata?: JsonObject;
};

/**
 * The sections of a template the evaluator reads (a synthesized template cast to this). Functions
 * that also take a template without resources, or parsed JSON, accept `Partial<CfnTemplate>`.
 */
export interface CfnTemplate {
  Parameters?: Record<string, CfnParameterDeclaration>;
  Conditions?: Record<string, Json>;
  Resources: Record<string, CfnResource>;
  Outputs?: Record<string, { Value: Json; Condition?: string }>;
}

/** A template the evaluator cannot evaluate, or parameter values it does not declare or allow. */
export class TemplateError extends QnaStreamingError {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateError';
  }
}

/** Marker for a removed value (AWS::NoValue). */
const NO_VALUE = Symbol('AWS::NoValue');

function isObject(value: Json): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function singleKey(value: JsonObject): string | undefined {
  const keys = Object.keys(value);
  return keys.length === 1 ? keys[0] : undefined;
}

export class CfnEvaluator {
  private readonly conditionCache = new Map<string, boolean>();

  /** `parameters`: values by name (others keep their Default); an undeclared name is an error. */
  constructor(
    private readonly template: Partial<CfnTemplate>,
    private readonly parameters: Record<string, string> = {},
  ) {
    const declared = template.Parameters ?? {};
    for (const name of Object.keys(parameters)) {
      if (!declared[name]) {
        throw new TemplateError(
          `template has no parameter ${name} (parameters: ${Object.keys(declared).join(', ') || 'none'})`,
        );
      }
    }
  }

  /** A parameter's value: the given one, else its default; a parameter without either is an error. */
  parameter(name: string): string {
    const given = this.parameters[name];
    if (given !== undefined) return given;
    const declared = this.template.Parameters?.[name];
    if (!declared) throw new TemplateError(`Ref to unknown parameter ${name}`);
    if (declared.Default === undefined)
      throw new TemplateError(`parameter ${name} has no value and no default`);
    return String(declared.Default);
  }

  condition(name: string): boolean {
    const cached = this.conditionCache.get(name);
    if (cached !== undefined) return cached;
    const expression = this.template.Conditions?.[name];
    if (expression === undefined) throw new TemplateError(`unknown condition ${name}`);
    const result = this.evaluateBoolean(expression);
    this.conditionCache.set(name, result);
    return result;
  }

  private evaluateBoolean(expression: Json): boolean {
    const fn = isObject(expression) ? singleKey(expression) : undefined;
    const args = fn === undefined ? undefined : (expression as JsonObject)[fn];
    switch (fn) {
      case 'Condition':
        return this.condition(String(args));
      case 'Fn::Not':
        return !this.evaluateBoolean((args as Json[])[0]);
      case 'Fn::And':
        return (args as Json[]).every((arg) => this.evaluateBoolean(arg));
      case 'Fn::Or':
        return (args as Json[]).some((arg) => this.evaluateBoolean(arg));
      case 'Fn::Equals': {
        const [left, right] = args as [Json, Json];
        return this.scalar(left) === this.scalar(right);
      }
      default:
        throw new TemplateError(`unsupported condition ${JSON.stringify(expression)}`);
    }
  }

  /** A string value inside a condition: a literal, a Ref to a parameter, or Fn::Join of those. */
  private scalar(value: Json): string {
    if (typeof value === 'string' || typeof value === 'number') return String(value);
    if (isObject(value) && typeof value.Ref === 'string') return this.parameter(value.Ref);
    if (isObject(value) && Array.isArray(value['Fn::Join'])) {
      const [separator, parts] = value['Fn::Join'] as [string, Json];
      const list = Array.isArray(parts) ? parts.map((part) => this.scalar(part)) : this.list(parts);
      return list.join(separator);
    }
    throw new TemplateError(`unsupported value in a condition: ${JSON.stringify(value)}`);
  }

  /** A CommaDelimitedList parameter as a list (empty string → []). */
  private list(value: Json): string[] {
    if (isObject(value) && typeof value.Ref === 'string') {
      const raw = this.parameter(value.Ref);
      return raw === '' ? [] : raw.split(',');
    }
    throw new TemplateError(`unsupported list value: ${JSON.stringify(value)}`);
  }

  /** Resolves Fn::If and AWS::NoValue; keeps every other intrinsic as written. */
  resolve(value: Json): Json | typeof NO_VALUE {
    if (Array.isArray(value)) {
      return value.map((item) => this.resolve(item)).filter((item) => item !== NO_VALUE);
    }
    if (!isObject(value)) return value;
    if (singleKey(value) === 'Ref' && value.Ref === 'AWS::NoValue') return NO_VALUE;
    if (singleKey(value) === 'Fn::If') {
      const [name, whenTrue, whenFalse] = value['Fn::If'] as [string, Json, Json];
      return this.resolve(this.condition(name) ? whenTrue : whenFalse);
    }
    const out: JsonObject = {};
    for (const [key, item] of Object.entries(value)) {
      const resolved = this.resolve(item);
      if (resolved !== NO_VALUE) out[key] = resolved;
    }
    return out;
  }

  /** The entries (resources or outputs) CloudFormation would create, with conditions applied. */
  kept<V extends { Condition?: string }>(entries: Record<string, V> | undefined): Record<string, V> {
    const out: Record<string, V> = {};
    for (const [id, entry] of Object.entries(entries ?? {})) {
      if (entry.Condition !== undefined && !this.condition(entry.Condition)) continue;
      out[id] = this.resolve(entry) as V;
    }
    return out;
  }

  /** The resources and outputs CloudFormation would create, with conditions applied. */
  effective(): { resources: Record<string, JsonObject>; outputs: Record<string, JsonObject> } {
    return {
      resources: this.kept(this.template.Resources) as Record<string, JsonObject>,
      outputs: this.kept(this.template.Outputs) as Record<string, JsonObject>,
    };
  }
}

/**
 * A copy of `template` as CloudFormation would deploy it with `values` (other parameters keep
 * their defaults): the values are checked against the declared parameters (name, AllowedValues),
 * resources and outputs whose condition is false are left out, and `Fn::If` / `AWS::NoValue` are
 * resolved in what remains. The chosen values become the parameters' defaults, so every later
 * `Ref` to a parameter (gateway config, Lambda environments) sees them.
 */
export function applyTemplateParameters<T extends Partial<CfnTemplate>>(
  template: T,
  values: Record<string, string> = {},
): T {
  const declared = template.Parameters ?? {};
  for (const [name, value] of Object.entries(values)) {
    const allowed = declared[name]?.AllowedValues?.map(String);
    if (allowed && !allowed.includes(value)) {
      throw new TemplateError(`parameter ${name} must be one of ${allowed.join(', ')}, got "${value}"`);
    }
  }
  const evaluator = new CfnEvaluator(template, values);
  const out: Partial<CfnTemplate> = structuredClone(template);
  out.Parameters = Object.fromEntries(
    Object.entries(declared).map(([name, declaration]) => [
      name,
      name in values ? { ...declaration, Default: values[name] } : { ...declaration },
    ]),
  );
  if (template.Resources) out.Resources = evaluator.kept(template.Resources);
  if (template.Outputs) out.Outputs = evaluator.kept(template.Outputs);
  return out as T;
}

/** Logical ids named by Ref (not parameters or pseudo parameters) or Fn::GetAtt anywhere in `value`. */
export function referencedLogicalIds(value: Json, parameters: Record<string, unknown> = {}): Set<string> {
  const found = new Set<string>();
  const visit = (node: Json): void => {
    if (Array.isArray(node)) {
      node.forEach(visit);
      return;
    }
    if (!isObject(node)) return;
    if (typeof node.Ref === 'string' && !node.Ref.startsWith('AWS::') && !(node.Ref in parameters)) {
      found.add(node.Ref);
    }
    const getAtt = node['Fn::GetAtt'];
    if (Array.isArray(getAtt) && typeof getAtt[0] === 'string') found.add(getAtt[0]);
    Object.values(node).forEach(visit);
  };
  visit(value);
  return found;
}

/**
 * What CloudFormation says about parameter values passed to a template (a stack or nested-stack
 * update), one message per problem: an undeclared key, a missing value without a default, or a value
 * its declaration refuses. Checks Type Number (numeric), CommaDelimitedList (split on ","),
 * AllowedValues, AllowedPattern (matched against the whole value, per list element for lists),
 * MinValue/MaxValue and MinLength/MaxLength. Values are strings, as a parent passes them.
 */
export function parameterValueProblems(
  template: Pick<CfnTemplate, 'Parameters'>,
  values: Record<string, string>,
): string[] {
  const declared = template.Parameters ?? {};
  const problems: string[] = [];
  for (const name of Object.keys(values)) {
    if (!declared[name]) problems.push(`${name}: not declared by the template`);
  }
  for (const [name, declaration] of Object.entries(declared)) {
    const value =
      values[name] ?? (declaration.Default === undefined ? undefined : String(declaration.Default));
    if (value === undefined) {
      problems.push(`${name}: no value passed and no Default`);
      continue;
    }
    const list = declaration.Type === 'CommaDelimitedList' || declaration.Type.startsWith('List<');
    const items = list ? value.split(',') : [value];
    if (declaration.Type === 'Number' && !/^-?\d+(\.\d+)?$/.test(value.trim())) {
      problems.push(`${name}: "${value}" is not a number (Type Number)`);
      continue;
    }
    if (declaration.AllowedValues) {
      const allowed = declaration.AllowedValues.map(String);
      const same = (a: string, b: string) =>
        declaration.Type === 'Number' ? Number(a) === Number(b) : a === b;
      if (!allowed.some((candidate) => same(candidate, value))) {
        problems.push(`${name}: "${value}" is not one of AllowedValues ${allowed.join(', ')}`);
      }
    }
    if (declaration.AllowedPattern !== undefined) {
      const pattern = new RegExp(`^(?:${declaration.AllowedPattern})$`);
      for (const item of items) {
        if (!pattern.test(item))
          problems.push(`${name}: "${item}" does not match AllowedPattern ${declaration.AllowedPattern}`);
      }
    }
    if (declaration.Type === 'Number') {
      const number = Number(value);
      if (declaration.MinValue !== undefined && number < declaration.MinValue)
        problems.push(`${name}: ${value} is below MinValue ${declaration.MinValue}`);
      if (declaration.MaxValue !== undefined && number > declaration.MaxValue)
        problems.push(`${name}: ${value} is above MaxValue ${declaration.MaxValue}`);
    }
    if (declaration.MinLength !== undefined && value.length < declaration.MinLength)
      problems.push(`${name}: "${value}" is shorter than MinLength ${declaration.MinLength}`);
    if (declaration.MaxLength !== undefined && value.length > declaration.MaxLength)
      problems.push(`${name}: "${value}" is longer than MaxLength ${declaration.MaxLength}`);
  }
  return problems;
}

/**
 * A string-valued template expression resolved: literals, `Ref` and `Fn::Join` of those. A `Ref`
 * resolves to its entry in `values` (a parameter's value, a pseudo parameter such as `AWS::Region`,
 * or a resource's physical id, as the caller pins them), else to the parameter's Default. Anything
 * else is an error naming the expression, so a caller sees exactly which value it did not pin down.
 */
export function resolveParameterString(
  template: Pick<CfnTemplate, 'Parameters'>,
  values: Record<string, string>,
  expression: Json,
): string {
  if (typeof expression === 'string' || typeof expression === 'number' || typeof expression === 'boolean')
    return String(expression);
  if (isObject(expression) && typeof expression.Ref === 'string') {
    const name = expression.Ref;
    const given = values[name];
    if (given !== undefined) return given;
    const declared = template.Parameters?.[name];
    if (!declared) throw new TemplateError(`no value for Ref ${name}: not a parameter, and none given`);
    if (declared.Default === undefined)
      throw new TemplateError(`parameter ${name} has no value and no default`);
    return String(declared.Default);
  }
  const join = isObject(expression) ? expression['Fn::Join'] : undefined;
  if (Array.isArray(join) && typeof join[0] === 'string' && Array.isArray(join[1])) {
    return (join[1] as Json[]).map((part) => resolveParameterString(template, values, part)).join(join[0]);
  }
  throw new TemplateError(`cannot resolve ${JSON.stringify(expression)} from the values given`);
}
