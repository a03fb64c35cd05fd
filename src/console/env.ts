import type { AppEnv } from "../http/types";
import type { ConsoleSession } from "./sessions";

/** The app's variables plus the console session that every console endpoint reads. */
export interface ConsoleEnv {
  Bindings: AppEnv["Bindings"];
  Variables: AppEnv["Variables"] & { consoleSession: ConsoleSession };
}
