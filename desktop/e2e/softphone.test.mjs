// End to end of the Desktop station's softphone, as the agent uses it, all
// from the Tasks page: sign in with the Desktop station, the phone
// registers with the voice lab's Kamailio, the lab's customer calls 1001,
// the agent answers (keyboard), hears the customer and is heard (tones
// both ways, judged on the recordings), holds (media stops both ways) and
// resumes, sends a keypad tone (baresip reports the digit), transfers the
// customer to the lab's tone agent, takes a second call and hangs up; a
// Kamailio restart shows "voice disconnected" until the phone registers
// again; after sign-out the extension is unregistered (the customer's call
// fails).
// scripts/desktop-e2e-voice.sh runs it inside the lab's namespace.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import path from 'node:path';
import { env as harnessEnv, launchChromium } from './tests/harness.js';

const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

const env = (k) => harnessEnv(k, 'scripts/desktop-e2e-voice.sh');
const APP = env('E2E_APP');
const EMAIL = env('E2E_EMAIL');
const PASSWORD = env('E2E_PASSWORD');
const TONECHECK = env('E2E_TONECHECK');
const APP_AUDIO = env('E2E_APP_AUDIO');
const APP_TONE = Number(env('E2E_APP_TONE_HZ'));
const CUSTOMER_TONE = 1000; // the lab's customer sends 1000 Hz
const WAV_DIR = path.join(env('VOICE_LAB_WAV_DIR'), 'customer');
const DOMAIN = env('SIP_DOMAIN');
const SHOTS = process.env.E2E_SHOTS || '';
const NOTIFY_LOG = env('E2E_NOTIFY_LOG');
const T = 30_000;
const TALK_MS = 3000; // audio each way before the checks need it
const HOLD_MS = 3000;

// ---- the lab's customer (baresip ctrl_tcp: JSON in netstrings) -------------

class Baresip {
  constructor(addr) {
    const [host, port] = addr.split(':');
    this.events = [];
    this.waiters = [];
    this.pending = new Map();
    this.buf = Buffer.alloc(0);
    this.sock = net.connect(Number(port), host);
    this.ready = new Promise((resolve, reject) => {
      this.sock.once('connect', resolve);
      this.sock.once('error', reject);
    });
    this.sock.on('data', (d) => this.read(d));
  }
  read(d) {
    this.buf = Buffer.concat([this.buf, d]);
    for (;;) {
      const colon = this.buf.indexOf(':');
      if (colon < 0) return;
      const n = Number(this.buf.subarray(0, colon).toString());
      if (this.buf.length < colon + 1 + n + 1) return;
      const msg = JSON.parse(this.buf.subarray(colon + 1, colon + 1 + n).toString());
      this.buf = this.buf.subarray(colon + 1 + n + 1);
      if (msg.response) this.pending.get(msg.token)?.(msg);
      else if (msg.event) {
        this.events.push(msg);
        for (const w of [...this.waiters]) w();
      }
    }
  }
  async command(command, params = '') {
    await this.ready;
    const token = `t${Math.random().toString(36).slice(2)}`;
    const body = JSON.stringify({ command, params, token });
    const res = new Promise((resolve) => this.pending.set(token, resolve));
    this.sock.write(`${Buffer.byteLength(body)}:${body},`);
    const r = await res;
    assert.ok(r.ok, `baresip ${command} ${params}: ${r.data}`);
    return r.data;
  }
  /** waitEvent resolves with the first event from index `from` on that match accepts. */
  waitEvent(from, match, what, ms = T) {
    return new Promise((resolve, reject) => {
      const check = () => {
        for (let i = from; i < this.events.length; i++) {
          if (match(this.events[i])) {
            done();
            resolve({ event: this.events[i], next: i + 1 });
            return true;
          }
        }
        return false;
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`no baresip event ${what} in ${ms} ms; got ${this.events.slice(from).map((e) => `${e.type}(${e.param ?? ''})`).join(', ')}`));
      }, ms);
      const done = () => {
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== check);
      };
      if (!check()) this.waiters.push(check);
    });
  }
  close() { this.sock.destroy(); }
}

const type = (t) => (e) => e.type === t;

function tonecheck(file, hz) {
  return JSON.parse(execFileSync(TONECHECK, [file, String(hz)]).toString());
}

/** recordingsSince lists the customer's recordings of one direction (dec: what it received) written after t. */
function recordingsSince(t, kind) {
  if (!fs.existsSync(WAV_DIR)) return [];
  return fs
    .readdirSync(WAV_DIR)
    .filter((f) => f.endsWith(`-${kind}.wav`))
    .map((f) => path.join(WAV_DIR, f))
    .filter((f) => fs.statSync(f).mtimeMs >= t)
    .sort((a, b) => fs.statSync(a).birthtimeMs - fs.statSync(b).birthtimeMs || a.localeCompare(b));
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---- the app ------------------------------------------------------------------

let browser, page, customer;
before(async () => {
  browser = await launchChromium();
  customer = new Baresip(env('VOICE_LAB_CUSTOMER_CTRL'));
  await customer.ready;
});
after(async () => {
  customer?.close();
  await browser?.close();
});
const shot = async (name) => { if (SHOTS) await page.screenshot({ path: path.join(SHOTS, `${name}.png`) }); };

/** axe finds no serious or critical problem (colour contrast included, in Chromium). */
async function axe(where) {
  await page.addScriptTag({ path: AXE });
  const res = await page.evaluate(async () => await window.axe.run(document));
  const bad = res.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(bad.map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`), [], `axe on ${where}`);
}

const status = () => page.getByTestId('phone-status');
const panel = () => page.getByRole('region', { name: 'Phone' });
const callState = () => page.locator('[data-call-state]');

async function ringAndAnswer(name) {
  const from = customer.events.length;
  await customer.command('dial', `sip:1001@${DOMAIN}`);
  const dialog = page.getByRole('alertdialog', { name: 'Incoming call' });
  await dialog.waitFor();
  await shot(`${name}-ringing`);
  if (name === 'call1') {
    await axe('the ringing call');
    // The desktop notification went to the session's notification server.
    const deadline = Date.now() + T;
    let said = '';
    while (!/Incoming call/.test(said) && Date.now() < deadline) {
      said = fs.existsSync(NOTIFY_LOG) ? fs.readFileSync(NOTIFY_LOG, 'utf8') : '';
      if (!/Incoming call/.test(said)) await sleep(100);
    }
    assert.match(said, /string "Incoming call"[\s\S]*string "customer"/, 'the incoming call notification');
  }
  const answer = dialog.getByRole('button', { name: 'Answer' });
  await page.waitForFunction(() => document.activeElement?.textContent?.trim() === 'Answer');
  assert.match(await page.locator('[aria-live="assertive"]').textContent(), /Incoming call from customer/);
  await page.keyboard.press('Enter'); // the focused Answer
  await answer.waitFor({ state: 'detached' });
  await customer.waitEvent(from, type('CALL_ESTABLISHED'), 'CALL_ESTABLISHED');
  await callState().and(page.locator('[data-call-state="in_call"]')).waitFor();
  return from;
}

test('sign in with the Desktop station: the phone registers', async () => {
  page = await browser.newPage({ viewport: { width: 1024, height: 900 } });
  page.setDefaultTimeout(T);
  await page.goto(APP);
  await page.waitForFunction(() => !!(window.go && window.go.main && window.go.main.App));
  await page.locator('#email').fill(EMAIL);
  await page.locator('#email').press('Enter');
  await page.locator('#password').fill(PASSWORD);
  await page.locator('#password').press('Enter');
  await page.locator('input[name=station-mode][value=desktop]').check();
  await page.locator('form button[type=submit]').click();
  await page.locator('#team-input').waitFor();
  await page.locator('form button[type=submit]').click();
  await panel().waitFor();
  await status().filter({ hasText: 'Ready for calls on extension 1001' }).waitFor();
  assert.equal(await page.getByTestId('voice-disconnected').count(), 0, 'no "voice disconnected" mark once registered');
  await shot('registered');
  await axe('the phone panel');
});

test('the customer calls: answer, audio both ways, hold and resume, a keypad tone, transfer to the tone agent', async () => {
  const t0 = Date.now();
  const from = await ringAndAnswer('call1');
  await page.getByTestId('call-timer').waitFor();
  await sleep(TALK_MS);

  await page.getByRole('button', { name: 'Hold' }).click();
  await page.locator('[data-call-state="held"]').waitFor();
  await shot('held');
  await sleep(HOLD_MS);
  await page.getByRole('button', { name: 'Resume' }).click();
  await page.locator('[data-call-state="in_call"]').waitFor();
  await sleep(TALK_MS);

  await page.getByRole('group', { name: 'Send keypad tones' }).getByRole('button', { name: 'Key 5' }).click();
  const dtmf = await customer.waitEvent(from, (e) => e.type === 'CALL_DTMF_START', 'CALL_DTMF_START');
  assert.equal(dtmf.event.param, '5', 'the customer heard the digit 5');

  // Quality: figures arrive within a couple of stats periods.
  await page.getByText(/Call quality:/).click();
  await shot('in-call');
  await axe('the call in progress');

  const beforeTransfer = customer.events.length;
  await page.getByLabel('Transfer to').fill('9001');
  await page.getByRole('button', { name: 'Transfer', exact: true }).click();
  await page.locator('#phone-number').waitFor(); // the panel is idle again
  assert.equal(await page.locator('[data-call-state]').count(), 0);
  const landed = await customer.waitEvent(beforeTransfer, (e) => e.type === 'CALL_ESTABLISHED' && /9001|tone/.test(e.peeruri ?? ''), 'CALL_ESTABLISHED with tone');
  assert.ok(landed.event.peeruri, 'the customer is now with the tone agent');
  await customer.command('hangup');

  // Audio both ways, judged on the recordings. The app's recorder keeps to
  // the wall clock: the hold is a gap in what it heard, and the customer's
  // tone comes back after it. The customer's recording (baresip 1.0's
  // sndfile) ends at the hold's re-INVITE, so it judges the talk before
  // the hold only.
  const heard = recordingsSince(t0, 'dec');
  assert.ok(heard.length >= 1, `the customer's recordings since the call: ${heard}`);
  const byCustomer = tonecheck(heard[0], APP_TONE);
  console.log(`customer heard the app's ${APP_TONE} Hz:`, byCustomer);
  const appFiles = fs.readdirSync(APP_AUDIO).filter((f) => f.endsWith('.wav')).sort();
  assert.ok(appFiles.length >= 1, 'the app recorded the call');
  const byApp = tonecheck(path.join(APP_AUDIO, appFiles[0]), CUSTOMER_TONE);
  console.log(`the app heard the customer's ${CUSTOMER_TONE} Hz:`, byApp);
  const frames = (ms) => Math.floor((0.8 * ms) / 20); // 80% of the 20 ms frames
  assert.ok(byCustomer.present >= frames(TALK_MS), `the customer heard the app's tone in ${byCustomer.present} frames`);
  assert.ok(byApp.present >= frames(2 * TALK_MS), `the app heard the customer's tone in ${byApp.present} frames`);
  assert.ok(byApp.longest_gap_ms >= HOLD_MS / 2, `the hold stopped the customer's audio (longest gap ${byApp.longest_gap_ms} ms)`);
  assert.ok(byApp.after_gap >= frames(TALK_MS), `the customer's audio came back after the hold (${byApp.after_gap} frames)`);
});

test('a second call: answer, then hang up from the panel', async () => {
  const from = await ringAndAnswer('call2');
  await page.getByRole('button', { name: 'Hang up' }).click();
  await customer.waitEvent(from, type('CALL_CLOSED'), 'CALL_CLOSED');
  await page.locator('#phone-number').waitFor();
  await shot('idle');
});

test('Kamailio restarts: "voice disconnected" on the profile icon, then registered again', async () => {
  // Record every registration state the panel shows, however short.
  await page.evaluate(() => {
    window.__registrations = [];
    const seen = () => {
      const r = document.querySelector('[data-registration]')?.getAttribute('data-registration');
      const mark = !!document.querySelector('[data-testid="voice-disconnected"]');
      const last = window.__registrations[window.__registrations.length - 1];
      if (r && (!last || last.r !== r || last.mark !== mark)) window.__registrations.push({ r, mark });
    };
    new MutationObserver(seen).observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
    seen();
  });
  customer.close();
  execFileSync(path.join(env('E2E_ROOT'), 'scripts/voice-lab.sh'), ['restart-kamailio'], { stdio: 'inherit' });
  customer = new Baresip(env('VOICE_LAB_CUSTOMER_CTRL')); // the lab restarted its agents too
  await customer.ready;
  await page.waitForFunction(() => window.__registrations.some((x) => x.r === 'reconnecting' && x.mark), null, { timeout: T });
  await status().filter({ hasText: 'Ready for calls on extension 1001' }).waitFor();
  assert.equal(await page.getByTestId('voice-disconnected').count(), 0, 'the mark goes once registered again');
  console.log('registration states shown:', JSON.stringify(await page.evaluate(() => window.__registrations)));
  // Calls come through again.
  const from = await ringAndAnswer('after-restart');
  await page.getByRole('button', { name: 'Hang up' }).click();
  await customer.waitEvent(from, type('CALL_CLOSED'), 'CALL_CLOSED');
  await page.locator('#phone-number').waitFor();
});

test('sign-out unregisters: the customer can no longer reach 1001', async () => {
  await page.locator('#profile-button').click();
  await page.getByRole('menuitem', { name: 'Sign out' }).click();
  await page.locator('#email').waitFor();
  const from = customer.events.length;
  await customer.command('dial', `sip:1001@${DOMAIN}`);
  const closed = await customer.waitEvent(from, type('CALL_CLOSED'), 'CALL_CLOSED');
  assert.match(closed.event.param ?? '', /404|480|Not Found|Unavailable/, `the call to the signed-out agent: ${closed.event.param}`);
});
