import { z } from "@hono/zod-openapi";
import { MAX_EXACT_USD } from "../lib/money";

// Budgets and rate limits, as set on teams and keys.

const limitInteger = (what: string) =>
  z.number().int().min(1).nullable().optional().openapi({ description: `${what}; null or absent for no limit.` });

/** The settable fields, shared by the create bodies and PATCH. */
export const LimitFieldsSchema = z.object({
  max_budget_usd: z
    .number()
    .finite()
    .min(0)
    .max(MAX_EXACT_USD)
    .nullable()
    .optional()
    .openapi({ description: "Most USD that may be spent per budget period, kept to the nano-dollar (1e-9); null for no budget." }),
  budget_period: z.enum(["daily", "monthly", "total"]).optional().openapi({ description: "When the budget resets, at UTC boundaries. Default: monthly." }),
  rpm_limit: limitInteger("Requests per minute"),
  tpm_limit: limitInteger("Tokens per minute (reserved from the request's estimate, settled with the real usage)"),
});

export type LimitFields = z.infer<typeof LimitFieldsSchema>;

/** How the team and key objects show them, with the spend of the current period. */
export const LimitStateSchema = z.object({
  max_budget_usd: z.number().nullable(),
  budget_period: z.enum(["daily", "monthly", "total"]),
  rpm_limit: z.number().int().nullable(),
  tpm_limit: z.number().int().nullable(),
  spend_usd: z.number().openapi({ description: "USD counted in the current budget period (from the usage rollups; may lag by the queue's delay)." }),
});

export const UpdateTeamRequestSchema = LimitFieldsSchema.extend({ name: z.string().trim().min(1).max(256).optional() }).strict().openapi("UpdateTeamRequest");
export const UpdateApiKeyRequestSchema = LimitFieldsSchema.extend({ name: z.string().max(256).nullable().optional() }).strict().openapi("UpdateApiKeyRequest");
