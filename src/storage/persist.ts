import type { CompletionsRepository, NewStoredCompletion } from "../db/completions";
import { newCompletionId } from "../ids";
import { describeError, logEvent } from "../log";

const isConflict = (err: unknown) => /UNIQUE constraint failed|PRIMARY KEY/i.test(describeError(err) + describeError((err as { cause?: unknown })?.cause));

/**
 * Stores a completion; runs in waitUntil, off the response path. It never throws: a failure is
 * logged as one structured line. If a concurrent request stored the same id first, the
 * completion is kept under a new id rather than lost.
 */
export async function persistCompletion(repo: CompletionsRepository, record: NewStoredCompletion): Promise<string | null> {
  try {
    await repo.insert(record);
    return record.id;
  } catch (err) {
    if (isConflict(err)) {
      const id = newCompletionId();
      logEvent("warn", "completion_id_conflict", { team_id: record.teamId, upstream_id: record.id, stored_id: id });
      try {
        await repo.insert({ ...record, id, body: { ...record.body, id } });
        return id;
      } catch (retryErr) {
        err = retryErr;
      }
    }
    logEvent("error", "store_failed", { team_id: record.teamId, completion_id: record.id, error: describeError(err) });
    return null;
  }
}
