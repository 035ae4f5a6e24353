/**
 * An init script for a page with the chat widget (page.addInitScript(revealProbe)) that measures
 * the streaming experience from inside the page, independently of the widget's own bookkeeping for
 * what arrived: every delta frame is recorded as the socket receives it (before the client sees
 * it), and after each animation frame the characters received by the frame's start are compared
 * with the characters the widget shows (`data-revealed-chars` of the latest `qs-streamed-answer`).
 * Long main-thread tasks (PerformanceObserver 'longtask') are recorded too.
 *
 * Used by scripts/bench/streaming-experience.ts and test/browser/widget-experience.test.ts.
 */

/** One animation frame while an answer streamed. */
export interface RevealSample {
  /** The frame's start (performance.now). */
  at: number;
  /** Characters received by the frame's start. */
  received: number;
  /** Characters shown after the frame. */
  revealed: number;
  lagChars: number;
  /** How long the oldest hidden character had waited at the frame's start (0 when all is shown). */
  lagMs: number;
}

export interface RevealProbe {
  arrivals: { t: number; n: number }[];
  samples: RevealSample[];
  longTasks: { start: number; duration: number }[];
  /** When the latest turn's `start` and `end` frames arrived. */
  startAt?: number;
  endAt?: number;
}

/** Runs in the page (serialized by playwright: no imports, no closures over module scope). */
export function revealProbe(): void {
  const probe: RevealProbe = { arrivals: [], samples: [], longTasks: [] };
  (window as unknown as { __revealProbe: RevealProbe }).__revealProbe = probe;
  try {
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        probe.longTasks.push({ start: entry.startTime, duration: entry.duration });
      }
    }).observe({ type: 'longtask', buffered: true });
  } catch {
    // no longtask support: the list stays empty
  }
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(url: string | URL, protocols?: string | string[]) {
      super(url, protocols);
      // Added before the client's own listener, so it runs first.
      this.addEventListener('message', (event) => {
        let frame: { type?: string; text?: string };
        try {
          frame = JSON.parse(String(event.data)) as typeof frame;
        } catch {
          return;
        }
        if (frame.type === 'start') {
          probe.arrivals = [];
          probe.samples = [];
          probe.startAt = performance.now();
          probe.endAt = undefined;
        }
        if (frame.type === 'end') probe.endAt = performance.now();
        if (frame.type === 'delta' && frame.text) {
          probe.arrivals.push({ t: performance.now(), n: frame.text.length });
        }
      });
    }
  };
  const onFrame = (frameTime: number) => {
    // After this frame's callbacks (the reveal's included) have run.
    setTimeout(() => {
      const all = document.querySelectorAll<HTMLElement>('[data-testid="qs-streamed-answer"]');
      const streamed = all[all.length - 1];
      if (streamed?.getAttribute('data-state') !== 'streaming') return;
      const revealed = Number(streamed.getAttribute('data-revealed-chars'));
      let received = 0;
      let oldestHidden: number | undefined;
      for (const arrival of probe.arrivals) {
        if (arrival.t > frameTime) break;
        received += arrival.n;
        if (received > revealed && oldestHidden === undefined) oldestHidden = arrival.t;
      }
      probe.samples.push({
        at: frameTime,
        received,
        revealed,
        lagChars: received - revealed,
        lagMs: oldestHidden === undefined ? 0 : frameTime - oldestHidden,
      });
    }, 0);
    requestAnimationFrame(onFrame);
  };
  requestAnimationFrame(onFrame);
}

/** Reads the probe's records (call with page.evaluate). */
export function readRevealProbe(): RevealProbe {
  return (window as unknown as { __revealProbe: RevealProbe }).__revealProbe;
}
