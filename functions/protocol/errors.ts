/**
 * One base error for the whole add-on; each area has its own subclass that keeps the original
 * failure as `cause`, so a log line shows both what we were doing and what went wrong underneath.
 *
 * It lives with the protocol because the browser plugin's errors extend it too, and the browser
 * bundle imports nothing outside functions/protocol/.
 */
export class QnaStreamingError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'QnaStreamingError';
  }
}
