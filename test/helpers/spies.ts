import type { MockInstance } from "vitest";

// The spies a test file's tests and helpers made, each restored by its own mockRestore() in the
// file's afterEach: vi.restoreAllMocks() would also undo spies made elsewhere.
const spies = new Set<MockInstance<any>>();

/** Remembers `spy` for restoreSpies(), and returns it. */
export function track<T extends MockInstance<any>>(spy: T): T {
  spies.add(spy);
  return spy;
}

/** Restores every spy made since the last call (a test file's afterEach). */
export function restoreSpies(): void {
  for (const spy of spies) spy.mockRestore();
  spies.clear();
}
