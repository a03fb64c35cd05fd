// Random identifiers and timestamps, in the forms OpenAI uses.

const ALPHANUMERIC = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/** `prefix` + `length` random alphanumerics (Web Crypto; the modulo bias of 256 % 62 is irrelevant for ids). */
export function randomId(prefix: string, length = 24): string {
  const bytes = crypto.getRandomValues(new Uint8Array(length));
  let id = prefix;
  for (const byte of bytes) id += ALPHANUMERIC[byte % ALPHANUMERIC.length];
  return id;
}

/** A fresh completion id in OpenAI's format. */
export const newCompletionId = () => randomId("chatcmpl-", 29);

export const nowSeconds = () => Math.floor(Date.now() / 1000);
