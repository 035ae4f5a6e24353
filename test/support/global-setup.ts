/**
 * Runs once before the test files: synthesizes the templates (bundling every Lambda, CDK, cdk-nag)
 * and leaves them in a file that `cachedSynthTemplates()` reads (templates/synth-templates.ts
 * SYNTH_CACHE_ENV), so each test file that needs a template or a local stack reads JSON instead of
 * synthesizing again. The test files of test/templates still synthesize on their own: that is what
 * they test.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { SYNTH_CACHE_ENV, synthTemplates } from '../../templates/synth-templates';

export default function globalSetup(): void {
  const { streaming, parentExample, parentFragment, assetKeys } = synthTemplates();
  const dir = path.join(__dirname, '..', '..', 'build', 'test-cache');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `templates-${process.pid}.json`);
  writeFileSync(file, JSON.stringify({ streaming, parentExample, parentFragment, assetKeys }));
  process.env[SYNTH_CACHE_ENV] = file;
}
