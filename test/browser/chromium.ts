/**
 * Debian's Chromium driven by playwright-core (no browser download), and helpers that read the
 * demo page the way a user sees it. Install the browser once: `apt-get install -y chromium`.
 */
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { REPO_ROOT } from '../../templates/lambda-assets';

export const CHROMIUM_PATH = '/usr/bin/chromium';
export const ARTIFACTS_DIR = path.join(REPO_ROOT, 'build', 'test-artifacts');

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/** Launches headless Chromium; fails (never skips) with the install command when it is missing. */
export async function launchChromium(executablePath = CHROMIUM_PATH): Promise<Browser> {
  if (!existsSync(executablePath)) {
    throw new Error(
      `Chromium is missing at ${executablePath}; the browser tests need it. ` +
        'Install it once with: apt-get update && apt-get install -y chromium',
    );
  }
  return chromium.launch({ executablePath, args: CHROMIUM_ARGS });
}

/** Saves a screenshot under build/test-artifacts/ and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  const file = path.join(ARTIFACTS_DIR, `${name}.png`);
  await page.screenshot({ path: file });
  return file;
}

/** What the user sees of the latest answer in the chat widget. */
export interface AnswerView {
  /** Streamed text so far, as rendered. */
  streamed: string;
  streamedState: string | null;
  finalShown: boolean;
  finalText: string;
  finalState: string | null;
}

export function readAnswer(page: Page): Promise<AnswerView> {
  return page.evaluate(() => {
    const last = (testId: string) => {
      const all = document.querySelectorAll<HTMLElement>(`[data-testid="${testId}"]`);
      return all[all.length - 1];
    };
    const streamed = last('qs-streamed-answer');
    const final = last('qs-final-answer');
    // The streamed text as rendered (markdown while it streams): what the reader sees.
    const text = streamed?.textContent ?? '';
    return {
      streamed: text,
      streamedState: streamed?.getAttribute('data-state') ?? null,
      finalShown: final ? !final.hidden : false,
      finalText: final?.textContent ?? '',
      finalState: final?.getAttribute('data-state') ?? null,
    };
  });
}

/** Text of the latest answer mirrored into this tab from another tab of the session. */
export function readMirroredAnswer(page: Page): Promise<{ text: string; state: string | null }> {
  return page.evaluate(() => {
    const all = document.querySelectorAll<HTMLElement>('[data-testid="demo-mirrored-answer"]');
    const mirrored = all[all.length - 1];
    return { text: mirrored?.textContent ?? '', state: mirrored?.getAttribute('data-state') ?? null };
  });
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Reads `read()` every `intervalMs` until `done(value)` and returns the distinct values seen, in
 * order (consecutive repeats collapsed). Throws with the last value when `timeoutMs` passes.
 */
export async function sampleUntil<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  options: { intervalMs?: number; timeoutMs?: number; key?: (value: T) => string } = {},
): Promise<T[]> {
  const deadline = Date.now() + (options.timeoutMs ?? 20_000);
  const key = options.key ?? ((value: T) => JSON.stringify(value));
  const seen: T[] = [];
  for (;;) {
    const value = await read();
    const last = seen[seen.length - 1];
    if (last === undefined || key(last) !== key(value)) seen.push(value);
    if (done(value)) return seen;
    if (Date.now() > deadline) {
      throw new Error(`condition not met within ${options.timeoutMs ?? 20_000} ms; last value ${key(value)}`);
    }
    await pause(options.intervalMs ?? 40);
  }
}

/** Collapses whitespace, so rendered markdown and raw text compare as a reader sees them. */
export function normalize(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
