
/** The D1 database that holds `teamId`'s rows. Every query about a team's stored data goes through here. */
export function teamDb(env: Env, _teamId: string): D1Database {
  return env.DB;
}
