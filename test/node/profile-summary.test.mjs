// The bench's CPU figures (bench/profile-summary.mjs), run by Node: how a V8 profile becomes CPU.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { samplingPeriodUs, summarizeProfile } from "../../bench/profile-summary.mjs";

const frame = (functionName, url = "") => ({ functionName, url, lineNumber: url ? 0 : -1, columnNumber: 0 });

/** A profile of the given samples (node names), with the given µs between consecutive samples. */
function profileOf(names, deltas) {
  const ids = new Map();
  const nodes = [{ id: 1, callFrame: frame("(root)") }];
  for (const name of names) {
    if (!ids.has(name)) {
      ids.set(name, nodes.length + 1);
      nodes.push({ id: nodes.length + 1, callFrame: frame(name, name.startsWith("(") ? "" : "file:///w/index.js") });
    }
  }
  const timeDeltas = [0, ...deltas];
  const span = timeDeltas.reduce((a, b) => a + b, 0);
  return { nodes, samples: names.map((n) => ids.get(n)), timeDeltas, startTime: 0, endTime: span };
}

describe("the bench's CPU from a V8 profile", () => {
  it("takes the sampler's real period: the median interval, not the configured one", () => {
    assert.equal(samplingPeriodUs(profileOf(["a", "a", "a", "a", "a", "a"], [160, 150, 170, 9000, 155])), 160);
    assert.equal(samplingPeriodUs({ samples: [], timeDeltas: [] }), 0);
  });

  it("counts each sample as one period, so the time another isolate ran between two samples is not charged to this one", () => {
    // a, then 5 ms in which the thread ran other isolates (no sample), then b, c.
    const summary = summarizeProfile(profileOf(["a", "b", "c", "(idle)", "(idle)"], [5000, 100, 100, 100]));
    assert.equal(summary.periodUs, 100);
    assert.equal(summary.busyMs, 0.3);
    assert.equal(summary.idleMs, 0.2);
    const a = summary.functions.find((f) => f.name.startsWith("a "));
    assert.equal(a.ms, 0.1);
    assert.equal(summary.totalMs, 5.3);
  });

  it("counts workerd's own code in the isolate (\"(program)\") and GC as CPU, and leaves idle out", () => {
    const summary = summarizeProfile(profileOf(["(program)", "(garbage collector)", "x", "(idle)"], [200, 200, 200]));
    assert.equal(summary.busyMs, 0.6);
    assert.equal(summary.programMs, 0.2);
    assert.deepEqual(
      summary.functions.map((f) => f.name).sort(),
      ["(garbage collector)", "(program)", "x file:///w/index.js:1"],
    );
  });

  it("maps functions and files through the source map", () => {
    const summary = summarizeProfile(profileOf(["f", "f", "g"], [100, 100]), (url, line) => ({ source: "src/x.ts", line: line + 9, name: "mapped" }));
    assert.deepEqual(summary.files.map((f) => [f.name, f.ms]), [["src/x.ts", 0.3]]);
    assert.equal(summary.functions[0].name, "mapped src/x.ts:10");
    assert.equal(summary.functions[0].shareOfBusy, 1);
  });
});
