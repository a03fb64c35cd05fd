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

// The ids the gateway mints (chat completions, responses, conversations, items): a prefix + 10
// characters of milliseconds + 8 random characters + 8 more, in Crockford's lowercase base32, whose
// digits sort in the same order as their values (ASCII and SQLite's binary collation agree). So ids
// sort in creation order, as ULIDs do. The last 8 characters of an id whose read may wait for its
// write (a chat completion, a response) are the first 40 bits of an HMAC-SHA256 of what precedes
// them, keyed by ID_SECRET: only an id the gateway minted waits, never a guessed one. Those of the
// other ids are random.
const BASE32 = "0123456789abcdefghjkmnpqrstvwxyz";
const COMPLETION_PREFIX = "chatcmpl-";
const TIME_CHARS = 10;
const RANDOM_CHARS = 8;
const TAIL_CHARS = 8;
/** The prefixes of the time-ordered ids the gateway mints: chat completions, responses, conversations. */
const MINTED_ID = new RegExp(`^(?:${COMPLETION_PREFIX}|resp_|conv_)([${BASE32}]{${TIME_CHARS + RANDOM_CHARS + TAIL_CHARS}})$`);

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
 * `prefix`, the time and the random part of a fresh id. Within one isolate it is monotonic: an id
 * minted in the same millisecond as the last one (or while the clock stands still, as it does in
 * Workers between I/O) takes the last one's random part plus one, so it still sorts after it. One
 * sequence for every prefix.
 */
function mintOrdered(prefix: string, now: number): string {
  if (now <= lastTime) {
    now = lastTime;
    let i = RANDOM_CHARS - 1;
    while (i >= 0 && lastRandom[i] === 31) lastRandom[i--] = 0;
    // 2^39 ids in one millisecond cannot happen; wrapping would only lose the order, never uniqueness of time+random.
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

/** A fresh time-ordered id with `prefix` (`conv_`, `item_`) that no read waits for: its tail is random. */
export function mintTimeOrderedId(prefix: string, now = Date.now()): string {
  return mintOrdered(prefix, now) + Array.from(randomBytes(TAIL_CHARS), (byte) => BASE32[byte & 31]).join("");
}

// One imported key per secret per isolate: importKey costs more than the HMAC itself.
const macKeys = new Map<string, Promise<CryptoKey>>();
const encoder = new TextEncoder();

function macKey(secret: string): Promise<CryptoKey> {
  let key = macKeys.get(secret);
  if (!key) {
    key = crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    macKeys.set(secret, key);
  }
  return key;
}

/** The first 40 bits of HMAC-SHA256(secret, text), as 8 base32 characters. */
async function macOf(text: string, secret: string): Promise<string> {
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", await macKey(secret), encoder.encode(text)));
  // 5 bytes = 40 bits = 8 characters of 5 bits.
  let bits = 0;
  for (let i = 0; i < 5; i++) bits = bits * 256 + mac[i];
  let out = "";
  for (let i = 0; i < TAIL_CHARS; i++, bits = Math.floor(bits / 32)) out = BASE32[bits % 32] + out;
  return out;
}

/** A fresh time-ordered id with `prefix` (`resp_`) that carries a MAC keyed by `secret` (ID_SECRET). */
export async function mintSignedId(prefix: string, secret: string, now = Date.now()): Promise<string> {
  // The time and random part is taken before the await, so ids minted concurrently keep their order.
  const ordered = mintOrdered(prefix, now);
  return ordered + (await macOf(ordered, secret));
}

/** A fresh, time-ordered chat completion id, carrying a MAC keyed by `secret` (ID_SECRET). */
export const mintCompletionId = (secret: string, now = Date.now()): Promise<string> => mintSignedId(COMPLETION_PREFIX, secret, now);

/** True when `id` is one the gateway minted with `secret`: its MAC checks, compared in constant time. */
export async function carriesMac(id: string, secret: string): Promise<boolean> {
  if (!MINTED_ID.test(id)) return false;
  const expected = await macOf(id.slice(0, -TAIL_CHARS), secret);
  const given = id.slice(-TAIL_CHARS);
  let difference = 0;
  for (let i = 0; i < TAIL_CHARS; i++) difference |= expected.charCodeAt(i) ^ given.charCodeAt(i);
  return difference === 0;
}

/**
 * When a minted id was minted (ms since the epoch), or null if the id does not have the form the
 * gateway mints (its MAC is not checked here: ids minted before they carried one have the same form).
 */
export function mintedAt(id: string): number | null {
  const core = MINTED_ID.exec(id)?.[1];
  if (core === undefined) return null;
  let ms = 0;
  for (const char of core.slice(0, TIME_CHARS)) ms = ms * 32 + BASE32.indexOf(char);
  return ms;
}

// The store keys a minted id by its 26 characters after `chatcmpl-` (no base32 digit is an `l`, so
// no other id, such as an upstream's `chatcmpl-…` kept from before ids were minted, can collide).
const MINTED_SUFFIX = new RegExp(`^[${BASE32}]{${TIME_CHARS + RANDOM_CHARS + TAIL_CHARS}}$`);

/** The form the store keys an id by: a minted completion id without its prefix, any other id as it is. */
export function compactId(id: string): string {
  return id.startsWith(COMPLETION_PREFIX) && MINTED_SUFFIX.test(id.slice(COMPLETION_PREFIX.length)) ? id.slice(COMPLETION_PREFIX.length) : id;
}

/** The id as shown, from the form the store keys it by. */
export function fullId(stored: string): string {
  return MINTED_SUFFIX.test(stored) ? COMPLETION_PREFIX + stored : stored;
}
