/**
 * `npm run package`: Lambda zips (build/lambda/), templates (build/templates/) and the bucket
 * layout under the prefix (build/publish/), then prints the keys and the upload command.
 */
import path from 'node:path';
import { packageArtifacts } from '../cli/build-artifacts';
import { REPO_ROOT } from '../templates/lambda-assets';

async function main(): Promise<void> {
  const result = await packageArtifacts();
  for (const note of result.notes) console.warn(`note: ${note}`);
  for (const file of result.files) {
    console.log(`wrote ${path.relative(REPO_ROOT, file.path)} (${file.bytes} bytes)`);
  }
  const publishDir = path.relative(REPO_ROOT, result.publishDir);
  console.log(`\n${publishDir}/ (bucket layout under <BootstrapPrefix>/):`);
  for (const key of result.publishedKeys) console.log(`  ${key}`);
  console.log(`\nupload: aws s3 sync ${publishDir} s3://<BootstrapBucket>/<BootstrapPrefix>/`);
  console.log(
    'deploy: aws cloudformation deploy --template-file build/templates/streaming.json --stack-name qna-streaming --capabilities CAPABILITY_IAM --parameter-overrides BootstrapBucket=<BootstrapBucket> BootstrapPrefix=<BootstrapPrefix>',
  );
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? `${error.name}: ${error.message}` : error);
  process.exitCode = 1;
});
