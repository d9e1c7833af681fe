// What every end-to-end file needs: its settings from the runner script's
// E2E_* environment, and Debian's Chromium launched for playwright-core.
import { chromium } from 'playwright-core';

// env returns a setting the runner script exports, or says which script to run.
export const env = (k, script = 'scripts/desktop-e2e.sh') => {
  const v = process.env[k];
  if (!v) throw new Error(`${k} is not set: run ${script}`);
  return v;
};

export const launchChromium = () =>
  chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
