/** Keys deleted per R2 call (its limit), and calls per purge step. */
const R2_DELETE_BATCH = 1_000;
const STEPS = 5;

/** The R2 prefix of everything a team stored: bodies live under t/{team}/{yyyy-mm-dd}/…. */
export const teamBodyPrefix = (teamId: string) => `t/${teamId}/`;

/** Deletes the next bodies of a deleted team from R2, in bounded steps; true once none are left. */
export async function purgeTeamBodies(bodies: R2Bucket, teamId: string): Promise<boolean> {
  for (let step = 0; step < STEPS; step++) {
    const listed = await bodies.list({ prefix: teamBodyPrefix(teamId), limit: R2_DELETE_BATCH });
    if (listed.objects.length > 0) await bodies.delete(listed.objects.map((object) => object.key));
    if (!listed.truncated) return true;
  }
  return false;
}
