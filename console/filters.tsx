import { dayToSeconds, parsePairs } from "./format";
import { current, go, href } from "./url-state";

// The stored-list filters, shared by Completions, Responses and Export: model, date range, metadata pairs.

/** The API query of the URL's filters. */
export function filterQuery(url: URLSearchParams): URLSearchParams {
  const query = new URLSearchParams();
  const model = url.get("model");
  if (model) query.set("model", model);
  const from = dayToSeconds(url.get("from"));
  const to = dayToSeconds(url.get("to"), true);
  if (from) query.set("from", from);
  if (to) query.set("to", to);
  for (const [key, value] of parsePairs(url.getAll("meta").join("\n"))) query.append(`metadata[${key}]`, value);
  return query;
}

/** `metadata: false` for a list whose index keeps no metadata (stored responses). */
export function Filters(props: { url: URLSearchParams; metadata?: boolean }) {
  const { url } = props;
  const withMetadata = props.metadata !== false;
  const apply = (event: Event) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    const text = (name: string) => String(form.get(name) ?? "").trim();
    // New filters start again from the first page, with no detail open.
    go(href({ ...current(), model: text("model"), from: text("from"), to: text("to"), meta: withMetadata ? parsePairs(text("meta")).map(([k, v]) => `${k}=${v}`) : [], after: null, id: null }));
  };
  return (
    <form class="filters" onSubmit={apply} aria-label="Filters">
      <label>
        Model <input name="model" value={url.get("model") ?? ""} placeholder="any" />
      </label>
      <label>
        From <input name="from" type="date" value={url.get("from") ?? ""} />
      </label>
      <label>
        To <input name="to" type="date" value={url.get("to") ?? ""} />
      </label>
      {withMetadata && (
        <label>
          Metadata <input name="meta" value={url.getAll("meta").join(", ")} placeholder="key=value, key=value" />
        </label>
      )}
      <button type="submit">Apply</button>
    </form>
  );
}
