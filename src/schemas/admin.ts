import { z } from "@hono/zod-openapi";
import { LimitFieldsSchema, LimitStateSchema } from "./limits";

export const TeamSchema = z
  .object({
    id: z.string(),
    object: z.literal("team"),
    name: z.string(),
    created_at: z.number().int(),
    shard: z.number().int().openapi({ description: "The D1 store shard that holds the team's data (0 is `DB`, n is `DB_SHARD_n`)." }),
  })
  .extend(LimitStateSchema.shape)
  .openapi("Team");

export const CreateTeamRequestSchema = z.object({ name: z.string().trim().min(1).max(256) }).extend(LimitFieldsSchema.shape).openapi("CreateTeamRequest");

export const ApiKeySchema = z
  .object({
    id: z.string(),
    object: z.literal("api_key"),
    prefix: z.string().openapi({ description: "The start of the key, to recognise it. The key itself is shown only once." }),
    team_id: z.string(),
    name: z.string().nullable(),
    created_at: z.number().int(),
    expires_at: z.number().int().nullable(),
    allowed_models: z.array(z.string()).nullable(),
    revoked_at: z
      .number()
      .int()
      .nullable()
      .openapi({ description: "Unix time (seconds) the key was revoked: it no longer works. Null for a live key." }),
  })
  .extend(LimitStateSchema.shape)
  .openapi("ApiKey");

export const CreatedApiKeySchema = ApiKeySchema.extend({
  key: z.string().openapi({ description: "The plaintext key. Returned here only; store it now." }),
}).openapi("CreatedApiKey");

export const CreateApiKeyRequestSchema = z
  .object({
    name: z.string().max(256).nullable().optional(),
    expires_at: z
      .number()
      .int()
      .positive()
      .nullable()
      .optional()
      .openapi({ description: "Unix time (seconds) after which the key stops working." }),
    allowed_models: z
      .array(z.string().min(1))
      .min(1)
      .max(256)
      .nullable()
      .optional()
      .openapi({ description: "Models this key may use; null or absent for any model." }),
  })
  .extend(LimitFieldsSchema.shape)
  .openapi("CreateApiKeyRequest");

export const DeletedApiKeySchema = z
  .object({ id: z.string(), object: z.literal("api_key.deleted"), deleted: z.literal(true) })
  .openapi("DeletedApiKey");

export const DeletedTeamSchema = z
  .object({ id: z.string(), object: z.literal("team.deleted"), deleted: z.literal(true) })
  .openapi("DeletedTeam");

export const TeamIdParamSchema = z.object({
  team_id: z.string().min(1).max(128).openapi({ param: { name: "team_id", in: "path" } }),
});
export const KeyIdParamSchema = z.object({
  key_id: z.string().min(1).max(128).openapi({ param: { name: "key_id", in: "path" } }),
});

export const listOf = <T extends z.ZodTypeAny>(item: T, name: string) =>
  z.object({ object: z.literal("list"), data: z.array(item) }).openapi(name);
