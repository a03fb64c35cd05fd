import { useEffect, useState } from "hono/jsx/dom";

// The view's state lives in the URL's query (view, team, filters, cursor, range), so a reload or a
// shared link opens the same view.

const listeners = new Set<() => void>();
addEventListener("popstate", () => listeners.forEach((l) => l()));

export function useUrl(): URLSearchParams {
  const [, setTick] = useState(0);
  useEffect(() => {
    const listener = () => setTick((n) => n + 1);
    listeners.add(listener);
    return () => void listeners.delete(listener);
  }, []);
  return new URLSearchParams(location.search);
}

/** `?…` for the given params, dropping empty ones. */
export function href(params: Record<string, string | string[] | undefined | null>): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    for (const v of Array.isArray(value) ? value : [value]) if (v) search.append(name, v);
  }
  const text = search.toString();
  return `/console/${text ? `?${text}` : ""}`;
}

/** Navigates within the console, keeping history (Back returns to the previous filters or page). */
export function go(url: string, replace = false): void {
  if (replace) history.replaceState(null, "", url);
  else history.pushState(null, "", url);
  listeners.forEach((l) => l());
}

/** The current params as a plain object, for a link that changes only some of them. */
export function current(): Record<string, string | string[]> {
  const params: Record<string, string | string[]> = {};
  const search = new URLSearchParams(location.search);
  for (const name of new Set(search.keys())) {
    const all = search.getAll(name);
    params[name] = all.length > 1 ? all : all[0];
  }
  return params;
}

/** A link that navigates in place (keyboard and middle-click still work as for any link). */
export function onLink(event: MouseEvent): void {
  const a = (event.currentTarget as HTMLAnchorElement) ?? null;
  if (!a || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
  event.preventDefault();
  go(a.getAttribute("href")!);
}
