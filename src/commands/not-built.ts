import { consola } from "consola";

/** Said plainly by a subcommand whose issue has not landed yet. */
export function notBuiltYet(name: string): never {
  consola.error(`\`streamnest ${name}\` is not built yet.`);
  process.exit(1);
}
