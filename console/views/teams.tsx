import { useState } from "hono/jsx/dom";
import { api, ApiFailure, type Team } from "../api";
import { dateTime, usd } from "../format";
import { Failure, useLoad } from "../load";
import { current, href, onLink } from "../url-state";
import { LimitFields, limitsBody } from "./limits-form";

/** The admin's teams: create, rename, set limits and budgets, delete. */
export function Teams(props: { onChanged: () => void }) {
  const { data, error, reload } = useLoad(() => api<{ data: Team[] }>("/console/api/admin/teams"), "teams");
  const [status, setStatus] = useState<string | null>(null);
  const run = async (what: () => Promise<unknown>, done: string) => {
    try {
      await what();
      setStatus(done);
      reload();
      props.onChanged();
    } catch (err) {
      setStatus(err instanceof ApiFailure ? err.message : String(err));
    }
  };
  const create = (event: Event) => {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    const name = String(new FormData(form).get("name") ?? "").trim();
    run(() => api("/console/api/admin/teams", { body: { name } }).then(() => form.reset()), `Team "${name}" created.`);
  };
  return (
    <section aria-labelledby="teams-title">
      <h2 id="teams-title">Teams</h2>
      <form class="filters" onSubmit={create}>
        <label>
          New team <input name="name" required maxLength={256} />
        </label>
        <button type="submit">Create team</button>
      </form>
      {status && <p role="status">{status}</p>}
      <Failure error={error} />
      {data && (
        <table class="list">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Budget (USD) · period · RPM · TPM</th>
              <th scope="col">Spent</th>
              <th scope="col">Created</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {data.data.map((team) => {
              const formId = `team-${team.id}`;
              const save = (event: Event) => {
                event.preventDefault();
                run(() => api(`/console/api/admin/teams/${team.id}`, { method: "PATCH", body: limitsBody(event.currentTarget as HTMLFormElement) }), `Team "${team.name}" saved.`);
              };
              const remove = () => {
                if (confirm(`Delete team "${team.name}"? Its keys stop working at once and all its data is deleted.`)) {
                  run(() => api(`/console/api/admin/teams/${team.id}`, { method: "DELETE" }), `Team "${team.name}" deleted.`);
                }
              };
              return (
                <tr>
                  <td>
                    <form id={formId} onSubmit={save} />
                    <input form={formId} name="name" value={team.name} aria-label="Team name" required />
                    <div class="hint">{team.id}</div>
                  </td>
                  <td class="limits">
                    <LimitFields row={team} disabled={false} label={team.name} form={formId} />
                  </td>
                  <td class="num">{usd(team.spend_usd)}</td>
                  <td>{dateTime(team.created_at)}</td>
                  <td class="actions">
                    <button type="submit" form={formId}>
                      Save
                    </button>
                    <a href={href({ ...current(), view: "keys", team: team.id })} onClick={onLink}>
                      Keys
                    </a>
                    <button type="button" class="danger" onClick={remove}>
                      Delete
                    </button>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </section>
  );
}
