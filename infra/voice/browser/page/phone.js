// The page side of the browser SIP client: one JsSIP user agent, any
// number of calls, a WebAudio oscillator as each call's microphone and an
// AudioWorklet capturing each call's remote audio. The driver calls the
// functions of window.lab through page.evaluate; every one returns plain
// JSON.
'use strict';

const RATE = 48000;
let ctx;      // the AudioContext every call shares
let ua;       // the JsSIP.UA
let nextId = 1;
const calls = new Map();   // id -> call state
const incoming = [];       // sessions ringing, oldest first
const incomingWaiters = [];

async function audio() {
  if (!ctx) {
    ctx = new AudioContext({ sampleRate: RATE });
    // Worklet scripts bypass the driver's request routing: load it from
    // a blob of what fetch (which is routed) returns.
    const src = await (await fetch('capture.js')).text();
    await ctx.audioWorklet.addModule(URL.createObjectURL(new Blob([src], { type: 'text/javascript' })));
  }
  if (ctx.state !== 'running') await ctx.resume();
  return ctx;
}

// A microphone: an oscillator at freq behind a gain (0 = silent until
// toneAt schedules it).
function microphone(freq, amp) {
  const osc = ctx.createOscillator();
  osc.frequency.value = freq;
  const gain = ctx.createGain();
  gain.gain.value = amp;
  const dest = ctx.createMediaStreamDestination();
  osc.connect(gain).connect(dest);
  osc.start();
  return { osc, gain, stream: dest.stream };
}

function newCall(session, mic) {
  const c = {
    id: nextId++, session, mic, t0: performance.now(), sentAt: 0, firstAudioAt: 0,
    ended: false, cause: '', chunks: null, remote: null,
  };
  let resolveAudio;
  c.audio = new Promise((r) => (resolveAudio = r));
  c.gotAudio = () => {
    if (!c.firstAudioAt) { c.firstAudioAt = performance.now(); resolveAudio(); }
  };
  session.on('sending', () => { c.sentAt = performance.now(); });
  // A failed negotiation shows in the driver's stderr with its cause.
  session.on('peerconnection:setremotedescriptionfailed', (e) => console.error('setRemoteDescription failed: ' + e));
  session.on('peerconnection:createofferfailed', (e) => console.error('createOffer failed: ' + e));
  session.on('peerconnection:createanswerfailed', (e) => console.error('createAnswer failed: ' + e));
  session.on('peerconnection:setlocaldescriptionfailed', (e) => console.error('setLocalDescription failed: ' + e));
  session.on('ended', (e) => { c.ended = true; c.cause = e.cause; resolveAudio(); });
  session.on('failed', (e) => { c.ended = true; c.cause = e.cause; resolveAudio(); });
  calls.set(c.id, c);
  return c;
}

// Wire the peer connection's remote track: the first packet unmutes it
// (and shows in getStats); its audio goes through the capture worklet.
function attach(c, pc) {
  pc.addEventListener('track', (ev) => {
    const track = ev.track;
    if (track.kind !== 'audio' || c.remote) return;
    const stream = ev.streams[0] || new MediaStream([track]);
    c.remote = stream;
    // A remote track starts muted; getStats below covers one that would not.
    track.addEventListener('unmute', () => c.gotAudio());
    // Chromium feeds a remote stream to WebAudio only while a media
    // element plays it too.
    const el = new Audio();
    el.muted = true;
    el.srcObject = stream;
    el.play().catch(() => {});
    c.el = el;
    const src = ctx.createMediaStreamSource(stream);
    const node = new AudioWorkletNode(ctx, 'capture', { channelCount: 1, channelCountMode: 'explicit' });
    node.port.onmessage = (m) => { if (c.chunks) c.chunks.push(m.data); };
    c.capture = node;
    const sink = ctx.createGain();
    sink.gain.value = 0;
    src.connect(node).connect(sink).connect(ctx.destination);
    c.nodes = [src, node, sink];
  });
  // getStats as a second witness of the first packet (the unmute event
  // can come late when the page is busy).
  const poll = setInterval(async () => {
    if (c.firstAudioAt || c.ended) { clearInterval(poll); return; }
    try {
      const stats = await pc.getStats();
      stats.forEach((s) => {
        if (s.type === 'inbound-rtp' && s.kind === 'audio' && s.packetsReceived > 0) c.gotAudio();
      });
    } catch (_) { /* closed */ }
  }, 5);
}

function pcConfig() {
  // Default bundle policy: with max-bundle Chromium rejects rtpengine's
  // answer, which has no a=group:BUNDLE line.
  return { iceServers: [] };
}

async function waitAudio(c, timeoutMs) {
  let timer;
  await Promise.race([c.audio, new Promise((_, rej) => { timer = setTimeout(() => rej(new Error('no audio within ' + timeoutMs + ' ms')), timeoutMs); })]);
  clearTimeout(timer);
  if (!c.firstAudioAt) throw new Error('call ended before any audio: ' + c.cause);
}

function b64(int16) {
  const bytes = new Uint8Array(int16.buffer);
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

function get(id) {
  const c = calls.get(id);
  if (!c) throw new Error('no call ' + id);
  return c;
}

window.lab = {
  // Register over the WebSocket; resolves once registered.
  async register({ wsURI, domain, user, password }) {
    await audio();
    const socket = new JsSIP.WebSocketInterface(wsURI);
    ua = new JsSIP.UA({
      sockets: [socket], uri: `sip:${user}@${domain}`, password, realm: domain,
      register: true, session_timers: false, user_agent: 'JsSIP-lab',
    });
    ua.on('newRTCSession', ({ originator, session }) => {
      if (originator !== 'remote') return;
      const w = incomingWaiters.shift();
      if (w) w(session); else incoming.push(session);
    });
    const t0 = performance.now();
    await new Promise((resolve, reject) => {
      ua.on('registered', resolve);
      ua.on('registrationFailed', (e) => reject(new Error('registration failed: ' + e.cause)));
      ua.start();
    });
    return { registerMs: performance.now() - t0 };
  },

  // Call target with an oscillator at freq (amp 0: silent until toneAt).
  // Resolves at the first remote audio packet with the setup times.
  async call(target, { freq = 1000, amp = 0.5, timeoutMs = 30000 } = {}) {
    await audio();
    const mic = microphone(freq, amp);
    const t0 = performance.now();
    const session = ua.call(target, {
      mediaStream: mic.stream, pcConfig: pcConfig(),
      rtcOfferConstraints: { offerToReceiveAudio: true, offerToReceiveVideo: false },
    });
    const c = newCall(session, mic);
    c.t0 = t0;
    attach(c, session.connection);
    await waitAudio(c, timeoutMs);
    return { id: c.id, inviteToAudioMs: c.firstAudioAt - c.sentAt, dialToAudioMs: c.firstAudioAt - c.t0 };
  },

  // Wait for a ringing call, answer it sending freq; resolves at its
  // first audio packet.
  async answer({ freq = 1000, amp = 0.5, timeoutMs = 30000 } = {}) {
    await audio();
    const session = incoming.shift() || await new Promise((resolve, reject) => {
      incomingWaiters.push(resolve);
      setTimeout(() => {
        const i = incomingWaiters.indexOf(resolve);
        if (i >= 0) incomingWaiters.splice(i, 1);
        reject(new Error('no incoming call within ' + timeoutMs + ' ms'));
      }, timeoutMs);
    });
    const mic = microphone(freq, amp);
    const c = newCall(session, mic);
    // An incoming session gets its peer connection in answer().
    session.on('peerconnection', (e) => attach(c, e.peerconnection));
    c.t0 = performance.now();
    session.answer({ mediaStream: mic.stream, pcConfig: pcConfig() });
    await waitAudio(c, timeoutMs);
    return { id: c.id, answerToAudioMs: c.firstAudioAt - c.t0, from: session.remote_identity.uri.toString() };
  },

  // Capture ms of the call's remote audio: 16-bit mono PCM at 48 kHz,
  // base64, with the context time of its first sample.
  async record(id, ms) {
    const c = get(id);
    if (!c.remote) throw new Error('call ' + id + ' has no remote audio');
    c.chunks = [];
    c.capture.port.postMessage(true);
    await new Promise((r) => setTimeout(r, ms));
    c.capture.port.postMessage(false);
    const chunks = c.chunks;
    c.chunks = null;
    const n = chunks.reduce((a, ch) => a + ch.x.length, 0);
    const pcm = new Int16Array(n);
    let i = 0;
    for (const ch of chunks) for (const v of ch.x) pcm[i++] = Math.max(-32768, Math.min(32767, Math.round(v * 32767)));
    return { rate: ctx.sampleRate, start: chunks.length ? chunks[0].t : 0, pcm: b64(pcm) };
  },

  // Echo timing: start capturing, switch the call's silent oscillator on
  // at delayMs from now, capture for ms in all. Returns the capture and
  // the context time at which the tone started.
  async echo(id, { delayMs = 500, ms = 1500, amp = 0.5 } = {}) {
    const c = get(id);
    if (!c.remote) throw new Error('call ' + id + ' has no remote audio');
    const toneAt = ctx.currentTime + delayMs / 1000;
    c.mic.gain.gain.setValueAtTime(amp, toneAt);
    const rec = await window.lab.record(id, ms);
    c.mic.gain.gain.setValueAtTime(0, ctx.currentTime);
    return { ...rec, toneAt };
  },

  hangup(id) {
    const c = get(id);
    if (!c.ended) c.session.terminate();
    for (const n of c.nodes || []) n.disconnect();
    c.mic.osc.stop();
    if (c.el) c.el.srcObject = null;
    calls.delete(id);
    return { cause: c.cause };
  },

  async stop() {
    for (const id of [...calls.keys()]) window.lab.hangup(id);
    if (ua) {
      await new Promise((resolve) => {
        ua.on('unregistered', resolve);
        ua.stop();
        setTimeout(resolve, 2000);
      });
    }
    return {};
  },
};
