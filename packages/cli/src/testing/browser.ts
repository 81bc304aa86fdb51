// Test helper: Debian's headless Chromium driven by playwright-core (never a downloaded
// browser; `npm test` installs chromium with apt when it is missing). RECUR_CHROMIUM overrides
// the path.
import { type Browser, chromium } from 'playwright-core';

export const CHROMIUM = process.env.RECUR_CHROMIUM ?? '/usr/bin/chromium';

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
