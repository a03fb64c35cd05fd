import { api } from "../api";
import { Failure, useLoad } from "../load";

/** Stored Responses API objects. The gateway does not store them yet: the page says so. */
export function Responses(props: { team: string }) {
  const path = `/console/api/teams/${encodeURIComponent(props.team)}/responses`;
  const { data, error } = useLoad(() => api<{ data: { id: string; created_at: number; model: string }[] }>(path), path);
  return (
    <section aria-labelledby="responses-title">
      <h2 id="responses-title">Responses</h2>
      <Failure error={error} />
      {data && data.data.length === 0 && <p>No stored responses: this gateway does not store Responses API objects yet.</p>}
      {data && data.data.length > 0 && (
        <ul>
          {data.data.map((r) => (
            <li>
              {r.id} · {r.model}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
