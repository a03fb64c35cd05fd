// The secrets `npm start` makes for local development: .dev.vars gets a random ADMIN_TOKEN and
// ID_SECRET on first run, and an ID_SECRET later if it has none (older .dev.vars files), so that the
// configuration check passes without a step by hand. Values already set are never replaced.
import { randomBytes } from "node:crypto";
import { appendFileSync, existsSync, readFileSync, writeFileSync } from "node:fs";

const GENERATED = {
  ADMIN_TOKEN: () => `adm-${randomBytes(24).toString("base64url")}`,
  ID_SECRET: () => randomBytes(32).toString("base64url"),
};

/** A variable's value in a .dev.vars text, or undefined. */
export function devVarValue(text, name) {
  return new RegExp(`^${name}=(.*)$`, "m").exec(text)?.[1]?.trim() || undefined;
}

/** Creates or completes `path`; returns the variables it wrote, with their values. */
export function ensureDevVars(path) {
  const created = {};
  if (!existsSync(path)) {
    for (const [name, generate] of Object.entries(GENERATED)) created[name] = generate();
    const lines = Object.entries(created).map(([name, value]) => `${name}=${value}\n`).join("");
    writeFileSync(path, `# Created by \`npm start\`; see .dev.vars.example for every variable. Never commit this file.\n${lines}`, { mode: 0o600 });
    return created;
  }
  const text = readFileSync(path, "utf8");
  if (devVarValue(text, "ID_SECRET") === undefined) {
    created.ID_SECRET = GENERATED.ID_SECRET();
    appendFileSync(path, `${text.endsWith("\n") || text === "" ? "" : "\n"}# Added by \`npm start\`: keys the MAC in minted completion ids.\nID_SECRET=${created.ID_SECRET}\n`);
  }
  return created;
}
