/** The synthesized templates, made once per test file (CDK synthesis takes a few seconds). */
import { synthTemplates } from '../../templates/synth-templates';

type Templates = ReturnType<typeof synthTemplates>;
let cached: Templates | undefined;

export function templates(): Templates {
  cached ??= synthTemplates();
  return cached;
}

export function streamingTemplate(): Templates['streaming'] {
  return templates().streaming;
}
