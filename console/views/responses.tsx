import { api } from "../api";
import { filterQuery, Filters } from "../filters";
import { dateTime, int, usd } from "../format";
import { Failure, useLoad } from "../load";
import { current, href, onLink } from "../url-state";

interface Row {
  id: string;
  created: number;
  model: string;
  status: string;
  upstream: string | null;
  previous_response_id: string | null;
  conversation_id: string | null;
  bytes: number;
}

/** Stored Responses API objects: one index page per view, a cursor to the next, no per-row calls. */
export function Responses(props: { team: string; url: URLSearchParams }) {
  const { team, url } = props;
  const query = filterQuery(url);
  // The responses index keeps no metadata: a filter left over from the completions view is dropped.
  for (const name of [...query.keys()]) if (name.startsWith("metadata[")) query.delete(name);
  const after = url.get("after");
  if (after) query.set("after", after);
  query.set("limit", "20");
  const path = `/console/api/teams/${encodeURIComponent(team)}/responses?${query}`;
  const { data, error } = useLoad(() => api<{ data: Row[]; has_more: boolean; last_id: string | null }>(path), path);
  const id = url.get("id");
  return (
    <section aria-labelledby="responses-title">
      <h2 id="responses-title">Responses</h2>
      <Filters url={url} metadata={false} />
      <Failure error={error} />
      {data && (
        <>
          <table class="list">
            <thead>
              <tr>
                <th scope="col">Created</th>
                <th scope="col">Model</th>
                <th scope="col">Status</th>
                <th scope="col">Follows</th>
                <th scope="col">Upstream</th>
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
                  <td>{row.status}</td>
                  <td>{row.previous_response_id ?? row.conversation_id ?? "–"}</td>
                  <td>{row.upstream ?? "–"}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {data.data.length === 0 && <p>No stored responses match.</p>}
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

type Item = Record<string, any>;

interface DetailData {
  response: Record<string, any>;
  input: Item[];
  input_truncated: boolean;
  upstream: string | null;
  cost: { priced: boolean; usd: number } | null;
}

/** The text of a message item's content: a string, or its text and refusal parts. */
function textOf(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content.map((part: Item) => part.text ?? part.refusal ?? (part.type === "input_image" ? "[image]" : part.type === "input_file" ? "[file]" : "")).join("\n");
}

/** One input or output item, as a bubble like a chat message's. */
function ItemBubble(props: { item: Item }) {
  const item = props.item;
  const type = item.type ?? "message";
  if (type === "message") {
    return (
      <div class={`bubble ${item.role}`}>
        <div class="role">{item.role}</div>
        <div class="content">{textOf(item.content)}</div>
      </div>
    );
  }
  if (type === "function_call" || type === "custom_tool_call") {
    return (
      <div class="bubble assistant">
        <div class="role">{type === "function_call" ? "tool call" : "custom tool call"}</div>
        <pre class="tool-call">
          {item.namespace ? `${item.namespace}.` : ""}
          {item.name}({type === "function_call" ? item.arguments : item.input}) · {item.call_id}
        </pre>
      </div>
    );
  }
  if (type === "function_call_output" || type === "custom_tool_call_output") {
    return (
      <div class="bubble tool">
        <div class="role">tool · result of {item.call_id}</div>
        <div class="content">{typeof item.output === "string" ? item.output : JSON.stringify(item.output)}</div>
      </div>
    );
  }
  if (type === "reasoning") {
    return (
      <div class="bubble assistant">
        <div class="role">reasoning</div>
        <div class="content">{Array.isArray(item.summary) && item.summary.length > 0 ? item.summary.map((s: Item) => s.text).join("\n") : "(encrypted)"}</div>
      </div>
    );
  }
  return (
    <div class="bubble">
      <div class="role">{type}</div>
      <pre class="tool-call">{JSON.stringify(item)}</pre>
    </div>
  );
}

function Detail(props: { team: string; id: string }) {
  const base = `/console/api/teams/${encodeURIComponent(props.team)}`;
  const { data, error } = useLoad(() => api<DetailData>(`${base}/responses/${encodeURIComponent(props.id)}`), `${props.team}/${props.id}`);
  const close = href({ ...current(), id: null });
  if (error) return <Failure error={error} />;
  if (!data) return <p aria-busy="true">Loading…</p>;
  const r = data.response;
  const output: Item[] = Array.isArray(r.output) ? r.output : [];
  return (
    <article class="detail" aria-labelledby="detail-title">
      <header>
        <h3 id="detail-title">{r.id}</h3>
        <a href={close} onClick={onLink}>
          Close
        </a>
      </header>
      <dl class="facts">
        <dt>Model</dt>
        <dd>{r.model}</dd>
        <dt>Created</dt>
        <dd>{dateTime(r.created_at)}</dd>
        <dt>Status</dt>
        <dd>{r.status}</dd>
        <dt>Previous response</dt>
        <dd>{r.previous_response_id ?? "–"}</dd>
        <dt>Upstream</dt>
        <dd>{data.upstream ?? "–"}</dd>
        <dt>Usage</dt>
        <dd>{r.usage ? `${int(r.usage.input_tokens)} in · ${int(r.usage.output_tokens)} out` : "not reported"}</dd>
        <dt>Cost</dt>
        <dd>{data.cost ? (data.cost.priced ? usd(data.cost.usd) : "no price for this model") : "–"}</dd>
      </dl>
      {r.instructions && (
        <>
          <h4>Instructions</h4>
          <div class="bubble system">{typeof r.instructions === "string" ? r.instructions : JSON.stringify(r.instructions)}</div>
        </>
      )}
      <h4>Input</h4>
      <div class="chat">
        {data.input.map((item) => (
          <ItemBubble item={item} />
        ))}
        {data.input_truncated && <p class="hint">Only the first {data.input.length} input items are shown.</p>}
        <h4>Output</h4>
        {output.length > 0 ? output.map((item) => <ItemBubble item={item} />) : <p>No output.</p>}
      </div>
    </article>
  );
}
