// Random identifiers and timestamps, in the forms OpenAI uses.

const ALPHANUMERIC = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/** `prefix` + `length` random alphanumerics (Web Crypto; the modulo bias of 256 % 62 is irrelevant for ids). */
export function randomId(prefix: string, length = 24): string {
  const bytes = crypto.getRandomValues(new Uint8Array(length));
  let id = prefix;
  for (const byte of bytes) id += ALPHANUMERIC[byte % ALPHANUMERIC.length];
  return id;
}

export const nowSeconds = () => Math.floor(Date.now() / 1000);

// A stored completion's id: `chatcmpl-` + 10 characters of milliseconds + 16 random characters
// (80 bits), in Crockford's lowercase base32, whose digits sort in the same order as their values
// (ASCII and SQLite's binary collation agree). So ids sort in creation order, as ULIDs do.
const BASE32 = "0123456789abcdefghjkmnpqrstvwxyz";
const COMPLETION_PREFIX = "chatcmpl-";
const TIME_CHARS = 10;
const RANDOM_CHARS = 16;
/** The prefixes of the time-ordered ids the gateway mints: chat completions, responses, conversations. */
const MINTED_ID = new RegExp(`^(?:${COMPLETION_PREFIX}|resp_|conv_)([${BASE32}]{${TIME_CHARS + RANDOM_CHARS}})$`);

// Random bytes are drawn from Web Crypto a page at a time: one call per id cost more than the id.
const randomPage = new Uint8Array(4096);
let randomAt = randomPage.length;

function randomBytes(count: number): Uint8Array {
  if (randomAt + count > randomPage.length) {
    crypto.getRandomValues(randomPage);
    randomAt = 0;
  }
  const bytes = randomPage.subarray(randomAt, randomAt + count);
  randomAt += count;
  return bytes;
}

let lastTime = -1;
let lastRandom: number[] = [];

/**
 * A fresh, time-ordered completion id. Within one isolate it is monotonic: an id minted in the same
 * millisecond as the last one (or while the clock stands still, as it does in Workers between I/O)
 * takes the last one's random part plus one, so it still sorts after it.
 */
export function mintCompletionId(now = Date.now()): string {
  return mintTimeOrderedId(COMPLETION_PREFIX, now);
}

/** A fresh time-ordered id with `prefix` (`resp_`, `conv_`): the same scheme as completion ids, one monotonic sequence. */
export function mintTimeOrderedId(prefix: string, now = Date.now()): string {
  if (now <= lastTime) {
    now = lastTime;
    let i = RANDOM_CHARS - 1;
    while (i >= 0 && lastRandom[i] === 31) lastRandom[i--] = 0;
    // 2^80 ids in one millisecond cannot happen; wrapping would only lose the order, never uniqueness of time+random.
    if (i >= 0) lastRandom[i] += 1;
  } else {
    lastTime = now;
    const bytes = randomBytes(RANDOM_CHARS);
    lastRandom = Array.from(bytes, (byte) => byte & 31);
    // Leave headroom so that increments within one millisecond never wrap.
    lastRandom[0] &= 15;
  }
  let time = "";
  for (let rest = now, i = 0; i < TIME_CHARS; i++, rest = Math.floor(rest / 32)) time = BASE32[rest % 32] + time;
  return prefix + time + lastRandom.map((digit) => BASE32[digit]).join("");
}

/** When a minted id was minted (ms since the epoch), or null if the id is not one the gateway mints. */
export function mintedAt(id: string): number | null {
  const core = MINTED_ID.exec(id)?.[1];
  if (core === undefined) return null;
  let ms = 0;
  for (const char of core.slice(0, TIME_CHARS)) ms = ms * 32 + BASE32.indexOf(char);
  return ms;
}
