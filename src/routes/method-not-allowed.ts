import type { Hono } from "hono";

/**
 * Hono answers a known path with the wrong method as "not found". OpenAI answers 405, so this
 * checks the path against every registered route and names the methods that would work.
 */
export function allowedMethods(app: Hono<any>, path: string): string[] {
  const methods = new Set<string>();
  for (const route of app.routes) {
    if (route.method === "ALL" || route.path.includes("*")) continue;
    if (routePattern(route.path).test(path)) methods.add(route.method);
  }
  return [...methods];
}

const patterns = new Map<string, RegExp>();
function routePattern(path: string): RegExp {
  let pattern = patterns.get(path);
  if (!pattern) {
    const source = path
      .split("/")
      .map((segment) => (segment.startsWith(":") || /^\{.+\}$/.test(segment) ? "[^/]+" : segment.replace(/[.*+?^$()|[\]\\]/g, "\\$&")))
      .join("/");
    pattern = new RegExp(`^${source}/?$`);
    patterns.set(path, pattern);
  }
  return pattern;
}
