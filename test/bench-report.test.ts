import { describe, expect, it } from "vitest";
import { evaluateTargets, formatRatioLine, median, USAGE_TARGETS } from "../bench/report.mjs";

// The bench's verdicts are pure functions of its figures: checked here without running anything.

const cpu = (byRound: number[]) => ({ isolateUsPerResponse: byRound.reduce((a, b) => a + b, 0) / byRound.length, isolateUsPerResponseByRound: byRound });

const figures = {
  scenarios: {
    floor: { rps: 1000 },
    gateway: { rps: 900 },
    floor_stream: { rps: 1000 },
    gateway_stream: { rps: 700 },
    get: { latencyMs: { p99: 10 } },
    list: { latencyMs: { p99: 8 } },
    list_metadata: { latencyMs: { p99: 25 } },
  },
  cpu: {
    floor: cpu([200, 200, 200]),
    gateway: cpu([240, 2000, 250]),
    gateway_store: cpu([400, 2300, 700]),
    floor_stream: cpu([300, 300, 300]),
    gateway_stream: cpu([330, 360, 420]),
    gateway_stream_store: cpu([600, 700, 800]),
  },
  ttfb: { direct: { firstByteMs: { p50: 200 } }, gateway: { firstByteMs: { p50: 201.14 } } },
  heap: { after1k: { usedBytes: 100 }, after10k: { usedBytes: 99 } },
};

describe("the bench's closing line", () => {
  it("has the targets' one-line form, with n/a for a figure whose feature does not exist yet", () => {
    expect(formatRatioLine(evaluateTargets(figures))).toBe(
      "stream cpu/floor 1.20 PASS; stream rps/floor 0.70 FAIL; cpu/floor 1.25 PASS; rps/floor 0.90 PASS; store +300 µs FAIL; " +
        "stream+store +340 µs PASS; usage n/a; ttfb +1.1 ms PASS; list/get p99 0.80 PASS; list+meta/get p99 2.50 FAIL; heap 0.99 PASS",
    );
  });

  it("compares CPU within each round and keeps the median, so one busy round does not decide", () => {
    const [, , cpuFloor, , store] = evaluateTargets(figures);
    // Round 2's gateway (2000 µs) would make the pooled ratio 4.1.
    expect(cpuFloor.value).toBeCloseTo(1.25);
    expect(store.value).toBe(300);
    expect(median([5, 1, 3])).toBe(3);
    expect(median([1, 2, 3, 4])).toBe(2.5);
    expect(median([])).toBeNull();
  });

  it("reports the usage figures as ratios of the same run's gateway, n/a without them", () => {
    expect(formatRatioLine(evaluateTargets(figures, USAGE_TARGETS))).toBe("usage on/gateway rps n/a; limited key/gateway rps n/a; usage API 30 days/get p99 n/a");
    const withUsage = {
      ...figures,
      scenarios: { ...figures.scenarios, gateway_usage: { rps: 855 }, gateway_limited: { rps: 810 }, usage_api: { latencyMs: { p99: 15 } } },
      cpu: { ...figures.cpu, gateway_usage: cpu([280, 2050, 300]) },
    };
    expect(formatRatioLine(evaluateTargets(withUsage, USAGE_TARGETS))).toBe("usage on/gateway rps 0.95; limited key/gateway rps 0.90; usage API 30 days/get p99 1.50 PASS");
    expect(evaluateTargets(withUsage).find((t) => t.id === "usage_cpu_us")?.text).toBe("usage +50 µs PASS");
  });
});
