import type { RouteConfig, RouteHandler } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { GatewayConfig } from "../config";
import type { KeyLimits } from "../limits/limits";
import type { Admission } from "../limits/types";
import type { RequestedUnits, TokenUsage } from "../usage/types";

// The types every layer that holds a request's context shares. This module imports only from below.

export interface AuthenticatedKey {
  keyId: string;
  teamId: string;
  /** null: every model is allowed. */
  allowedModels: string[] | null;
  /** The key's and its team's rate limits and budgets, cached with the key. */
  limits: KeyLimits;
}

/** Who reads the usage API: the admin token sees every team, a team key its own team. */
export type UsageViewer = { kind: "admin" } | { kind: "team"; teamId: string };

/** What a handler knows about a proxied request. `usage` may settle after the response (streams). */
export interface RequestAnnotations {
  model?: string;
  /** The request's reservation in its team's Durable Object, settled when the request finishes. */
  admission?: Admission;
  upstream?: string;
  attempts?: number;
  /** null: the upstream reported no usage (or the stream was cut before it). */
  usage?: TokenUsage | null | Promise<TokenUsage | null>;
  /** What an image or speech request asked for: images, or characters to speak. */
  requested?: RequestedUnits;
}

export interface AppEnv {
  Bindings: Env;
  Variables: { config: GatewayConfig; apiKey: AuthenticatedKey; requestAnnotations?: RequestAnnotations; usageViewer?: UsageViewer };
}

export type AppRouteHandler<R extends RouteConfig> = RouteHandler<R, AppEnv>;
export type AppContext = Context<AppEnv>;
