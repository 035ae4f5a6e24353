/**
 * `synth` and `package`: the templates, and the templates plus Lambda zips, under build/ (the same
 * as `npm run synth` / `npm run package`, through cli/build-artifacts.ts).
 */
import path from 'node:path';
import { REPO_ROOT } from '../templates/lambda-assets';
import { packageArtifacts, writeTemplates } from './build-artifacts';
import { type Command, type FlagSpecs, stringFlag } from './command';
import { EXIT } from './errors';
import { type CliIo, line, note } from './io';

const BUILD_DIR_FLAG: FlagSpecs = {
  'build-dir': {
    type: 'string',
    placeholder: 'DIR',
    description: 'where to write (default: build/ of the repository)',
  },
};

function buildDir(value: string | undefined): string | undefined {
  return value === undefined ? undefined : path.resolve(value);
}

/** A path relative to the repository when it is inside it, else absolute. */
export function displayPath(file: string): string {
  const relative = path.relative(REPO_ROOT, file);
  return relative.startsWith('..') || path.isAbsolute(relative) ? file : relative;
}

export const synthCommand: Command = {
  name: 'synth',
  summary: 'Synthesize the templates (cdk-nag checked) into build/templates/.',
  synopsis: 'synth [--build-dir DIR]',
  flags: BUILD_DIR_FLAG,
  details:
    'Writes streaming.json, parent-example.json and parent-fragment.json. The Lambda keys in them are\nthe content hashes of the current code; `package` writes the matching zips.',
  async run(args, io: CliIo) {
    const dir = buildDir(stringFlag(args, 'build-dir'));
    const result = writeTemplates(dir ? { buildDir: dir } : {});
    for (const message of result.notes) note(io, `note: ${message}`);
    for (const file of result.files) line(io, `wrote ${displayPath(file.path)} (${file.bytes} bytes)`);
    return EXIT.ok;
  },
};

export const packageCommand: Command = {
  name: 'package',
  summary: 'Build the Lambda zips and templates, laid out as in the bucket under build/publish/.',
  synopsis: 'package [--build-dir DIR]',
  flags: BUILD_DIR_FLAG,
  details:
    'build/publish/ is what `qna-streaming publish` uploads to s3://BUCKET/PREFIX/ (templates/… and\nlambda/<name>-<hash>.zip).',
  async run(args, io: CliIo) {
    const dir = buildDir(stringFlag(args, 'build-dir'));
    const result = await packageArtifacts(dir ? { buildDir: dir } : {});
    for (const message of result.notes) note(io, `note: ${message}`);
    line(io, `${displayPath(result.publishDir)}/ (bucket layout under BootstrapPrefix/):`);
    for (const key of result.publishedKeys) line(io, `  ${key}`);
    line(io, 'next: qna-streaming publish --bucket BUCKET [--prefix PREFIX] [--region REGION]');
    return EXIT.ok;
  },
};
