/** Browser entry of the demo page (bundled by cli/local-stack/demo-page.ts into /demo.js). */
import { startDemo } from './demo-app';

startDemo({
  document,
  pageUrl: window.location.href,
  fetch: (url, init) => window.fetch(url, init),
}).catch((error: unknown) => {
  // The page already shows the problem in its alert; keep the details for the console.
  console.error('[qna-streaming demo] could not start', error);
});
