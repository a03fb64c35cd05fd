// Shown in the viewer's locale and time zone; sent as Unix seconds.

export const dateTime = (seconds: number) => new Date(seconds * 1000).toLocaleString();
export const usd = (value: number) => `$${value < 1 ? value.toFixed(6).replace(/0{1,4}$/, "") : value.toFixed(2)}`;
export const int = (value: number) => value.toLocaleString();

/** `YYYY-MM-DD` (a date input's value) -> Unix seconds at local midnight; `end` gives the next midnight. */
export function dayToSeconds(day: string | null, end = false): string | undefined {
  if (!day || !/^\d{4}-\d{2}-\d{2}$/.test(day)) return undefined;
  const [y, m, d] = day.split("-").map(Number);
  return String(new Date(y, m - 1, d + (end ? 1 : 0)).getTime() / 1000);
}

/** `key=value` lines or comma-separated pairs -> pairs; a line without "=" is ignored. */
export function parsePairs(text: string): [string, string][] {
  return text
    .split(/[\n,]/)
    .map((part) => part.trim())
    .filter((part) => part.includes("="))
    .map((part) => [part.slice(0, part.indexOf("=")).trim(), part.slice(part.indexOf("=") + 1).trim()] as [string, string])
    .filter(([key]) => key !== "");
}
