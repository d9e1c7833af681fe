// AudioWorklet: hands every render quantum of its input (the remote
// audio, mono) to the page with the context time at which it starts.
class Capture extends AudioWorkletProcessor {
  process(inputs) {
    const ch = inputs[0] && inputs[0][0];
    if (ch) this.port.postMessage({ t: currentTime, x: ch.slice() });
    return true;
  }
}
registerProcessor('capture', Capture);
