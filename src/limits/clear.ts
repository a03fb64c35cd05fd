
/** Empties a deleted team's counters and reservations in its Durable Object (its D1 rows go with TEAM_TABLES). */
export async function clearTeamLimits(env: Env, teamId: string): Promise<void> {
  await env.TEAM_LIMITER.get(env.TEAM_LIMITER.idFromName(teamId)).purge();
}
