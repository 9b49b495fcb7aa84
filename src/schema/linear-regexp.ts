import type { RegExpEngine, RegExpLike } from "ajv/dist/types";
import { RE2JS } from "re2js";

/**
 * The engine ajv uses for `pattern`, `patternProperties` and `propertyNames` patterns.
 *
 * JavaScript's own RegExp backtracks: a pattern such as `^(a+)+$` takes time exponential
 * in the message's length, and a running match cannot be interrupted, so one registered
 * schema and one message could stall the whole broker. RE2 (here its JavaScript port)
 * matches in time linear in the input, whatever the pattern. The price is RE2's syntax:
 * no lookaround and no backreferences, which are refused when the schema is registered.
 *
 * ajv's `code.regExp` option is made for this swap (ajv docs, "Security considerations").
 */
function compileLinear(pattern: string): RegExpLike {
  let compiled: RE2JS;
  try {
    compiled = RE2JS.compile(RE2JS.translateRegExp(pattern));
  } catch (error) {
    const reason = (error as Error).message.replace(/^error parsing regexp: /, "");
    throw new Error(
      `pattern ${JSON.stringify(pattern)} is not supported: ${reason} ` +
        "(patterns are matched in linear time with RE2 syntax, which has no lookaround and no backreferences)",
    );
  }
  return compiled;
}

export const linearRegExp: RegExpEngine = Object.assign((pattern: string): RegExpLike => compileLinear(pattern), {
  code: "linearRegExp",
});

/**
 * For schema versions already stored: a pattern RE2 cannot take falls back to
 * JavaScript's RegExp, so a version accepted before patterns were linear still loads.
 * New registrations use `linearRegExp` and never reach this fallback.
 */
export const linearRegExpOrNative: RegExpEngine = Object.assign(
  (pattern: string, u: string): RegExpLike => {
    try {
      return compileLinear(pattern);
    } catch {
      return new RegExp(pattern, u);
    }
  },
  { code: "linearRegExpOrNative" },
);
