/** The synthesized templates, made once per test run by global-setup.ts (CDK synthesis takes seconds). */
import { cachedSynthTemplates } from '../../templates/synth-templates';

type Templates = ReturnType<typeof cachedSynthTemplates>;
let cached: Templates | undefined;

export function templates(): Templates {
  cached ??= cachedSynthTemplates();
  return cached;
}

export function streamingTemplate(): Templates['streaming'] {
  return templates().streaming;
}
