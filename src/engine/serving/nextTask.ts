/** Runs `f` in a later task (setImmediate in Node, a MessageChannel message in browsers and workers). */
export function nextTask(f: () => void): void {
  if (typeof setImmediate === 'function') setImmediate(f);
  else if (typeof MessageChannel === 'function') {
    const ch = new MessageChannel();
    ch.port1.onmessage = () => {
      ch.port1.close();
      f();
    };
    ch.port2.postMessage(null);
  } else setTimeout(f, 0);
}
