import { handleMigrateInlineMessage } from "../completion-store/migrate-inline";
import { handlePackMessage, packingBudget } from "../completion-store/packs";
import { handleStoreMessage } from "../completion-store/queued-write";
import { logEvent } from "../log";
import { recordUsageMessages } from "../usage/record-usage";
import type { BackgroundMessage, BudgetSeedMessage, UpstreamOutcomeMessage, UsageMessage } from "../queue/messages";
import { handlePurgeTeamMessage } from "../teams/purge";
import { handleResponseMessage } from "../responses/queue";
import { handleBudgetSeedMessage } from "../limits/budget-seed";

export const DEAD_LETTER_QUEUE = "llm-gateway-background-dlq";

/** What a dead message is about, for the log: its team and completion, never a completion's content. */
function describeDead(body: BackgroundMessage): Record<string, unknown> {
  const about: Record<string, unknown> = { kind: body.kind };
  if ("teamId" in body) about.team_id = body.teamId;
  if ("completionId" in body) about.completion_id = body.completionId;
  if (body.kind === "store.unpack") about.completion_id = body.id;
  if ("responseId" in body) about.response_id = body.responseId;
  if (body.kind === "conversation.append" || body.kind === "conversation.append.piece") about.conversation_id = body.conversationId;
  if ("keyId" in body) about.key_id = body.keyId;
  if (body.kind === "store.completion.piece" || body.kind === "store.response.piece" || body.kind === "conversation.append.piece") about.piece = `${body.piece + 1}/${body.pieces}`;
  // A usage event holds counts, not content: logged whole, so that it can be replayed.
  if (body.kind === "usage") Object.assign(about, { team_id: body.event.teamId, event: body.event });
  if (body.kind === "upstream.outcome") Object.assign(about, { team_id: body.outcome.teamId, outcome: body.outcome });
  return about;
}

/** The queue entry point: hands each message to the module that owns its kind. */
export async function handleQueueBatch(batch: MessageBatch<BackgroundMessage>, env: Env, _ctx: ExecutionContext): Promise<void> {
  if (batch.queue === DEAD_LETTER_QUEUE) {
    for (const message of batch.messages) {
      logEvent("error", "background_message_dead", { id: message.id, attempts: message.attempts, ...describeDead(message.body) });
      message.ack();
    }
    return;
  }
  // Usage events are written together, in one D1 batch per delivery; budget seeds read D1's spend after that write.
  const usage: Message<UsageMessage | UpstreamOutcomeMessage>[] = [];
  const seeds: Message<BudgetSeedMessage>[] = [];
  const packing = packingBudget();
  for (const message of batch.messages) {
    const body = message.body;
    switch (body.kind) {
      case "store.completion":
      case "store.completion.piece":
        await handleStoreMessage(message as Message<typeof body>, env);
        break;
      case "store.response":
      case "store.response.piece":
      case "conversation.append":
      case "conversation.append.piece":
        await handleResponseMessage(message as Message<typeof body>, env);
        break;
      case "store.migrate_inline":
        await handleMigrateInlineMessage(message as Message<typeof body>, env);
        break;
      case "store.pack":
      case "store.unpack":
        await handlePackMessage(message as Message<typeof body>, env, packing);
        break;
      case "team.purge":
        await handlePurgeTeamMessage(message as Message<typeof body>, env);
        break;
      case "usage":
      case "upstream.outcome":
        usage.push(message as Message<UsageMessage | UpstreamOutcomeMessage>);
        break;
      case "limits.budget.seed":
        seeds.push(message as Message<BudgetSeedMessage>);
        break;
      default:
        logEvent("error", "background_message_unknown", { id: message.id, kind: (body as { kind?: unknown }).kind });
        message.ack();
    }
  }
  await recordUsageMessages(env, usage);
  for (const seed of seeds) await handleBudgetSeedMessage(seed, env);
}
