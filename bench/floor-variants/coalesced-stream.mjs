// Shared by coalesced-pull.js and tee-drained-copy-pull.js: a loop reads `reader` as the bytes come,
// and the client's pull takes all that arrived since its last pull, as one piece.
export function coalescedStream(reader) {
  const pending = [];
  let size = 0;
  let done = false;
  let wake = null;
  const wakeUp = () => {
    if (!wake) return;
    const resolve = wake;
    wake = null;
    resolve();
  };
  (async () => {
    for (;;) {
      const result = await reader.read();
      if (result.done) break;
      pending.push(result.value);
      size += result.value.length;
      wakeUp();
    }
    done = true;
    wakeUp();
  })();
  return new ReadableStream(
    {
      async pull(controller) {
        if (pending.length === 0 && !done) await new Promise((resolve) => (wake = resolve));
        if (pending.length === 1) controller.enqueue(pending[0]);
        else if (pending.length > 1) {
          const out = new Uint8Array(size);
          let at = 0;
          for (const piece of pending) {
            out.set(piece, at);
            at += piece.length;
          }
          controller.enqueue(out);
        }
        pending.length = 0;
        size = 0;
        if (done) controller.close();
      },
      cancel: (reason) => reader.cancel(reason),
    },
    { highWaterMark: 0 },
  );
}
