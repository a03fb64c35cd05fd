import { filterQuery, Filters } from "../filters";
import { current, go, href } from "../url-state";

/** Downloads the filtered list as JSONL; the gateway streams it a page at a time. */
export function Export(props: { team: string; url: URLSearchParams }) {
  const format = props.url.get("format") === "raw" ? "raw" : "fine-tune";
  const query = filterQuery(props.url);
  query.set("format", format);
  const download = `/console/api/teams/${encodeURIComponent(props.team)}/export?${query}`;
  return (
    <section aria-labelledby="export-title">
      <h2 id="export-title">Export</h2>
      <p>Every stored completion that matches these filters, one JSON object per line.</p>
      <Filters url={props.url} />
      <fieldset class="formats">
        <legend>Format</legend>
        <label>
          <input type="radio" name="format" value="fine-tune" checked={format === "fine-tune"} onChange={() => go(href({ ...current(), format: "fine-tune" }), true)} />
          OpenAI fine-tuning (chat messages and tools)
        </label>
        <label>
          <input type="radio" name="format" value="raw" checked={format === "raw"} onChange={() => go(href({ ...current(), format: "raw" }), true)} />
          Raw stored objects
        </label>
      </fieldset>
      <a class="button" href={download} download>
        Download JSONL
      </a>
    </section>
  );
}
