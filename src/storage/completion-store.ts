import { createDb } from "../db/client";
import { CompletionsRepository, type NewStoredCompletion } from "../db/completions";
import { persistCompletion } from "./persist";

// Each request claims its id and writes its completion with its own D1 calls. Sharing one D1 call
// between concurrent requests (group commit) was tried and lost completions: Workers refuse I/O
// that one request starts on behalf of another ("Cannot perform I/O on behalf of a different request").

/** Completion storage for one D1 binding: one repository per binding per isolate. */
export interface CompletionStore {
  repo: CompletionsRepository;
  claimId(teamId: string, id: string): Promise<boolean>;
  write(record: NewStoredCompletion): Promise<string | null>;
}

const stores = new WeakMap<D1Database, CompletionStore>();

export function completionStore(db: D1Database): CompletionStore {
  let store = stores.get(db);
  if (!store) {
    const repo = new CompletionsRepository(createDb(db));
    store = {
      repo,
      claimId: (teamId, id) => repo.claimId(teamId, id),
      write: (record) => persistCompletion(repo, record),
    };
    stores.set(db, store);
  }
  return store;
}
