/**
 * A tiny CloudFormation evaluator for tests: given parameter values it decides the conditions
 * (Fn::Equals / Not / And / Or / Condition, with Ref to parameters and Fn::Join of list parameters),
 * drops resources and outputs whose condition is false, and resolves Fn::If and AWS::NoValue in
 * what remains. Everything else (GetAtt, Ref to resources, pseudo parameters) is left as written,
 * so the result shows exactly what CloudFormation would try to create.
 */

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

export interface CfnTemplate {
  Parameters?: Record<string, CfnParameterDeclaration>;
  Conditions?: Record<string, Json>;
  Resources: Record<
    string,
    { Type: string; Condition?: string; Properties?: JsonObject; Metadata?: JsonObject }
  >;
  Outputs?: Record<string, { Value: Json; Condition?: string }>;
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

  constructor(
    private readonly template: CfnTemplate,
    private readonly parameters: Record<string, string>,
  ) {
    for (const name of Object.keys(parameters)) {
      if (!template.Parameters?.[name]) throw new Error(`Template has no parameter ${name}`);
    }
  }

  /** A parameter's value: the given one, else its default; a parameter without either is an error. */
  parameter(name: string): string {
    const given = this.parameters[name];
    if (given !== undefined) return given;
    const declared = this.template.Parameters?.[name];
    if (!declared) throw new Error(`Ref to unknown parameter ${name}`);
    if (declared.Default === undefined) throw new Error(`Parameter ${name} has no value and no default`);
    return String(declared.Default);
  }

  condition(name: string): boolean {
    const cached = this.conditionCache.get(name);
    if (cached !== undefined) return cached;
    const expression = this.template.Conditions?.[name];
    if (expression === undefined) throw new Error(`Unknown condition ${name}`);
    const result = this.evaluateBoolean(expression);
    this.conditionCache.set(name, result);
    return result;
  }

  private evaluateBoolean(expression: Json): boolean {
    if (!isObject(expression)) throw new Error(`Not a condition expression: ${JSON.stringify(expression)}`);
    const fn = singleKey(expression);
    const args = fn === undefined ? undefined : expression[fn];
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
        throw new Error(`Unsupported condition function ${JSON.stringify(expression)}`);
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
    throw new Error(`Unsupported value in a condition: ${JSON.stringify(value)}`);
  }

  /** A CommaDelimitedList parameter as a list (empty string → []). */
  private list(value: Json): string[] {
    if (isObject(value) && typeof value.Ref === 'string') {
      const raw = this.parameter(value.Ref);
      return raw === '' ? [] : raw.split(',');
    }
    throw new Error(`Unsupported list value: ${JSON.stringify(value)}`);
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

  /** The resources and outputs CloudFormation would create, with conditions applied. */
  effective(): { resources: Record<string, JsonObject>; outputs: Record<string, JsonObject> } {
    const resources: Record<string, JsonObject> = {};
    for (const [id, resource] of Object.entries(this.template.Resources)) {
      if (resource.Condition !== undefined && !this.condition(resource.Condition)) continue;
      resources[id] = this.resolve(resource) as JsonObject;
    }
    const outputs: Record<string, JsonObject> = {};
    for (const [id, output] of Object.entries(this.template.Outputs ?? {})) {
      if (output.Condition !== undefined && !this.condition(output.Condition)) continue;
      outputs[id] = this.resolve(output) as JsonObject;
    }
    return { resources, outputs };
  }
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
 * A string-valued template expression with the parameters substituted: literals, `Ref` to a
 * parameter (its given value, else its Default) or to a pseudo parameter given in `values`
 * (`AWS::Region`, …), and `Fn::Join` of those. Anything else (pseudo
 * parameters, resources) is an error, so a test sees exactly which value it did not pin down.
 */
export function resolveParameterString(
  template: Pick<CfnTemplate, 'Parameters'>,
  values: Record<string, string>,
  expression: Json,
): string {
  if (typeof expression === 'string' || typeof expression === 'number') return String(expression);
  if (isObject(expression) && typeof expression.Ref === 'string') {
    const name = expression.Ref;
    // Pseudo parameters (AWS::Region, …) resolve only when the caller gives a value for them.
    if (name.startsWith('AWS::') && values[name] !== undefined) return values[name];
    const declared = template.Parameters?.[name];
    if (!declared) throw new Error(`Ref ${name} is not a parameter`);
    const value = values[name] ?? declared.Default;
    if (value === undefined) throw new Error(`Parameter ${name} has no value and no default`);
    return String(value);
  }
  if (isObject(expression) && Array.isArray(expression['Fn::Join'])) {
    const [separator, parts] = expression['Fn::Join'] as [string, Json[]];
    return parts.map((part) => resolveParameterString(template, values, part)).join(separator);
  }
  throw new Error(`Cannot resolve ${JSON.stringify(expression)} from parameters alone`);
}
