// End to end: the app stopped and started again with the same config
// directory and keyring (a fourth `wails dev` instance, app4, that these
// tests launch and stop themselves through E2E_APP4_LAUNCH): the session
// comes back from the refresh token kept in gnome-keyring, the remembered
// station details are pre-filled after signing out, and a refresh token
// revoked in the meantime (the admin signs the agent out) sends the
// relaunched app back to sign-in. Runs after desktop.test.js.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { Admin } from './admin.js';
import { env, launchChromium, signOut, submitStation, tasks, toPassword } from './harness.js';

const API = env('E2E_API');
const SES = env('E2E_SES');
const EMAIL = env('E2E_EMAIL');
const APP = env('E2E_APP4');
const LAUNCH = env('E2E_APP4_LAUNCH');
const SHOTS = process.env.E2E_SHOTS || '';
const T = 30_000;
// wails dev compiles the app at each start (from the Go cache).
const START_DEADLINE = 180_000;

// desktop.test.js changes the agent's password through forgot password and
// cannot hand the new one over: the admin sets one for these tests.
const PASSWORD = 'E2e-relaunch-password-' + Date.now();
const admin = new Admin(API, SES, EMAIL);

let browser;
let instance; // the running app4: { child, exited }
before(async () => {
  browser = await launchChromium();
  await admin.signIn();
  const u = await admin.agent();
  await admin.call('PUT', `/v1/admin/users/${u.id}/password`, { password: PASSWORD });
});
after(async () => {
  await stop();
  await browser?.close();
});

const shot = async (page, name) => { if (SHOTS) await page.screenshot({ path: path.join(SHOTS, `${name}.png`) }); };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function serving() {
  try { return (await fetch(APP + '/')).ok; } catch { return false; }
}

/** launch starts app4 (its own process group) and waits for it to serve. */
async function launch() {
  assert.equal(await serving(), false, 'app4 is not running before the launch');
  const child = spawn(LAUNCH, [], { detached: true, stdio: 'ignore' });
  const exited = new Promise((r) => child.once('exit', (code, signal) => r({ code, signal })));
  instance = { child, exited };
  const end = Date.now() + START_DEADLINE;
  while (!(await serving())) {
    const gone = await Promise.race([exited, sleep(500).then(() => null)]);
    if (gone) throw new Error(`app4 exited while starting (${JSON.stringify(gone)}): see app4.log`);
    if (Date.now() > end) throw new Error('app4 did not serve within the deadline: see app4.log');
  }
}

/** stop ends app4 entirely (wails dev, the app, its D-Bus session and keyring daemon). */
async function stop() {
  if (!instance) return;
  const { child, exited } = instance;
  instance = undefined;
  const kill = (sig) => { try { process.kill(-child.pid, sig); } catch { /* gone */ } };
  kill('SIGTERM');
  if (!(await Promise.race([exited, sleep(10_000).then(() => null)]))) {
    kill('SIGKILL');
    await exited;
  }
  // the group may outlive its leader for a moment
  for (let i = 0; i < 100 && (await serving()); i++) { kill('SIGKILL'); await sleep(100); }
  assert.equal(await serving(), false, 'app4 still serves after being stopped');
}

async function open() {
  const page = await browser.newPage({ viewport: { width: 1024, height: 720 } });
  page.setDefaultTimeout(T);
  await page.goto(APP);
  await page.waitForFunction(() => !!(window.go && window.go.main && window.go.main.App));
  return page;
}

/** toStation goes from the email or password step to the station step. */
async function toStation(page) {
  await toPassword(page, EMAIL);
  const pw = page.locator('#password');
  await pw.fill(PASSWORD);
  await pw.press('Enter');
  await page.locator('#dial-number, #extension').first().waitFor();
}

test('relaunch: signed in with "Remember my credentials", stopped, started again: the Tasks page without signing in', async () => {
  await launch();
  let page = await open();
  await page.locator('#server-url').fill(API);
  await page.locator('#server-url').press('Enter');
  await toStation(page);
  // Extension, not the default Dial Number: what is pre-filled later can
  // only have come from the keyring.
  await page.getByRole('radio', { name: /^Extension/ }).check();
  await page.getByRole('checkbox', { name: 'Remember my credentials' }).check();
  await submitStation(page);
  await page.getByText('Your station details are saved on this computer.').waitFor();
  await page.close();

  await stop();
  await launch();
  page = await open();
  // No input at all: the session is restored from the refresh token.
  await tasks(page);
  assert.equal(await page.locator('#server-url, #email, #password').count(), 0, 'no sign-in field on the restored Tasks page');
  await shot(page, 'relaunch-restored');

  await signOut(page);
  await toStation(page);
  assert.equal(await page.getByRole('radio', { name: /^Extension/ }).isChecked(), true, 'Extension pre-selected from the keyring after the relaunch');
  assert.equal(await page.getByRole('checkbox', { name: 'Remember my credentials' }).isChecked(), true);
  await shot(page, 'relaunch-station-remembered');
  await submitStation(page);
  await page.close();
});

test('relaunch after the refresh token was revoked (the admin signed the agent out): back to sign-in', async () => {
  // app4 is on the Tasks page with a fresh refresh token in its keyring.
  await stop();
  const u = await admin.agent();
  await admin.call('POST', `/v1/admin/users/${u.id}/logout`);
  await launch();
  const page = await open();
  await page.locator('.card[data-step="email"], .card[data-step="password"]').waitFor();
  assert.equal(await page.locator('#queues-title').count(), 0, 'not on the Tasks page');
  await shot(page, 'relaunch-revoked');
  // and signing in again works from there
  await toStation(page);
  await submitStation(page);
  await page.close();
});
