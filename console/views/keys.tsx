import { useState } from "hono/jsx/dom";
import { api, ApiFailure, type Key, type Session } from "../api";
import { dateTime, usd } from "../format";
import { Failure, useLoad } from "../load";
import { LimitFields, limitsBody } from "./limits-form";

/**
 * A team's keys: create (the key is shown once, with a copy button), rename, set limits, revoke (it
 * stops working and stays listed as revoked), delete (it leaves the list). A team's own session may
 * only read them unless the gateway sets CONSOLE_TEAM_KEYS=manage.
 */
export function Keys(props: { session: Session; team: string }) {
  const base = `/console/api/admin/teams/${encodeURIComponent(props.team)}/keys`;
  const { data, error, reload } = useLoad(() => api<{ data: Key[] }>(base), base);
  const [status, setStatus] = useState<string | null>(null);
  const [created, setCreated] = useState<Key | null>(null);
  const canManage = props.session.can_manage_keys;
  const run = async (what: () => Promise<unknown>, done: string) => {
    try {
      await what();
      setStatus(done);
      reload();
    } catch (err) {
      setStatus(err instanceof ApiFailure ? err.message : String(err));
    }
  };
  const create = (event: Event) => {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    const name = String(new FormData(form).get("name") ?? "").trim();
    run(async () => {
      setCreated(await api<Key>(base, { body: { name: name || null } }));
      form.reset();
    }, "Key created.");
  };
  return (
    <section aria-labelledby="keys-title">
      <h2 id="keys-title">Keys</h2>
      {canManage ? (
        <form class="filters" onSubmit={create}>
          <label>
            New key name <input name="name" maxLength={256} />
          </label>
          <button type="submit">Create key</button>
        </form>
      ) : (
        <p class="hint">Read-only: this team's keys are managed by the gateway's admin (or set CONSOLE_TEAM_KEYS=manage).</p>
      )}
      {created?.key && <NewKey secret={created.key} onDone={() => setCreated(null)} />}
      {status && <p role="status">{status}</p>}
      <Failure error={error} />
      {data && (
        <table class="list">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Key</th>
              <th scope="col">Budget (USD) · period · RPM · TPM</th>
              <th scope="col">Spent</th>
              <th scope="col">Created</th>
              <th scope="col">Status</th>
              {canManage && <th scope="col">Actions</th>}
            </tr>
          </thead>
          <tbody>
            {data.data.map((key) => {
              const formId = `key-${key.id}`;
              const label = key.name ?? key.prefix;
              const revoked = key.revoked_at !== null;
              // A revoked key can no longer be changed, only deleted.
              const editable = canManage && !revoked;
              const save = (event: Event) => {
                event.preventDefault();
                run(() => api(`/console/api/admin/keys/${key.id}`, { method: "PATCH", body: limitsBody(event.currentTarget as HTMLFormElement) }), `Key "${label}" saved.`);
              };
              const revoke = () => {
                if (confirm(`Revoke key "${label}"? Apps using it stop working; it stays listed as revoked.`)) {
                  run(() => api(`/console/api/admin/keys/${key.id}/revoke`, { method: "POST" }), `Key "${label}" revoked.`);
                }
              };
              const remove = () => {
                const effect = revoked ? "It leaves this list." : "Apps using it stop working, and it leaves this list.";
                if (confirm(`Delete key "${label}"? ${effect}`)) run(() => api(`/console/api/admin/keys/${key.id}`, { method: "DELETE" }), `Key "${label}" deleted.`);
              };
              return (
                <tr class={revoked ? "revoked" : ""}>
                  <td>
                    <form id={formId} onSubmit={save} />
                    <input form={formId} name="name" value={key.name ?? ""} aria-label="Key name" disabled={!editable} />
                  </td>
                  <td>
                    <code>{key.prefix}</code>
                  </td>
                  <td class="limits">
                    <LimitFields row={key} disabled={!editable} label={label} form={formId} />
                  </td>
                  <td class="num">{usd(key.spend_usd)}</td>
                  <td>{dateTime(key.created_at)}</td>
                  <td>{revoked ? `Revoked ${dateTime(key.revoked_at!)}` : "Live"}</td>
                  {canManage && (
                    <td class="actions">
                      {!revoked && (
                        <>
                          <button type="submit" form={formId}>
                            Save
                          </button>
                          <button type="button" class="danger" onClick={revoke} aria-label={`Revoke key ${label}`}>
                            Revoke
                          </button>
                        </>
                      )}
                      <button type="button" class="danger" onClick={remove} aria-label={`Delete key ${label}`}>
                        Delete
                      </button>
                    </td>
                  )}
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </section>
  );
}

/** The new key, shown this once; it lives only in this component's state and goes when dismissed. */
function NewKey(props: { secret: string; onDone: () => void }) {
  const [copied, setCopied] = useState(false);
  return (
    <div class="new-key" role="alert">
      <p>Copy this key now: it will not be shown again.</p>
      <code class="secret" data-new-key>
        {props.secret}
      </code>
      <div class="actions">
        <button type="button" onClick={() => navigator.clipboard.writeText(props.secret).then(() => setCopied(true), () => setCopied(false))}>
          {copied ? "Copied" : "Copy"}
        </button>
        <button type="button" onClick={props.onDone}>
          Done
        </button>
      </div>
    </div>
  );
}
