import { upstreamDisconnected, upstreamIdleTimeout } from "../errors";

export class UpstreamTimeoutError extends Error {}

/**
 * Notices `idleMs` of silence on a body and then calls `onIdle` (which cancels it). One interval
 * timer per body checks the time of the last piece, which costs far less than a timer and a race
 * per read; a timeout is noticed within 1.25 × idleMs. Call `piece()` on every read.
 */
export class IdleWatchdog {
  private lastPieceAt = Date.now();
  timedOut = false;
  private readonly timer: ReturnType<typeof setInterval>;

  constructor(idleMs: number, onIdle: () => void) {
    this.timer = setInterval(() => {
      if (Date.now() - this.lastPieceAt < idleMs) return;
      this.timedOut = true;
      this.stop();
      onIdle();
    }, Math.max(5, Math.ceil(idleMs / 4)));
  }

  piece(): void {
    this.lastPieceAt = Date.now();
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

/** Reads a body, throwing UpstreamTimeoutError (and cancelling the body) after `idleMs` of silence. */
class IdleTimeoutReader {
  private readonly watchdog: IdleWatchdog;

  constructor(
    private readonly reader: ReadableStreamDefaultReader<Uint8Array>,
    idleMs: number,
  ) {
    this.watchdog = new IdleWatchdog(idleMs, () => this.reader.cancel(new UpstreamTimeoutError("idle")).catch(() => {}));
  }

  async read(): Promise<ReadableStreamReadResult<Uint8Array>> {
    try {
      const result = await this.reader.read();
      if (this.watchdog.timedOut) throw new UpstreamTimeoutError("idle");
      if (result.done) this.watchdog.stop();
      this.watchdog.piece();
      return result;
    } catch (err) {
      this.watchdog.stop();
      throw this.watchdog.timedOut ? new UpstreamTimeoutError("idle") : err;
    }
  }

  cancel(reason?: unknown): Promise<void> {
    this.watchdog.stop();
    return this.reader.cancel(reason);
  }
}

/** Reads a whole non-streamed body, bounded by the idle timeout between pieces. */
export async function readBodyText(response: Response, idleMs: number): Promise<string> {
  if (!response.body) return "";
  const reader = new IdleTimeoutReader(response.body.getReader(), idleMs);
  const decoder = new TextDecoder();
  let text = "";
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
  } catch (err) {
    if (err instanceof UpstreamTimeoutError) {
      throw upstreamIdleTimeout(idleMs);
    }
    throw upstreamDisconnected();
  }
  return text + decoder.decode();
}
