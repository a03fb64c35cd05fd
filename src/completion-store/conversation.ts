import type { ChatCompletion } from "../schemas/openai";

// A conversation stored once. An agent re-sends its whole history on every turn; storing each
// request's messages whole makes a 30-turn conversation cost ~17x its last request. Instead:
// - each request writes ONE segment object holding only the messages that are new to it (one PUT,
//   not one per message: R2 bills every write), content-addressed within its day
//   (t/{team}/{day}/m/{sha256}), so an identical segment is one object;
// - its completion object lists, for every input message, where it is: (segment, slot);
// - the earlier request it extends is found by the hash chain of its messages (one indexed D1
//   lookup), and its list is reused for the shared prefix;
// - references never leave the day, so retention stays a prefix delete (a history first seen on an
//   earlier day is written again today);
// - a request whose messages would span more than MAX_SEGMENTS segments writes them all again into
//   its own segment instead: a page of /messages then reads at most MAX_SEGMENTS + 1 objects,
//   and the re-written snapshots cost ~1x the last request over a long conversation.

/** Most segments one completion's messages may span: bounds the R2 reads of a /messages page. */
export const MAX_SEGMENTS = 8;

/** What R2 holds for one stored completion (t/{tid}/{day}/c/{id}). */
export interface CompletionObject {
  v: 1;
  /** The stored chat.completion (without metadata, which D1 holds). */
  body: ChatCompletion;
  /** The upstream's own id, for tracing. */
  upstreamId: string | null;
  /** Hash chain of every input message: equal for two requests with the same messages. */
  chain: string;
  /** Names of the day's segments that hold the input messages. */
  segs: string[];
  /** For input message i: its segment's position in `segs` (refs[2i]) and its slot there (refs[2i+1]). */
  refs: number[];
}

const encoder = new TextEncoder();
const hex = (buffer: ArrayBuffer) => Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, "0")).join("");
const sha256 = async (text: string) => hex(await crypto.subtle.digest("SHA-256", encoder.encode(text)));

/** chain[i] commits to messages 0..i: the hash of chain[i-1] and message i. */
export async function chainHashes(messages: string[]): Promise<string[]> {
  const chain: string[] = [];
  let previous = "";
  for (const message of messages) chain.push((previous = await sha256(`${previous}\n${message}`)));
  return chain;
}

/** 48 bits of a chain hash, as D1 stores it (an exact JS integer). */
export const convOf = (chain: string) => parseInt(chain.slice(0, 12), 16);

/** The segment to write (null: every message is in earlier segments) and the completion's references. */
export interface MessageLayout {
  segment: { name: string; text: string } | null;
  segs: string[];
  refs: number[];
}

/**
 * Where each of `messages` goes. `prior`, when given, is an earlier completion of the same team and
 * day whose messages are exactly messages[0..prior.length): its references are reused.
 */
export async function layoutMessages(messages: string[], prior: { object: Pick<CompletionObject, "segs" | "refs">; length: number } | null): Promise<MessageLayout> {
  const shared = prior ? prior.length : 0;
  const segs: string[] = [];
  const refs: number[] = [];
  if (prior) {
    for (let i = 0; i < shared; i++) {
      const name = prior.object.segs[prior.object.refs[2 * i]];
      let at = segs.indexOf(name);
      if (at === -1) at = segs.push(name) - 1;
      refs.push(at, prior.object.refs[2 * i + 1]);
    }
  }
  const fresh = messages.slice(shared);
  const spans = segs.length + (fresh.length > 0 ? 1 : 0);
  if (spans > MAX_SEGMENTS) return layoutMessages(messages, null);
  if (fresh.length === 0) return { segment: null, segs, refs };
  const text = `[${fresh.join(",")}]`;
  const name = await sha256(text);
  const at = segs.push(name) - 1;
  fresh.forEach((_, slot) => refs.push(at, slot));
  return { segment: { name, text }, segs, refs };
}

/** The segments a range of messages needs (names), to read them in one parallel round. */
export function segmentsOf(object: CompletionObject, indices: number[]): string[] {
  return [...new Set(indices.map((i) => object.segs[object.refs[2 * i]]))];
}

/** The messages at `indices`, from their segments (by name). */
export function messagesAt(object: CompletionObject, indices: number[], segments: Map<string, unknown[]>): unknown[] {
  return indices.map((i) => segments.get(object.segs[object.refs[2 * i]])?.[object.refs[2 * i + 1]] ?? null);
}
