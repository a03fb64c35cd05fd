import { DurableObject } from "cloudflare:workers";
import type { Bindings } from "../config";

/** One per team: its rate-limit counters and budget reservations, in SQLite storage. */
export class TeamLimiter extends DurableObject<Bindings> {}
