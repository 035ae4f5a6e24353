/**
 * `npm run synth`: writes build/templates/streaming.json, parent-example.json and
 * parent-fragment.json (cdk-nag checked) and prints what it wrote.
 */
import path from 'node:path';
import { writeTemplates } from '../cli/build-artifacts';
import { REPO_ROOT } from '../templates/lambda-assets';

function main(): void {
  const result = writeTemplates();
  for (const note of result.notes) console.warn(`note: ${note}`);
  for (const file of result.files) {
    console.log(`wrote ${path.relative(REPO_ROOT, file.path)} (${file.bytes} bytes)`);
  }
  for (const [name, key] of Object.entries(result.templates.assetKeys)) {
    console.log(`lambda ${name}: <BootstrapPrefix>/${key}`);
  }
}

try {
  main();
} catch (error) {
  console.error(error instanceof Error ? `${error.name}: ${error.message}` : error);
  process.exitCode = 1;
}
