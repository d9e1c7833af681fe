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

// Steps through the app the way an agent does, shared by the test files.

/** tasks waits for the Tasks page (in any of the three languages). */
export async function tasks(page) {
  await page.locator('h1#step-title', { hasText: /Tasks|Tâches|Tarefas/ }).waitFor();
  await page.locator('#queues-title').waitFor();
}

/** toPassword goes from the email step (typing email) or the password step to the password step. */
export async function toPassword(page, email) {
  const emailBox = page.locator('#email');
  const pw = page.locator('#password');
  await Promise.race([emailBox.waitFor(), pw.waitFor()]);
  if (await emailBox.isVisible()) { await emailBox.fill(email); await emailBox.press('Enter'); }
  await pw.waitFor();
}

/** submitStation goes from the station step to the Tasks page (taking the session over if asked). */
export async function submitStation(page) {
  await page.locator('form button[type=submit]').click();
  await page.locator('#team-input').waitFor();
  await page.locator('form button[type=submit]').click();
  const prompt = page.locator('#takeover-intro');
  const q = page.locator('#queues-title');
  await Promise.race([prompt.waitFor(), q.waitFor()]);
  if (await prompt.isVisible()) await page.getByRole('button', { name: 'Continue' }).click();
  await tasks(page);
}

/** signOut signs out from the profile menu. */
export async function signOut(page) {
  await page.locator('#profile-button').click();
  await page.getByRole('menuitem', { name: 'Sign out' }).click();
}
