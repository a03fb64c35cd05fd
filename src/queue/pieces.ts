import { splitText } from "../db/d1-limits";
import type { BackgroundMessage } from "./messages";

// Queue messages are limited to 128 KB. A record too large for one goes as several pieces of its
// JSON, which meet again in D1's write_spool before the whole is written.

/**
 * A record's JSON sent as a JSON string takes at most 3 bytes per UTF-16 unit (its quotes and
 * backslashes are ASCII and become 2), so a piece of this many units stays under 96 KB, leaving
 * room for the envelope.
 */
const PIECE_UNITS = 32_000;
export const MAX_MESSAGE_BYTES = 100_000;

const encoder = new TextEncoder();

export const fitsOneMessage = (message: BackgroundMessage) => encoder.encode(JSON.stringify(message)).length <= MAX_MESSAGE_BYTES;

/** `json` in pieces that each fit a message. */
export const piecesOf = (json: string) => splitText(json, PIECE_UNITS);

/** Sends `messages` in order; sendBatch takes at most 100 messages and 256 KB, so pieces go two at a time. */
export async function sendInOrder(queue: Queue<BackgroundMessage>, messages: BackgroundMessage[]): Promise<void> {
  for (let i = 0; i < messages.length; i += 2) {
    await queue.sendBatch(messages.slice(i, i + 2).map((body) => ({ body, contentType: "json" as const })));
  }
}
