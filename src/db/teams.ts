import { and, asc, eq, getTableColumns, isNull, sql } from "drizzle-orm";
import type { Db } from "./client";
import { apiKeys, teams, teamStore, type ApiKeyRow, type LimitColumns, type TeamRow } from "./schema";

/** A team with its store shard (null only for a team the shard map lost, which never happens). */
export type PlacedTeam = TeamRow & { shard: number | null };

// The only module that knows the teams and api_keys tables (and the shard map's rows of them).

export class TeamsRepository {
  constructor(private readonly db: Db) {}

  /** Creates the team and its place in the shard map, atomically; returns its integer store id. */
  async createTeam(team: TeamRow, shard: number): Promise<number> {
    const [, placed] = await this.db.batch([
      this.db.insert(teams).values(team),
      this.db.insert(teamStore).values({ teamId: team.id, shard }).returning({ storeId: teamStore.storeId }),
    ]);
    return placed[0].storeId;
  }

  /** A team's row as its shard keeps it (for the gate of writes there): a copy of the control row's liveness. */
  async mirrorTeam(team: TeamRow): Promise<void> {
    await this.db.insert(teams).values(team).onConflictDoNothing();
  }

  /** Teams that are not deleted. */
  listTeams(): Promise<PlacedTeam[]> {
    return this.placed().where(isNull(teams.deletedAt)).orderBy(asc(teams.createdAt), asc(teams.id)).all();
  }

  /** The team, or null if there is none or it is deleted. */
  async getTeam(id: string): Promise<PlacedTeam | null> {
    return (await this.placed().where(and(eq(teams.id, id), isNull(teams.deletedAt))).get()) ?? null;
  }

  private placed() {
    return this.db
      .select({ ...getTableColumns(teams), shard: teamStore.shard })
      .from(teams)
      .leftJoin(teamStore, eq(teamStore.teamId, teams.id))
      .$dynamic();
  }

  /**
   * Marks a team deleted and revokes all its keys, in one atomic batch. Returns the hashes of the
   * keys it revoked (for the key cache), or null if there is no such live team. Its data is purged
   * afterwards, in the background.
   */
  async deleteTeam(id: string, at: number): Promise<string[] | null> {
    const [deleted, revoked] = await this.db.batch([
      this.db
        .update(teams)
        .set({ deletedAt: at })
        .where(and(eq(teams.id, id), isNull(teams.deletedAt)))
        .returning({ id: teams.id }),
      this.db
        .update(apiKeys)
        .set({ revokedAt: at })
        .where(and(eq(apiKeys.teamId, id), isNull(apiKeys.revokedAt)))
        .returning({ keyHash: apiKeys.keyHash }),
    ]);
    return deleted.length > 0 ? revoked.map((key) => key.keyHash) : null;
  }

  async createKey(key: ApiKeyRow): Promise<ApiKeyRow> {
    await this.db.insert(apiKeys).values(key);
    return key;
  }

  /** The team's keys that are not deleted: live and revoked ones. */
  listKeys(teamId: string): Promise<ApiKeyRow[]> {
    return this.db
      .select()
      .from(apiKeys)
      .where(and(eq(apiKeys.teamId, teamId), isNull(apiKeys.deletedAt)))
      .orderBy(asc(apiKeys.createdAt), asc(apiKeys.id))
      .all();
  }

  /** The key with its team's limits (one query, so that the key cache carries both). */
  async findKeyByHash(keyHash: string): Promise<(ApiKeyRow & { team: LimitColumns; store: { storeId: number; shard: number } | null }) | null> {
    const row = await this.db
      .select({
        key: apiKeys,
        team: { maxBudgetNanoUsd: teams.maxBudgetNanoUsd, budgetPeriod: teams.budgetPeriod, rpmLimit: teams.rpmLimit, tpmLimit: teams.tpmLimit },
        store: { storeId: teamStore.storeId, shard: teamStore.shard },
      })
      .from(apiKeys)
      .innerJoin(teams, eq(teams.id, apiKeys.teamId))
      .leftJoin(teamStore, eq(teamStore.teamId, apiKeys.teamId))
      .where(eq(apiKeys.keyHash, keyHash))
      .get();
    return row ? { ...row.key, team: row.team, store: row.store } : null;
  }

  /**
   * Revokes a key that is not deleted: it stops working and stays listed. Revoking it again keeps
   * its first `revokedAt`. Returns the key, or null if there is no such key (or it is deleted).
   */
  async revokeKey(id: string, at: number): Promise<ApiKeyRow | null> {
    const [row] = await this.db
      .update(apiKeys)
      .set({ revokedAt: sql`coalesce(${apiKeys.revokedAt}, ${at})` })
      .where(and(eq(apiKeys.id, id), isNull(apiKeys.deletedAt)))
      .returning();
    return row ?? null;
  }

  /**
   * Deletes a key (live or revoked): it stops working and leaves every list. The row stays, so that
   * usage still names it. Returns its hash, or null if there is no such key or it is already deleted.
   */
  async deleteKey(id: string, at: number): Promise<string | null> {
    const [row] = await this.db
      .update(apiKeys)
      .set({ revokedAt: sql`coalesce(${apiKeys.revokedAt}, ${at})`, deletedAt: at })
      .where(and(eq(apiKeys.id, id), isNull(apiKeys.deletedAt)))
      .returning({ keyHash: apiKeys.keyHash });
    return row?.keyHash ?? null;
  }

  // Budgets and limits.

  async updateTeam(id: string, fields: Partial<Pick<TeamRow, "name" | "maxBudgetNanoUsd" | "budgetPeriod" | "rpmLimit" | "tpmLimit">>): Promise<TeamRow | null> {
    const [row] = await this.db.update(teams).set(fields).where(eq(teams.id, id)).returning();
    return row ?? null;
  }

  /** A key that is not deleted (live or revoked), by id. */
  async findKey(id: string): Promise<ApiKeyRow | null> {
    return (await this.db.select().from(apiKeys).where(and(eq(apiKeys.id, id), isNull(apiKeys.deletedAt))).get()) ?? null;
  }

  /** A live (not revoked) key by id. */
  async getKey(id: string): Promise<ApiKeyRow | null> {
    return (await this.db.select().from(apiKeys).where(and(eq(apiKeys.id, id), isNull(apiKeys.revokedAt))).get()) ?? null;
  }

  async updateKey(id: string, fields: Partial<Pick<ApiKeyRow, "name" | "maxBudgetNanoUsd" | "budgetPeriod" | "rpmLimit" | "tpmLimit">>): Promise<ApiKeyRow | null> {
    const [row] = await this.db
      .update(apiKeys)
      .set(fields)
      .where(and(eq(apiKeys.id, id), isNull(apiKeys.revokedAt)))
      .returning();
    return row ?? null;
  }
}
