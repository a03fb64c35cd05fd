import { createDb } from "../db/client";
import { CompletionsRepository } from "../db/completions";

// Each request claims its id and writes its completion with its own D1 calls. Sharing one D1 call
// between concurrent requests (group commit) was tried and lost completions: Workers refuse I/O
// that one request starts on behalf of another ("Cannot perform I/O on behalf of a different request").

const repositories = new WeakMap<D1Database, CompletionsRepository>();

/** The completions repository of a D1 binding, one per isolate, so its prepared statements are reused. */
export function completionsRepository(db: D1Database): CompletionsRepository {
  let repo = repositories.get(db);
  if (!repo) repositories.set(db, (repo = new CompletionsRepository(createDb(db))));
  return repo;
}
