import { api } from "../api";
import { Chart } from "../chart";
import { int } from "../format";
import { Failure, useLoad } from "../load";
import { current, go, href } from "../url-state";

// Each upstream's requests, errors, fallbacks and latency over time, from the upstream rollups (one
// read of one width). The admin sees every team's traffic; a team its own.

interface Upstream {
  name: string;
  requests: number[];
  errors: number[];
  fallbacks: number[];
  p50_ms: (number | null)[];
  p95_ms: (number | null)[];
  total: { requests: number; errors: number; fallbacks: number; p50_ms: number | null; p95_ms: number | null };
}

const RANGES: Record<string, { seconds: number; width: number; label: string }> = {
  "1h": { seconds: 3600, width: 60, label: "last hour, per minute" },
  "24h": { seconds: 86400, width: 3600, label: "last 24 h, per hour" },
  "30d": { seconds: 30 * 86400, width: 86400, label: "last 30 days, per day" },
};

const ms = (value: number | null) => (value === null ? "–" : `≤ ${int(value)} ms`);

export function Upstreams(props: { url: URLSearchParams }) {
  const range = RANGES[props.url.get("range") ?? ""] ? props.url.get("range")! : "24h";
  const { seconds, width } = RANGES[range];
  const to = Math.ceil(Date.now() / 1000 / width) * width;
  const from = to - seconds;
  // The admin's view spans every team; a team session is scoped by the server anyway.
  const path = `/console/api/upstreams?width=${width}&from=${from}&to=${to}`;
  const { data, error } = useLoad(() => api<{ buckets: number[]; upstreams: Upstream[] }>(path), path);
  return (
    <section aria-labelledby="upstreams-title">
      <h2 id="upstreams-title">Upstreams</h2>
      <form class="filters" aria-label="Range" onSubmit={(e: Event) => e.preventDefault()}>
        <label>
          Range{" "}
          <select name="range" onChange={(e: Event) => go(href({ ...current(), range: (e.target as HTMLSelectElement).value }), true)}>
            {Object.entries(RANGES).map(([value, r]) => (
              <option value={value} selected={value === range}>
                {r.label}
              </option>
            ))}
          </select>
        </label>
      </form>
      <Failure error={error} />
      {data && (
        <>
          <table class="list">
            <thead>
              <tr>
                <th scope="col">Upstream</th>
                <th scope="col">Requests</th>
                <th scope="col">Errors</th>
                <th scope="col">Fallbacks to it</th>
                <th scope="col">Latency p50</th>
                <th scope="col">Latency p95</th>
              </tr>
            </thead>
            <tbody>
              {data.upstreams.map((u) => (
                <tr>
                  <td>{u.name}</td>
                  <td class="num">{int(u.total.requests)}</td>
                  <td class="num">
                    {int(u.total.errors)} ({u.total.requests ? ((100 * u.total.errors) / u.total.requests).toFixed(1) : "0.0"}%)
                  </td>
                  <td class="num">{int(u.total.fallbacks)}</td>
                  <td class="num">{ms(u.total.p50_ms)}</td>
                  <td class="num">{ms(u.total.p95_ms)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {data.upstreams.length === 0 && <p>No requests reached an upstream in this range.</p>}
          <div class="charts">
            <Chart title="Requests, by upstream" times={data.buckets} lines={data.upstreams.map((u) => ({ label: u.name, values: u.requests }))} stacked format={int} />
            <Chart
              title="Errors and fallbacks"
              times={data.buckets}
              lines={data.upstreams.flatMap((u) => [
                { label: `${u.name} errors`, values: u.errors },
                { label: `${u.name} fallbacks`, values: u.fallbacks, dashed: true },
              ])}
              format={int}
            />
            <Chart
              title="Latency p50 and p95 (ms, histogram bound)"
              times={data.buckets}
              lines={data.upstreams.flatMap((u) => [
                { label: `${u.name} p50`, values: u.p50_ms },
                { label: `${u.name} p95`, values: u.p95_ms, dashed: true },
              ])}
              format={int}
            />
          </div>
          <p class="hint">
            Latency is the time from the request to the end of its answer, counted in doubling buckets (25 ms, 50 ms, …): a percentile shows its bucket's upper
            bound. A fallback is a request that the model's first upstream did not answer.
          </p>
        </>
      )}
    </section>
  );
}
