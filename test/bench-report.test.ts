import { describe, expect, it } from "vitest";
import { evaluateTargets, formatClosingLine, formatCpu, formatPerChunk, formatRatioLine, median, USAGE_TARGETS } from "../bench/report.mjs";

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
      "stream cpu +60 µs PASS; stream rps/floor 0.70 FAIL; cpu +50 µs PASS; store +300 µs FAIL; stream+store +340 µs FAIL; usage n/a; " +
        "responses unstored stream n/a; responses stored stream/chat n/a; translated/chat stream n/a; ttfb +1.1 ms PASS; console p99/get n/a; list/get p99 0.8 PASS; heap 0.99 PASS",
    );
  });

  it("reports the Responses, translated and console figures once their scenarios ran", () => {
    const withResponses = {
      ...figures,
      scenarios: { ...figures.scenarios, console_list: { latencyMs: { p99: 12 } }, console_usage_chart: { latencyMs: { p99: 22 } } },
      cpu: {
        ...figures.cpu,
        gateway_counting_off: cpu([200, 1950, 220]),
        responses_unstored_stream: cpu([450, 480, 500]),
        responses_stored_stream: cpu([650, 800, 880]),
        translated_stream: cpu([900, 1000, 1300]),
      },
    };
    const texts = evaluateTargets(withResponses).map((t) => t.text);
    // Differences and ratios within each round: 150/180/200, 50/100/80, 1.5/1.43/1.63, then the median.
    expect(texts).toContain("responses unstored stream +180 µs FAIL");
    expect(texts).toContain("responses stored stream/chat +80 µs PASS");
    expect(texts).toContain("translated/chat stream 1.5 PASS");
    expect(texts).toContain("usage +40 µs PASS");
    // The slower of the two console pages decides.
    expect(texts).toContain("console p99/get 2.2 FAIL");
  });

  it("gives the cost per chunk of each path from the 8- and 200-chunk runs, beside the floor's", () => {
    expect(formatPerChunk(figures)).toBe("per chunk: floor n/a, native n/a, tee copy n/a, rewritten n/a, translated n/a");
    const long = {
      ...figures,
      cpu: {
        ...figures.cpu,
        floor_stream_200: cpu([396, 396, 396]),
        gateway_stream_200: cpu([522, 552, 708]),
        gateway_stream_store_200: cpu([1176, 1276, 1376]),
      },
    };
    // (200-chunk − 8-chunk) / 192 per round, median: floor 0.5, native 1.0, rewritten 3.0.
    expect(formatPerChunk(long)).toBe("per chunk: floor 0.50 µs, native 1.00 µs, tee copy 0.50 µs, rewritten 3.00 µs, translated n/a");
    expect(formatClosingLine(long)).toBe(`${formatRatioLine(evaluateTargets(long))}; ${formatPerChunk(long)}`);
  });

  it("shows a CPU figure as the median of its rounds with their spread", () => {
    expect(formatCpu(cpu([330, 420, 360]))).toBe("360 µs (330–420)");
    expect(formatCpu({ isolateUsPerResponse: 99.6 })).toBe("100 µs");
  });

  it("compares CPU within each round and keeps the median, so one busy round does not decide", () => {
    const [, , cpuFloor, store] = evaluateTargets(figures);
    // Round 2's gateway (2000 µs) would make the pooled difference +630 µs.
    expect(cpuFloor.value).toBe(50);
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
      cpu: { ...figures.cpu, gateway_counting_off: cpu([190, 1950, 220]) },
    };
    expect(formatRatioLine(evaluateTargets(withUsage, USAGE_TARGETS))).toBe("usage on/gateway rps 0.95; limited key/gateway rps 0.90; usage API 30 days/get p99 1.50 PASS");
    expect(evaluateTargets(withUsage).find((t) => t.id === "usage_cpu_us")?.text).toBe("usage +50 µs FAIL");
  });
});
