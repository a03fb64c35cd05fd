import { useState } from "hono/jsx/dom";
import { api, ApiFailure } from "../api";
import { filterQuery, Filters } from "../filters";
import { dateTime, int, parsePairs, usd } from "../format";
import { Failure, useLoad } from "../load";
import { current, go, href, onLink } from "../url-state";

interface Row {
  id: string;
  created: number;
  model: string;
  metadata: Record<string, string>;
  preview: string;
  usage: { prompt_tokens?: number; completion_tokens?: number; total_tokens?: number } | null;
  upstream: string | null;
}

/** The stored list: one index page per view, a cursor to the next, no totals and no per-row calls. */
export function Completions(props: { team: string; url: URLSearchParams }) {
  const { team, url } = props;
  const query = filterQuery(url);
  const after = url.get("after");
  if (after) query.set("after", after);
  query.set("limit", "20");
  const path = `/console/api/teams/${encodeURIComponent(team)}/completions?${query}`;
  const { data, error } = useLoad(() => api<{ data: Row[]; has_more: boolean; last_id: string | null }>(path), path);
  const id = url.get("id");
  return (
    <section aria-labelledby="completions-title">
      <h2 id="completions-title">Completions</h2>
      <Filters url={url} />
      <Failure error={error} />
      {data && (
        <>
          <table class="list">
            <thead>
              <tr>
                <th scope="col">Created</th>
                <th scope="col">Model</th>
                <th scope="col">Answer</th>
                <th scope="col">Tokens</th>
                <th scope="col">Metadata</th>
              </tr>
            </thead>
            <tbody>
              {data.data.map((row) => (
                <tr class={row.id === id ? "selected" : ""}>
                  <td>
                    <a href={href({ ...current(), id: row.id })} onClick={onLink} data-id={row.id}>
                      {dateTime(row.created)}
                    </a>
                  </td>
                  <td>{row.model}</td>
                  <td class="preview">{row.preview}</td>
                  <td class="num">{row.usage?.total_tokens !== undefined ? int(row.usage.total_tokens) : "–"}</td>
                  <td>
                    {Object.entries(row.metadata).map(([k, v]) => (
                      <span class="tag">
                        {k}={v}
                      </span>
                    ))}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {data.data.length === 0 && <p>No stored completions match.</p>}
          <nav class="pager" aria-label="Pages">
            {after && (
              <a href={href({ ...current(), after: null, id: null })} onClick={onLink}>
                First page
              </a>
            )}
            {data.has_more && data.last_id && (
              <a href={href({ ...current(), after: data.last_id, id: null })} onClick={onLink}>
                Next page
              </a>
            )}
          </nav>
        </>
      )}
      {id && <Detail team={team} id={id} />}
    </section>
  );
}

interface Message {
  role: string;
  content: string | null;
  name: string | null;
  tool_calls?: { id: string; function?: { name: string; arguments: string } }[];
  tool_call_id?: string;
}

interface DetailData {
  completion: Record<string, any>;
  messages: Message[];
  messages_truncated: boolean;
  upstream: string | null;
  cost: { priced: boolean; usd: number } | null;
}

function Bubble(props: { message: Message }) {
  const m = props.message;
  return (
    <div class={`bubble ${m.role}`}>
      <div class="role">
        {m.role}
        {m.tool_call_id ? ` · result of ${m.tool_call_id}` : ""}
        {m.name ? ` · ${m.name}` : ""}
      </div>
      {m.content && <div class="content">{m.content}</div>}
      {m.tool_calls?.map((call) => (
        <pre class="tool-call">
          {call.function?.name}({call.function?.arguments}) · {call.id}
        </pre>
      ))}
    </div>
  );
}

/** A curl that replays the request against the gateway; the key is left for the reader to fill in. */
function curlOf(detail: DetailData): string {
  const c = detail.completion;
  const body: Record<string, unknown> = { model: c.model, messages: detail.messages.map(({ role, content, tool_calls, tool_call_id, name }) => ({ role, content, ...(name && { name }), ...(tool_calls && { tool_calls }), ...(tool_call_id && { tool_call_id }) })) };
  if (c.tools) body.tools = c.tools;
  const json = JSON.stringify(body).replace(/'/g, "'\\''");
  return `curl ${location.origin}/v1/chat/completions \\\n  -H "Authorization: Bearer $GATEWAY_API_KEY" \\\n  -H "Content-Type: application/json" \\\n  -d '${json}'`;
}

function Detail(props: { team: string; id: string }) {
  const base = `/console/api/teams/${encodeURIComponent(props.team)}`;
  const { data, error, reload } = useLoad(() => api<DetailData>(`${base}/completions/${encodeURIComponent(props.id)}`), `${props.team}/${props.id}`);
  const [status, setStatus] = useState<string | null>(null);
  const close = href({ ...current(), id: null });
  if (error) return <Failure error={error} />;
  if (!data) return <p aria-busy="true">Loading…</p>;
  const c = data.completion;
  const answer = c.choices?.[0]?.message as Message | undefined;
  const saveMetadata = async (event: Event) => {
    event.preventDefault();
    const text = String(new FormData(event.currentTarget as HTMLFormElement).get("metadata") ?? "");
    try {
      await api(`${base}/v1/chat/completions/${encodeURIComponent(props.id)}`, { body: { metadata: Object.fromEntries(parsePairs(text)) } });
      setStatus("Metadata saved.");
      reload();
    } catch (err) {
      setStatus(err instanceof ApiFailure ? err.message : String(err));
    }
  };
  const remove = async () => {
    if (!confirm("Delete this stored completion? This cannot be undone.")) return;
    try {
      await api(`${base}/v1/chat/completions/${encodeURIComponent(props.id)}`, { method: "DELETE" });
      go(close);
    } catch (err) {
      setStatus(err instanceof ApiFailure ? err.message : String(err));
    }
  };
  const copyCurl = async () => {
    await navigator.clipboard.writeText(curlOf(data)).then(
      () => setStatus("Copied as curl."),
      () => setStatus("The clipboard is not available here."),
    );
  };
  return (
    <article class="detail" aria-labelledby="detail-title">
      <header>
        <h3 id="detail-title">{c.id}</h3>
        <a href={close} onClick={onLink}>
          Close
        </a>
      </header>
      <dl class="facts">
        <dt>Model</dt>
        <dd>{c.model}</dd>
        <dt>Created</dt>
        <dd>{dateTime(c.created)}</dd>
        <dt>Upstream</dt>
        <dd>{data.upstream ?? "–"}</dd>
        <dt>Usage</dt>
        <dd>{c.usage ? `${int(c.usage.prompt_tokens)} in · ${int(c.usage.completion_tokens)} out` : "not reported"}</dd>
        <dt>Cost</dt>
        <dd>{data.cost ? (data.cost.priced ? usd(data.cost.usd) : "no price for this model") : "–"}</dd>
      </dl>
      <h4>Messages</h4>
      <div class="chat">
        {data.messages.map((m) => (
          <Bubble message={m} />
        ))}
        {data.messages_truncated && <p class="hint">Only the first {data.messages.length} messages are shown.</p>}
        <h4>Answer</h4>
        {answer ? <Bubble message={answer} /> : <p>No answer.</p>}
      </div>
      <form onSubmit={saveMetadata} class="metadata">
        <label for="metadata">Metadata (key=value, one per line)</label>
        <textarea
          id="metadata"
          name="metadata"
          rows={3}
          value={Object.entries(c.metadata ?? {})
            .map(([k, v]) => `${k}=${v}`)
            .join("\n")}
        />
        <div class="actions">
          <button type="submit">Save metadata</button>
          <button type="button" onClick={copyCurl}>
            Copy as curl
          </button>
          <button type="button" class="danger" onClick={remove}>
            Delete
          </button>
        </div>
      </form>
      {status && <p role="status">{status}</p>}
    </article>
  );
}
