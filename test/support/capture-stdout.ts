/**
 * Captures what code under test writes to stdout (JSON logs, EMF metric lines) during each test of
 * the file that calls it, instead of letting it reach the jest output.
 */
export interface CapturedStdout {
  /** Every JSON line written in the current test, parsed. */
  jsonLines(): Record<string, unknown>[];
}

export function captureStdout(): CapturedStdout {
  const chunks: string[] = [];
  beforeEach(() => {
    chunks.length = 0;
    jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      chunks.push(String(chunk));
      return true;
    });
  });
  afterEach(() => jest.restoreAllMocks());
  return {
    jsonLines: () =>
      chunks
        .flatMap((chunk) => chunk.split('\n'))
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}
