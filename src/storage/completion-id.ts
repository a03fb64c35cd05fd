import { newCompletionId } from "../ids";
import { describeError, logEvent } from "../log";
import type { CompletionsRepository } from "../db/completions";

/** How long the answer may wait for D1 to confirm an id before the gateway uses a fresh one. */
export const ID_CLAIM_TIMEOUT_MS = 300;

/**
 * The id to store and return: the upstream's, unless it is missing or the team already has it.
 * The id is claimed atomically, so two concurrent requests given the same upstream id (Ollama's
 * ids repeat often) never both return it. If D1 is slow or failing, a fresh id is always safe.
 */
export async function chooseCompletionId(
  repo: CompletionsRepository,
  teamId: string,
  upstreamId: string | undefined,
  waitUntil: (work: Promise<unknown>) => void,
): Promise<string> {
  if (!upstreamId) return newCompletionId();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<"timeout">((resolve) => (timer = setTimeout(() => resolve("timeout"), ID_CLAIM_TIMEOUT_MS)));
  // A claim that outlives the timeout still runs to its end within this request (Workers cancel I/O
  // of a request that has ended), so it never leaves a D1 call half done.
  const claim = repo.claimId(teamId, upstreamId);
  waitUntil(claim.catch(() => {}));
  try {
    const claimed = await Promise.race([claim, timeout]);
    if (claimed === "timeout") logEvent("warn", "store_id_claim_slow", { team_id: teamId, completion_id: upstreamId });
    return claimed === true ? upstreamId : newCompletionId();
  } catch (err) {
    logEvent("error", "store_id_claim_failed", { team_id: teamId, completion_id: upstreamId, error: describeError(err) });
    return newCompletionId();
  } finally {
    clearTimeout(timer);
  }
}
