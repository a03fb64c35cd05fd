import { describe, expect, it } from "vitest";
import { chunkRows, D1_MAX_BOUND_PARAMETERS, splitText } from "../src/db/d1-limits";

describe("chunkRows", () => {
  it("keeps every group within 100 bound parameters", () => {
    const groups = chunkRows(Array.from({ length: 301 }, (_, i) => i), 5);
    expect(groups.flat()).toHaveLength(301);
    for (const group of groups) expect(group.length * 5).toBeLessThanOrEqual(D1_MAX_BOUND_PARAMETERS);
  });

  it("starts a new group when the payload bytes would pass the budget", () => {
    const rows = ["a".repeat(400_000), "b".repeat(400_000), "c"];
    const groups = chunkRows(rows, 5, (r) => r.length * 3);
    expect(groups.map((g) => g.length)).toEqual([1, 2]);
  });
});

describe("splitText", () => {
  it("never splits a surrogate pair", () => {
    const text = "ab😀cd😀😀e".repeat(50);
    for (let size = 2; size < 9; size++) {
      const pieces = splitText(text, size);
      expect(pieces.join("")).toBe(text);
      for (const piece of pieces) {
        expect(piece.length).toBeLessThanOrEqual(size);
        expect(/[\uD800-\uDBFF]$/.test(piece)).toBe(false);
      }
    }
  });
});
