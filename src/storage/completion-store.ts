import { createDb } from "../db/client";
import { CompletionsRepository, type NewStoredCompletion } from "../db/completions";
import { PAYLOAD_PIECE_UNITS } from "../db/limits";
import { GroupCommit } from "./group-commit";
import { persistCompletion } from "./persist";

/** Completion storage for one D1 binding: its repository, and the group commits of id claims and writes. */
export interface CompletionStore {
  repo: CompletionsRepository;
  claims: GroupCommit<{ teamId: string; id: string }, boolean>;
  writes: GroupCommit<NewStoredCompletion, string | null>;
}

const stores = new WeakMap<D1Database, CompletionStore>();

/** One store per D1 binding per isolate, so that concurrent requests of the isolate share flushes. */
export function completionStore(db: D1Database): CompletionStore {
  let store = stores.get(db);
  if (!store) {
    const repo = new CompletionsRepository(createDb(db));
    store = {
      repo,
      claims: new GroupCommit((wanted) => repo.claimIds(wanted), { maxItems: 200 }),
      writes: new GroupCommit((records) => writeAll(repo, records), {
        maxItems: 50,
        // A few large payloads (a base64 image) go in a flush of their own.
        maxWeight: 4 * PAYLOAD_PIECE_UNITS,
        weigh: (record) => record.messages.reduce((units, json) => units + json.length, 0),
      }),
    };
    stores.set(db, store);
  }
  return store;
}

/** One batch for the whole group; if it fails, each completion on its own, so that one bad record cannot sink the others. */
async function writeAll(repo: CompletionsRepository, records: NewStoredCompletion[]): Promise<(string | null)[]> {
  if (records.length > 1) {
    try {
      await repo.insertMany(records);
      return records.map((record) => record.id);
    } catch {
      // Fall through: persistCompletion retries a conflicting id and logs what cannot be stored.
    }
  }
  const ids: (string | null)[] = [];
  for (const record of records) ids.push(await persistCompletion(repo, record));
  return ids;
}
