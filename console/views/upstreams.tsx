import { api, type Session, type UsageSeries } from "../api";
import { Chart } from "../chart";
import { int } from "../format";
import { Failure, useLoad } from "../load";

// Requests and tokens per upstream over the last day, per hour, from the usage rollups (which keep
// the upstream that answered). The admin sees every team's traffic; a team its own.

export function Upstreams(props: { session: Session; team: string | null; url: URLSearchParams }) {
  const width = 3600;
  const to = Math.ceil(Date.now() / 1000 / width) * width;
  const from = to - 24 * width;
  const scope = props.session.kind === "admin" ? "" : `&team=${encodeURIComponent(props.team ?? "")}`;
  const path = `/console/api/usage?width=${width}&from=${from}&to=${to}&group=upstream${scope}`;
  const { data, error } = useLoad(() => api<UsageSeries>(path), path);
  return (
    <section aria-labelledby="upstreams-title">
      <h2 id="upstreams-title">Upstreams</h2>
      <Failure error={error} />
      {data && (
        <>
          <Chart title="Answered requests per hour, by upstream" times={data.buckets} lines={data.series.map((s) => ({ label: s.name || "(unnamed)", values: s.requests }))} stacked format={int} />
          <table class="list">
            <thead>
              <tr>
                <th scope="col">Upstream</th>
                <th scope="col">Requests (24 h)</th>
                <th scope="col">Tokens (24 h)</th>
              </tr>
            </thead>
            <tbody>
              {data.series.map((s) => (
                <tr>
                  <td>{s.name || "(unnamed)"}</td>
                  <td class="num">{int(s.requests.reduce((a, b) => a + b, 0))}</td>
                  <td class="num">{int(s.input_tokens.reduce((a, b) => a + b, 0) + s.output_tokens.reduce((a, b) => a + b, 0))}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {data.series.length === 0 && <p>No answered requests in the last 24 hours.</p>}
        </>
      )}
    </section>
  );
}
