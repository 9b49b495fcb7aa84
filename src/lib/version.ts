import pkg from "../../package.json" with { type: "json" };

/** Set at build time by scripts/build.ts (`--define`); "dev" when run from source. */
declare const STREAMNEST_COMMIT: string | undefined;

export const VERSION: string = pkg.version;
export const COMMIT: string = typeof STREAMNEST_COMMIT === "string" ? STREAMNEST_COMMIT : "dev";
