import { api, type Session, type Team, type UsageSeries } from "../api";
import { Chart } from "../chart";
import { int, usd } from "../format";
import { Failure, useLoad } from "../load";
import { current, go, href } from "../url-state";

// Requests, tokens and cost over time, from the usage rollups (one read of one width per chart);
// the rate-limit windows against the limits; the budget's burn-down with a forecast.

const RANGES: Record<string, { seconds: number; widths: number[] }> = {
  "1h": { seconds: 3600, widths: [60] },
  "24h": { seconds: 86400, widths: [60, 3600] },
  "7d": { seconds: 7 * 86400, widths: [3600, 86400] },
  "30d": { seconds: 30 * 86400, widths: [3600, 86400] },
  "365d": { seconds: 365 * 86400, widths: [86400] },
};
const WIDTH_NAMES: Record<number, string> = { 60: "minute", 3600: "hour", 86400: "day" };
const METRICS = { requests: "Requests", tokens: "Tokens", cost: "Cost (USD)" } as const;
type Metric = keyof typeof METRICS;

const now = () => Math.floor(Date.now() / 1000);

function valuesOf(series: UsageSeries["series"][number], metric: Metric): number[] {
  if (metric === "requests") return series.requests;
  if (metric === "cost") return series.cost_usd;
  return series.input_tokens.map((v, i) => v + series.output_tokens[i]);
}

function Select(props: { label: string; name: string; value: string; options: [string, string][] }) {
  return (
    <label>
      {props.label}{" "}
      <select name={props.name} value={props.value} onChange={(e: Event) => go(href({ ...current(), [props.name]: (e.target as HTMLSelectElement).value }), true)}>
        {props.options.map(([value, text]) => (
          <option value={value} selected={value === props.value}>
            {text}
          </option>
        ))}
      </select>
    </label>
  );
}

export function Usage(props: { session: Session; team: string; url: URLSearchParams }) {
  const { url, session } = props;
  const range = RANGES[url.get("range") ?? ""] ? url.get("range")! : "24h";
  const { seconds, widths } = RANGES[range];
  const width = widths.includes(Number(url.get("width"))) ? Number(url.get("width")) : widths[widths.length - 1];
  const groups: [string, string][] = [["model", "model"], ["key", "key"], ...(session.kind === "admin" ? ([["team", "team (all teams)"]] as [string, string][]) : [])];
  const group = groups.some(([g]) => g === url.get("group")) ? url.get("group")! : "model";
  const metric: Metric = (url.get("metric") as Metric) in METRICS ? (url.get("metric") as Metric) : "requests";
  const to = Math.ceil(now() / width) * width;
  const from = to - Math.ceil(seconds / width) * width;
  // Stacked by team is the admin's view of every team; otherwise the chosen team.
  const teamQuery = group === "team" ? "" : `&team=${encodeURIComponent(props.team)}`;
  const path = `/console/api/usage?width=${width}&from=${from}&to=${to}&group=${group}${teamQuery}`;
  const { data, error } = useLoad(() => api<UsageSeries>(path), path);
  const format = metric === "cost" ? usd : int;
  return (
    <section aria-labelledby="usage-title">
      <h2 id="usage-title">Usage</h2>
      <form class="filters" aria-label="Chart options" onSubmit={(e: Event) => e.preventDefault()}>
        <Select label="Range" name="range" value={range} options={Object.keys(RANGES).map((r) => [r, `last ${r}`])} />
        <Select label="Bucket" name="width" value={String(width)} options={widths.map((w) => [String(w), WIDTH_NAMES[w]])} />
        <Select label="Stack by" name="group" value={group} options={groups} />
        <Select label="Show" name="metric" value={metric} options={Object.entries(METRICS)} />
      </form>
      <Failure error={error} />
      {data && (
        <>
          <Chart
            title={`${METRICS[metric]} per ${WIDTH_NAMES[width]}, by ${group}`}
            times={data.buckets}
            lines={data.series.map((s) => ({ label: s.name, values: valuesOf(s, metric) }))}
            stacked
            format={format}
          />
          {data.series.length === 0 && <p>No usage in this range.</p>}
          <p class="hint">
            Total: {int(data.series.reduce((n, s) => n + s.requests.reduce((a, b) => a + b, 0), 0))} requests,{" "}
            {usd(data.series.reduce((n, s) => n + s.cost_usd.reduce((a, b) => a + b, 0), 0))}.
          </p>
        </>
      )}
      <Limits team={props.team} />
    </section>
  );
}

/** The team's rate-limit windows (the last hour, per minute) against its limits, and its budget's burn-down. */
function Limits(props: { team: string }) {
  const teamPath = `/console/api/admin/teams/${encodeURIComponent(props.team)}`;
  const team = useLoad(() => api<Team>(teamPath), teamPath);
  const to = Math.ceil(now() / 60) * 60;
  const minutePath = `/console/api/usage?width=60&from=${to - 3600}&to=${to}&group=none&team=${encodeURIComponent(props.team)}`;
  const minutes = useLoad(() => api<UsageSeries>(minutePath), minutePath);
  const t = team.data;
  return (
    <>
      <h3>Rate limits</h3>
      <Failure error={team.error ?? minutes.error} />
      {t && minutes.data && (
        <div class="charts">
          {[
            { title: "Requests per minute", limit: t.rpm_limit, values: minutes.data.series[0]?.requests },
            {
              title: "Tokens per minute",
              limit: t.tpm_limit,
              values: minutes.data.series[0]?.input_tokens.map((v, i) => v + minutes.data!.series[0].output_tokens[i]),
            },
          ].map((w) => (
            <Chart
              title={`${w.title} (limit: ${w.limit === null ? "none" : int(w.limit)})`}
              times={minutes.data!.buckets}
              lines={[
                { label: "used", values: w.values ?? minutes.data!.buckets.map(() => 0) },
                ...(w.limit !== null ? [{ label: "limit", values: minutes.data!.buckets.map(() => w.limit), dashed: true }] : []),
              ]}
              height={180}
              format={int}
            />
          ))}
        </div>
      )}
      <h3>Budget</h3>
      {t && <BurnDown team={t} />}
    </>
  );
}

function periodStart(team: Team): number {
  const d = new Date();
  if (team.budget_period === "daily") return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()) / 1000;
  if (team.budget_period === "monthly") return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1) / 1000;
  return Math.floor(team.created_at / 86400) * 86400;
}

function periodEnd(team: Team, start: number): number | null {
  const d = new Date(start * 1000);
  if (team.budget_period === "daily") return start + 86400;
  if (team.budget_period === "monthly") return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1) / 1000;
  return null;
}

/** Remaining budget over the period so far, and a straight-line forecast of the day it runs out. */
function BurnDown(props: { team: Team }) {
  const t = props.team;
  const budget = t.max_budget_usd;
  const start = periodStart(t);
  const width = t.budget_period === "daily" ? 3600 : 86400;
  const end = Math.ceil(now() / width) * width;
  const from = Math.max(start, end - 366 * 86400);
  const path = `/console/api/usage?width=${width}&from=${from}&to=${end}&group=none&team=${encodeURIComponent(t.id)}`;
  const { data, error } = useLoad(() => api<UsageSeries>(path), budget === null ? "" : path);
  if (budget === null) return <p>No budget set for this team.</p>;
  if (error) return <Failure error={error} />;
  if (!data) return <p aria-busy="true">Loading…</p>;
  const spentPer = data.series[0]?.cost_usd ?? data.buckets.map(() => 0);
  let spent = 0;
  const remaining = spentPer.map((v) => budget - (spent += v));
  const elapsed = Math.max(1, now() - start);
  const rate = spent / elapsed;
  const runsOut = rate > 0 ? now() + Math.max(0, budget - spent) / rate : null;
  const reset = periodEnd(t, start);
  const forecastEnd = runsOut !== null ? Math.min(runsOut, reset ?? runsOut) : (reset ?? end);
  const times = [...data.buckets.map((b) => b + width), ...(forecastEnd > end ? [forecastEnd] : [])];
  const forecast = times.map((time, i) => (i < data.buckets.length - 1 ? null : Math.max(0, budget - rate * (time - start))));
  return (
    <>
      <p>
        {usd(spent)} of {usd(budget)} spent this {t.budget_period === "total" ? "lifetime" : t.budget_period === "daily" ? "day" : "month"}.{" "}
        {runsOut === null
          ? "No spend yet: no forecast."
          : reset !== null && runsOut >= reset
            ? `At this rate it lasts until the period resets (${new Date(reset * 1000).toLocaleDateString()}).`
            : `At this rate it runs out on ${new Date(runsOut * 1000).toLocaleString()}.`}
      </p>
      <Chart
        title="Budget remaining (USD)"
        times={times}
        lines={[
          { label: "remaining", values: [...remaining, ...(times.length > remaining.length ? [null] : [])] },
          { label: "forecast", values: forecast, dashed: true },
        ]}
        height={200}
        format={usd}
      />
    </>
  );
}
