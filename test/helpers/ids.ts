/** An id the gateway mints: `chatcmpl-` + 10 characters of time + 8 random + 8 of a MAC, in lowercase base32. */
export const MINTED_ID = /^chatcmpl-[0-9a-hjkmnp-tv-z]{26}$/;

/** The first minted id in a text (an SSE body, a chunk). */
export function mintedIdIn(text: string): string {
  const match = /"id":"(chatcmpl-[0-9a-hjkmnp-tv-z]{26})"/.exec(text);
  if (!match) throw new Error(`no minted id in ${text.slice(0, 200)}`);
  return match[1];
}
