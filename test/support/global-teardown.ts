/** Removes the templates file global-setup.ts wrote for this run. */
import { rmSync } from 'node:fs';
import { SYNTH_CACHE_ENV } from '../../templates/synth-templates';

export default function globalTeardown(): void {
  const file = process.env[SYNTH_CACHE_ENV];
  if (file) rmSync(file, { force: true });
}
