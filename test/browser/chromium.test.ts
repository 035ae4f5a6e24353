/** The browser tests fail, never skip, when Chromium is missing, and say how to install it. */
import { launchChromium } from './chromium';

it('fails with the install command when Chromium is missing', async () => {
  // Act
  const launch = launchChromium('/nonexistent/chromium');

  // Assess
  await expect(launch).rejects.toThrow(
    'Chromium is missing at /nonexistent/chromium; the browser tests need it. Install it once with: apt-get update && apt-get install -y chromium',
  );
});
