import { ensureBrokerRuntimeEnv } from "./runtime-env.ts";

// `streamnest broker …`: imported first by main.ts, so that the second start, when there
// is one, comes before any other module is loaded.
if (process.argv[2] === "broker") await ensureBrokerRuntimeEnv();
