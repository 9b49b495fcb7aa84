import { ensureBrokerRuntimeEnv } from "./runtime-env.ts";

// `streamnest broker …`: imported first by main.ts, so that the second start, when there
// is one, comes before the code of any other module of main.ts has run.
if (process.argv[2] === "broker") ensureBrokerRuntimeEnv();
