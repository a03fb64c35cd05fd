export interface SseEvent {
  event: string | null;
  data: string;
  /** The event's text as received, without its closing blank line. */
  raw: string;
}

/**
 * Incremental SSE parser: feed it decoded text as it arrives; it returns the events completed so
 * far and keeps the unfinished tail for the next call.
 */
export class SseParser {
  private buffer = "";

  push(text: string): SseEvent[] {
    this.buffer += text;
    const events: SseEvent[] = [];
    for (;;) {
      const match = /\r\n\r\n|\n\n|\r\r/.exec(this.buffer);
      if (!match) break;
      const raw = this.buffer.slice(0, match.index);
      this.buffer = this.buffer.slice(match.index + match[0].length);
      const event = parseEvent(raw);
      if (event) events.push(event);
    }
    return events;
  }

  /** Whatever is left when the stream ends: an event not closed by a blank line, if any. */
  flush(): SseEvent[] {
    const rest = this.buffer;
    this.buffer = "";
    const event = rest.trim() ? parseEvent(rest) : null;
    return event ? [event] : [];
  }
}

export function parseEvent(raw: string): SseEvent | null {
  let event: string | null = null;
  const data: string[] = [];
  for (const line of raw.split(/\r\n|\n|\r/)) {
    if (line === "" || line.startsWith(":")) continue;
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "data") data.push(value);
    else if (field === "event") event = value;
  }
  if (data.length === 0 && event === null) return null;
  return { event, data: data.join("\n"), raw };
}

export function formatSseData(data: string, event?: string): string {
  return `${event ? `event: ${event}\n` : ""}data: ${data}\n\n`;
}
