// AudioWorklet: while on (the page posts true/false to its port), hands
// every render quantum of its input (the remote audio, mono) to the page
// with the context time at which it starts. Off, it costs next to nothing,
// which keeps the benchmark's CPU figures about the call itself.
class Capture extends AudioWorkletProcessor {
  constructor() {
    super();
    this.on = false;
    this.port.onmessage = (m) => { this.on = m.data; };
  }

  process(inputs) {
    const ch = inputs[0] && inputs[0][0];
    if (this.on && ch) this.port.postMessage({ t: currentTime, x: ch.slice() });
    return true;
  }
}
registerProcessor('capture', Capture);
