// OpenAI endpoints the gateway refuses, each with the reason it gives. Every path of OpenAI's spec
// is either served by the gateway, passed through, or listed here (test/stateful-refused.test.ts).

const STATEFUL =
  "it keeps its state (files, ids, jobs, sessions) in the upstream account, which every team of this gateway shares, so passing it through would let one team read or change another team's data by id.";
const ADMINISTRATION =
  "it administers the upstream's organization, which teams of this gateway do not reach; teams, keys and allowed models are managed with the gateway's /admin API.";
const NOT_PASSED = "the gateway passes through only the stateless endpoints it knows (see docs/providers.md, \"Endpoints\").";

interface RefusedArea {
  /** Where the area starts: the path itself and everything under it. */
  prefix: string;
  /** Only these methods are refused; all of them when absent. */
  methods?: string[];
  /** Paths under the prefix that the gateway serves itself. */
  except?: string[];
  reason: string;
}

const REFUSED_AREAS: RefusedArea[] = [
  ...[
    "/v1/files",
    "/v1/uploads",
    "/v1/batches",
    "/v1/assistants",
    "/v1/threads",
    "/v1/vector_stores",
    "/v1/fine_tuning",
    "/v1/evals",
    "/v1/containers",
    "/v1/realtime",
    "/v1/videos",
    "/v1/skills",
    "/v1/chatkit",
    "/v1/audio/voice_consents",
    "/v1/audio/voices",
  ].map((prefix) => ({ prefix, reason: STATEFUL })),
  // The gateway keeps the Responses API's state itself; these parts are not built yet.
  { prefix: "/v1/responses/compact", reason: "it is not built yet: send the whole input, or use previous_response_id, which the gateway expands." },
  { prefix: "/v1/responses", methods: ["POST"], except: ["/v1/responses", "/v1/responses/input_tokens"], reason: "it is not built yet: cancelling is for background responses, which the gateway does not run." },
  // Deleting a fine-tuned model changes the account every team shares.
  { prefix: "/v1/models", methods: ["DELETE"], reason: STATEFUL },
  {
    prefix: "/v1/organization",
    // The usage and costs APIs are the gateway's own, per team.
    except: [
      "/v1/organization/usage/completions",
      "/v1/organization/usage/embeddings",
      "/v1/organization/usage/moderations",
      "/v1/organization/usage/images",
      "/v1/organization/usage/audio_speeches",
      "/v1/organization/usage/audio_transcriptions",
      "/v1/organization/costs",
    ],
    reason: ADMINISTRATION,
  },
  { prefix: "/v1/projects", reason: ADMINISTRATION },
  ...["/v1/images/edits", "/v1/images/variations", "/v1/content_provenance_checks"].map((prefix) => ({ prefix, reason: NOT_PASSED })),
];

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

// Compiled once: a request the routes did not take is checked against one expression per area.
const COMPILED = REFUSED_AREAS.map((area) => ({
  area,
  pattern: new RegExp(`^${escape(area.prefix)}(?:/|$)`),
  except: new Set(area.except ?? []),
}));

/** The refused area `path` falls in for `method`, if any. */
export function refusedArea(method: string, path: string): RefusedArea | undefined {
  const normalised = path.length > 1 ? path.replace(/\/+$/, "") : path;
  return COMPILED.find(({ area, pattern, except }) => pattern.test(normalised) && !except.has(normalised) && (!area.methods || area.methods.includes(method)))?.area;
}
