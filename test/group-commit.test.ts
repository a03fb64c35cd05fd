import { describe, expect, it } from "vitest";
import { GroupCommit } from "../src/storage/group-commit";

const tick = () => new Promise((resolve) => setTimeout(resolve, 1));

describe("GroupCommit", () => {
  it("lets requests that arrive during a flush share the next one, each getting its own result", async () => {
    const groups: number[][] = [];
    const commit = new GroupCommit<number, number>(async (inputs) => {
      groups.push(inputs);
      await tick();
      return inputs.map((n) => n * 10);
    }, { maxItems: 100 });
    const results = await Promise.all(Array.from({ length: 30 }, (_, i) => commit.submit(i)));
    expect(results).toEqual(Array.from({ length: 30 }, (_, i) => i * 10));
    expect(groups.flat().sort((a, b) => a - b)).toEqual(Array.from({ length: 30 }, (_, i) => i));
    expect(groups.length).toBeLessThanOrEqual(3);
  });

  it("flushes at once when nothing else is in flight", async () => {
    let flushes = 0;
    const commit = new GroupCommit<string, string>(async (inputs) => (flushes++, inputs), { maxItems: 10 });
    expect(await commit.submit("a")).toBe("a");
    expect(await commit.submit("b")).toBe("b");
    expect(flushes).toBe(2);
  });

  it("keeps each group within maxItems and maxWeight", async () => {
    const groups: number[][] = [];
    const commit = new GroupCommit<number, number>(async (inputs) => (groups.push(inputs), await tick(), inputs), {
      maxItems: 4,
      maxWeight: 10,
      weigh: (n) => n,
    });
    await Promise.all([1, 1, 1, 1, 1, 1, 9, 9, 20, 1].map((n) => commit.submit(n)));
    for (const group of groups) {
      expect(group.length).toBeLessThanOrEqual(4);
      if (group.length > 1) expect(group.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(10);
    }
    expect(groups.flat()).toHaveLength(10);
  });

  it("rejects only the items of a group whose flush failed", async () => {
    const commit = new GroupCommit<number, number>(async (inputs) => {
      await tick();
      if (inputs.includes(13)) throw new Error("bad group");
      return inputs;
    }, { maxItems: 1 });
    const outcomes = await Promise.allSettled([1, 13, 2].map((n) => commit.submit(n)));
    expect(outcomes.map((o) => o.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
  });
});
