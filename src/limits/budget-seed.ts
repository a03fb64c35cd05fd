import { createDb } from "../db/client";
import type { ApiKeyRow, BudgetPeriod, TeamRow } from "../db/schema";
import { TeamsRepository } from "../db/teams";
import { UsageRepository } from "../db/usage";
import { describeError, logEvent } from "../log";
import { runQueueJob } from "../queue/job";
import type { BackgroundMessage, BudgetSeedMessage } from "../queue/messages";
import { periodStart } from "./limits";
import { dbOf, shardDatabases, teamStore } from "../store/shards";

// A budget counts what was spent in its period before it was set: the team's Durable Object is
// told the spend D1 has counted. Isolates that still cache the key without the budget (for up to
// KEY_CACHE_TTL_MS) call no Durable Object, and their requests' usage reaches D1 only, so the
// same is done once more after they have all picked the budget up and that usage has landed.

/** After this, every isolate has the new limits (the key cache lives at most a minute), and their usage is in D1. */
const RESEED_DELAY_SECONDS = 120;

type BudgetScope = { kind: "team" } | { kind: "key"; keyId: string };

/** Nano-dollars spent in each row's current budget period, by row id (one query per distinct period). */
export async function currentSpend(env: Env, kind: "team" | "key", rows: (TeamRow | ApiKeyRow)[], nowMs = Date.now()): Promise<Map<string, number>> {
  // Usage lives in each team's shard: one query per shard and distinct period.
  const groups = new Map<string, { shard: number; period: BudgetPeriod; ids: string[] }>();
  for (const row of rows) {
    const teamId = kind === "team" ? row.id : (row as ApiKeyRow).teamId;
    const shard = (await teamStore(env, teamId))?.shard ?? 0;
    const group = groups.get(`${shard}/${row.budgetPeriod}`) ?? { shard, period: row.budgetPeriod, ids: [] };
    group.ids.push(row.id);
    groups.set(`${shard}/${row.budgetPeriod}`, group);
  }
  const spend = new Map<string, number>();
  for (const { shard, period, ids } of groups.values()) {
    const repo = new UsageRepository(dbOf(shardDatabases(env)[shard]));
    const sums = await repo.spendSince(kind === "team" ? { teamIds: ids } : { keyIds: ids }, periodStart(period, nowMs));
    for (const id of ids) spend.set(id, sums.get(id) ?? 0);
  }
  return spend;
}

/** Raises the spend the team's Durable Object holds for a budget to `spendNanoUsd`; it never lowers it. */
function seed(env: Env, teamId: string, scope: BudgetScope, period: BudgetPeriod, spendNanoUsd: number): Promise<void> {
  return env.TEAM_LIMITER.get(env.TEAM_LIMITER.idFromName(teamId)).seedSpend(scope, period, spendNanoUsd);
}

/** For a budget just set: seeds it now, and queues the second seeding. A failure is logged; the budget stays set. */
export async function seedNewBudget(env: Env, teamId: string, scope: BudgetScope, period: BudgetPeriod, spendNanoUsd: number): Promise<void> {
  try {
    await seed(env, teamId, scope, period, spendNanoUsd);
  } catch (err) {
    logEvent("error", "budget_seed_failed", { team_id: teamId, error: describeError(err) });
  }
  const message: BackgroundMessage = { kind: "limits.budget.seed", teamId, ...(scope.kind === "key" && { keyId: scope.keyId }) };
  try {
    await env.BACKGROUND_QUEUE.send(message, { contentType: "json", delaySeconds: RESEED_DELAY_SECONDS });
  } catch (err) {
    logEvent("error", "budget_reseed_not_queued", { team_id: teamId, key_id: message.keyId, error: describeError(err) });
  }
}

/** The second seeding, from D1's count then; nothing for a team or key deleted, or a budget removed, since. */
export async function handleBudgetSeedMessage(message: Message<BudgetSeedMessage>, env: Env): Promise<void> {
  const { teamId, keyId } = message.body;
  await runQueueJob(
    [message],
    async () => {
      const teams = new TeamsRepository(createDb(env.DB));
      const row = keyId !== undefined ? await teams.getKey(keyId) : await teams.getTeam(teamId);
      const ofTeam = row !== null && (keyId === undefined || (row as ApiKeyRow).teamId === teamId);
      if (row && ofTeam && row.maxBudgetNanoUsd !== null) {
        const spend = await currentSpend(env, keyId !== undefined ? "key" : "team", [row]);
        await seed(env, teamId, keyId !== undefined ? { kind: "key", keyId } : { kind: "team" }, row.budgetPeriod, spend.get(row.id) ?? 0);
      }
    },
    (err) => logEvent("warn", "budget_seed_retry", { team_id: teamId, key_id: keyId, attempts: message.attempts, error: describeError(err) }),
  );
}
