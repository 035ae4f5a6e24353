import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { inflateRawSync } from 'node:zlib';
import { type PackageResult, packageArtifacts } from '../../cli/build-artifacts';
import { ENV } from '../../functions/shared/constants';
import {
  bundleAllLambdasSync,
  bundleLambdaSync,
  findLambdaAsset,
  LAMBDA_ASSETS,
  LambdaAssetError,
  zipBundle,
} from '../../templates/lambda-assets';

/** The single entry of a zip written by zipBundle: name, DOS time/date and inflated content. */
function readSingleEntryZip(zip: Buffer): {
  name: string;
  dosTime: number;
  dosDate: number;
  content: Buffer;
} {
  expect(zip.readUInt32LE(0)).toBe(0x04034b50); // local file header
  const method = zip.readUInt16LE(8);
  const dosTime = zip.readUInt16LE(10);
  const dosDate = zip.readUInt16LE(12);
  const compressedSize = zip.readUInt32LE(18);
  const nameLength = zip.readUInt16LE(26);
  const extraLength = zip.readUInt16LE(28);
  const name = zip.subarray(30, 30 + nameLength).toString('utf8');
  const start = 30 + nameLength + extraLength;
  const data = zip.subarray(start, start + compressedSize);
  return { name, dosTime, dosDate, content: method === 8 ? inflateRawSync(data) : Buffer.from(data) };
}

const tempDirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'qna-streaming-package-'));
  tempDirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

describe('npm run package', () => {
  // Prepare (once): package the real registry into a temporary build folder.
  let buildDir: string;
  let result: PackageResult;
  beforeAll(async () => {
    buildDir = tempDir();
    result = await packageArtifacts({ buildDir });
  });

  const s3KeyOf = (templateFile: string, logicalId: string): string => {
    const template = JSON.parse(
      readFileSync(path.join(buildDir, 'publish', 'templates', templateFile), 'utf8'),
    );
    const code = template.Resources[logicalId].Properties.Code;
    expect(code.S3Bucket).toEqual({ Ref: 'BootstrapBucket' });
    const [separator, [prefix, key]] = code.S3Key['Fn::Join'];
    expect(separator).toBe('/');
    expect(prefix).toEqual({ Ref: 'BootstrapPrefix' });
    return key;
  };

  test('build/publish holds exactly the bucket layout under the prefix', () => {
    const listed = (dir: string) => readdirSync(path.join(result.publishDir, dir)).map((f) => `${dir}/${f}`);
    expect([...listed('lambda'), ...listed('templates')].sort()).toEqual([...result.publishedKeys]);
    expect(result.publishedKeys).toEqual(
      expect.arrayContaining([
        'templates/streaming.json',
        'templates/parent-example.json',
        'templates/parent-fragment.json',
      ]),
    );
    for (const name of ['streaming.json', 'parent-example.json', 'parent-fragment.json']) {
      expect(readFileSync(path.join(buildDir, 'templates', name))).toEqual(
        readFileSync(path.join(result.publishDir, 'templates', name)),
      );
    }
  });

  test('the Lambda keys in the templates are the zips package wrote', () => {
    const connectionKey = s3KeyOf('streaming.json', 'StreamingLambda');
    expect(connectionKey).toMatch(/^lambda\/connection-[0-9a-f]{12}\.zip$/);
    expect(existsSync(path.join(result.publishDir, connectionKey))).toBe(true);
    expect(existsSync(path.join(buildDir, 'lambda', path.basename(connectionKey)))).toBe(true);

    const fulfillmentKey = s3KeyOf('parent-example.json', 'FulfillmentFunction');
    if (existsSync(path.join(__dirname, '../../', findLambdaAsset('fulfillment').entry))) {
      expect(existsSync(path.join(result.publishDir, fulfillmentKey))).toBe(true);
    } else {
      expect(fulfillmentKey).toBe('lambda/fulfillment-not-built.zip');
    }
  });

  test('each zip holds index.js whose sha256 is the key, and its handler loads', () => {
    const connectionKey = s3KeyOf('streaming.json', 'StreamingLambda');
    const entry = readSingleEntryZip(readFileSync(path.join(result.publishDir, connectionKey)));
    expect(entry.name).toBe('index.js');
    const digest = createHash('sha256').update(entry.content).digest('hex');
    expect(connectionKey).toBe(`lambda/connection-${digest.slice(0, 12)}.zip`);

    // The bundle is self-contained: load it from a folder with no node_modules, as Lambda would.
    const dir = tempDir();
    writeFileSync(path.join(dir, 'index.js'), entry.content);
    const previous = process.env[ENV.tableName];
    process.env[ENV.tableName] = 'sessions';
    try {
      const loaded = require(path.join(dir, 'index.js')) as { handler?: unknown };
      expect(typeof loaded.handler).toBe('function');
    } finally {
      if (previous === undefined) delete process.env[ENV.tableName];
      else process.env[ENV.tableName] = previous;
    }
  });
});

describe('Lambda assets', () => {
  test('bundling and zipping are deterministic: same sources, same key, same bytes, fixed time', async () => {
    const connection = findLambdaAsset('connection');
    const first = bundleLambdaSync(connection);
    const second = bundleLambdaSync(connection);
    expect(second.key).toBe(first.key);
    const [zipA, zipB] = await Promise.all([zipBundle(first.code), zipBundle(second.code)]);
    expect(zipA.equals(zipB)).toBe(true);
    const entry = readSingleEntryZip(zipA);
    expect(entry.dosDate).toBe(((1980 - 1980) << 9) | (1 << 5) | 2); // 1980-01-02
    expect(entry.dosTime).toBe(0);
    expect(entry.content.equals(first.code)).toBe(true);
  });

  test('a missing optional entry is skipped with a message; a missing required one is an error', () => {
    const root = tempDir();
    mkdirSync(path.join(root, 'src'));
    writeFileSync(
      path.join(root, 'src', 'present.ts'),
      'export const handler = async (): Promise<string> => "ok";\n',
    );
    const result = bundleAllLambdasSync({
      rootDir: root,
      assets: [
        { name: 'present', entry: 'src/present.ts' },
        { name: 'later', entry: 'src/later.ts', optional: true },
      ],
    });
    expect(result.bundles.map((b) => b.asset.name)).toEqual(['present']);
    expect(result.skipped).toEqual([
      expect.objectContaining({
        reason: expect.stringMatching(/"later" skipped: src\/later\.ts does not exist yet/),
      }),
    ]);
    expect(() =>
      bundleAllLambdasSync({ rootDir: root, assets: [{ name: 'needed', entry: 'src/needed.ts' }] }),
    ).toThrow(new LambdaAssetError('Lambda asset "needed": entry file src/needed.ts does not exist'));
  });

  test('the registry names each Lambda once, and unknown names are rejected with the known ones', () => {
    const names = LAMBDA_ASSETS.map((asset) => asset.name);
    expect(new Set(names).size).toBe(names.length);
    expect(() => findLambdaAsset('nope')).toThrow(/Unknown Lambda asset "nope"; known assets: connection/);
  });
});
