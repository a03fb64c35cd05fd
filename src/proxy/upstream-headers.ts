/** Headers of an upstream answer that a client of OpenAI's API relies on (rate limits, request ids). */
const FORWARDED_HEADER = /^(retry-after|retry-after-ms|x-request-id|openai-[\w-]+|x-ratelimit-[\w-]+)$/i;

export function forwardedHeaders(upstream: Headers): Headers {
  const headers = new Headers();
  upstream.forEach((value, name) => {
    if (FORWARDED_HEADER.test(name)) headers.set(name, value);
  });
  return headers;
}
