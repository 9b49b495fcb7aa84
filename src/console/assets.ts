import { buildConsoleAssets } from "./build-macro.ts" with { type: "macro" };

/**
 * The console's page, script and stylesheet, built when this file is bundled (see
 * build-macro.ts). Import it lazily: from source, loading it runs the build (~0.3 s).
 */
export const CONSOLE_ASSETS = buildConsoleAssets();
