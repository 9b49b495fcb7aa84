/**
 * The schema compiler for the command line (commands/ imports node/, never schema/):
 * the consumer checks stored messages with the broker's own compiler, RE2 patterns and
 * all, so both sides agree on what fits.
 */
export { type CompiledSchema, compileSchema } from "../schema/compile.ts";
