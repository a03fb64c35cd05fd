import type { Key, Team } from "../api";

// The limit fields of a team or key, edited inline; saved through the admin API's PATCH routes.

const numberOrNull = (value: FormDataEntryValue | null) => {
  const text = String(value ?? "").trim();
  return text === "" ? null : Number(text);
};

/** The PATCH body of a row's form: name, budget, period, RPM and TPM (empty = no limit). */
export function limitsBody(form: HTMLFormElement): Record<string, unknown> {
  const data = new FormData(form);
  const body: Record<string, unknown> = {
    max_budget_usd: numberOrNull(data.get("max_budget_usd")),
    budget_period: String(data.get("budget_period")),
    rpm_limit: numberOrNull(data.get("rpm_limit")),
    tpm_limit: numberOrNull(data.get("tpm_limit")),
  };
  const name = data.get("name");
  if (name !== null) body.name = String(name).trim() || null;
  return body;
}

/** `form`: the id of the row's form (a form cannot span table cells; inputs join it by attribute). */
export function LimitFields(props: { row: Team | Key; disabled: boolean; label: string; form: string }) {
  const { row, disabled } = props;
  return (
    <>
      <input name="max_budget_usd" type="number" min="0" step="any" value={row.max_budget_usd ?? ""} form={props.form} disabled={disabled} aria-label={`${props.label} budget (USD)`} placeholder="none" />
      <select name="budget_period" form={props.form} disabled={disabled} aria-label={`${props.label} budget period`}>
        {["daily", "monthly", "total"].map((p) => (
          <option value={p} selected={row.budget_period === p}>
            {p}
          </option>
        ))}
      </select>
      <input name="rpm_limit" type="number" min="1" step="1" value={row.rpm_limit ?? ""} form={props.form} disabled={disabled} aria-label={`${props.label} requests per minute`} placeholder="none" />
      <input name="tpm_limit" type="number" min="1" step="1" value={row.tpm_limit ?? ""} form={props.form} disabled={disabled} aria-label={`${props.label} tokens per minute`} placeholder="none" />
    </>
  );
}
