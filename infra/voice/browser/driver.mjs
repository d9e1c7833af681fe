// Drives JsSIP in Debian's headless Chromium for Go (package browser).
//
// stdin: one JSON request a line, {"id": n, "fn": "call", "args": [...]},
// calling window.lab[fn](...args) in the page (page/phone.js); requests
// run concurrently. stdout: {"hello": true, "driverPid": n} once the page
// is ready, then {"id": n, "ok": true, "result": ...} or {"id": n, "ok":
// false, "error": "..."} per request. The page's console goes to stderr.
// stdin's end closes the browser and exits.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

// jssip ships CommonJS only: bundle it for the page, as the global JsSIP.
const bundle = await esbuild.build({
  entryPoints: [require.resolve('jssip')],
  bundle: true, format: 'iife', globalName: 'JsSIP', platform: 'browser', write: false, logLevel: 'error',
});
const files = {
  '/index.html': ['text/html', await readFile(join(here, 'page/index.html'))],
  '/phone.js': ['text/javascript', await readFile(join(here, 'page/phone.js'))],
  '/capture.js': ['text/javascript', await readFile(join(here, 'page/capture.js'))],
  '/jssip.js': ['text/javascript', Buffer.from(bundle.outputFiles[0].contents)],
};

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: [
    '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync',
    '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream',
    '--autoplay-policy=no-user-gesture-required',
    // Host candidates with the real address, not an mDNS name; and no
    // Local Network Access prompt (which headless denies) for the page on
    // localhost opening the lab's ws:// on a link-local address. One flag:
    // a second --disable-features would replace the first.
    '--disable-features=WebRtcHideLocalIpsWithMdns,LocalNetworkAccessChecks',
    // Keep timers and audio running at full rate in a background page.
    '--disable-background-timer-throttling', '--disable-renderer-backgrounding',
  ],
});
const page = await browser.newPage();
page.on('console', (m) => process.stderr.write(`page ${m.type()}: ${m.text()}\n`));
page.on('pageerror', (e) => process.stderr.write(`page error: ${e.stack || e}\n`));
// http://localhost is a secure context (AudioWorklet needs one); nothing
// listens: the files come from here.
await page.route('http://localhost/**', (route) => {
  const f = files[new URL(route.request().url()).pathname];
  if (!f) return route.fulfill({ status: 404, body: 'not found' });
  return route.fulfill({ status: 200, contentType: f[0], body: f[1] });
});
await page.goto('http://localhost/index.html');
await page.waitForFunction(() => window.lab && window.JsSIP);

const out = (m) => process.stdout.write(JSON.stringify(m) + '\n');
out({ hello: true, driverPid: process.pid, version: browser.version() });

const pending = new Set();
const rl = readline.createInterface({ input: process.stdin });
rl.on('line', (line) => {
  let req;
  try {
    req = JSON.parse(line);
  } catch (e) {
    process.stderr.write(`bad request ${line}: ${e}\n`);
    return;
  }
  const p = page
    .evaluate(([fn, args]) => window.lab[fn](...args), [req.fn, req.args || []])
    .then((result) => out({ id: req.id, ok: true, result }))
    .catch((e) => out({ id: req.id, ok: false, error: String(e.message || e).split('\n')[0] }))
    .finally(() => pending.delete(p));
  pending.add(p);
});
rl.on('close', async () => {
  await Promise.allSettled([...pending]);
  try {
    await page.evaluate(() => window.lab.stop());
  } catch (_) { /* the page is gone */ }
  await browser.close();
  process.exit(0);
});
