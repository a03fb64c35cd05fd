import "uplot/dist/uPlot.min.css";
import "./style.css";
import { render, useEffect, useState } from "hono/jsx/dom";
import { api, type Session, type Team, whenSignedOut } from "./api";
import { Failure, useLoad } from "./load";
import { current, go, href, onLink, useUrl } from "./url-state";
import { Completions } from "./views/completions";
import { Export } from "./views/export";
import { Keys } from "./views/keys";
import { Responses } from "./views/responses";
import { SignIn } from "./views/sign-in";
import { Teams } from "./views/teams";
import { Upstreams } from "./views/upstreams";
import { Usage } from "./views/usage";

const VIEWS = ["completions", "responses", "export", "usage", "teams", "keys", "upstreams"] as const;
type View = (typeof VIEWS)[number];
const TITLES: Record<View, string> = {
  completions: "Completions",
  responses: "Responses",
  export: "Export",
  usage: "Usage",
  teams: "Teams",
  keys: "Keys",
  upstreams: "Upstreams",
};

function App() {
  // undefined: asking the gateway; null: signed out.
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  useEffect(() => {
    whenSignedOut(() => setSession(null));
    api<Session>("/console/session").then(setSession, () => setSession(null));
  }, []);
  if (session === undefined) return <p aria-busy="true">Loading…</p>;
  if (session === null) return <SignIn onSignedIn={setSession} />;
  return <Shell session={session} onSignedOut={() => setSession(null)} />;
}

function Shell(props: { session: Session; onSignedOut: () => void }) {
  const { session } = props;
  const url = useUrl();
  const admin = session.kind === "admin";
  const teams = useLoad(() => (admin ? api<{ data: Team[] }>("/console/api/admin/teams").then((r) => r.data) : Promise.resolve([])), admin ? "teams" : "own");
  const views = VIEWS.filter((v) => admin || v !== "teams");
  const view: View = views.includes(url.get("view") as View) ? (url.get("view") as View) : "completions";
  // A team session is its own team, whatever the URL says (the server enforces it too).
  const team = admin ? (url.get("team") ?? teams.data?.[0]?.id ?? null) : session.team!.id;
  const signOut = async () => {
    await api("/console/session", { method: "DELETE" }).catch(() => {});
    history.replaceState(null, "", "/console/");
    props.onSignedOut();
  };
  const needsTeam = view !== "teams" && view !== "upstreams";
  return (
    <>
      <header class="top">
        <h1>Gateway console</h1>
        <nav aria-label="Views">
          {views.map((v) => (
            <a href={href({ view: v, ...(admin && team ? { team } : {}) })} onClick={onLink} aria-current={v === view ? "page" : undefined}>
              {TITLES[v]}
            </a>
          ))}
        </nav>
        <div class="who">
          {admin ? (
            <label>
              Team{" "}
              <select
                aria-label="Team"
                onChange={(e: Event) => go(href({ ...current(), team: (e.target as HTMLSelectElement).value, after: null, id: null }))}
              >
                {(teams.data ?? []).map((t) => (
                  <option value={t.id} selected={t.id === team}>
                    {t.name}
                  </option>
                ))}
              </select>
            </label>
          ) : (
            <span>Team: {session.team!.name}</span>
          )}
          <button type="button" onClick={signOut}>
            Sign out
          </button>
        </div>
      </header>
      <main>
        <Failure error={teams.error} />
        {needsTeam && !team && teams.data && <p>No team yet: create one under Teams.</p>}
        {view === "completions" && team && <Completions team={team} url={url} />}
        {view === "responses" && team && <Responses team={team} url={url} />}
        {view === "export" && team && <Export team={team} url={url} />}
        {view === "usage" && team && <Usage session={session} team={team} url={url} />}
        {view === "teams" && admin && <Teams onChanged={teams.reload} />}
        {view === "keys" && team && <Keys session={session} team={team} />}
        {view === "upstreams" && <Upstreams url={url} />}
      </main>
    </>
  );
}

render(<App />, document.getElementById("root")!);
