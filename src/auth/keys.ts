// Gateway keys: `sk-gw-` + 32 random bytes (base64url) from Web Crypto. Only the SHA-256 is stored.

const KEY_PREFIX = "sk-gw-";

function base64url(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function generateApiKey(): string {
  return KEY_PREFIX + base64url(crypto.getRandomValues(new Uint8Array(32)));
}

const KEY_PATTERN = /^sk-gw-[A-Za-z0-9_-]{43}$/;

export const isWellFormedKey = (token: string) => KEY_PATTERN.test(token);

export async function hashApiKey(key: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(key));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** What the admin API shows of a key after creation: enough to recognise it, not to use it. */
export function displayPrefix(key: string): string {
  return `${key.slice(0, KEY_PREFIX.length + 4)}…`;
}
