import { section } from "./setting.ts";

/** Who may use a broker's client listeners (HTTP; later Kafka SASL). */
export const AUTH = section({
  auth: {
    kind: "choice",
    flag: "auth",
    hint: "none|token",
    choices: ["none", "token"] as const,
    default: "none",
    help: "client authentication: none, or token (HTTP clients send Authorization: Bearer <token>)",
  },
  adminTokenFile: {
    kind: "text",
    flag: "admin-token-file",
    hint: "path",
    defaultText: "<data-dir>/admin-token with --auth=token",
    help: "file holding the admin's API token (User:admin, allowed everything); created, readable by its owner only, when missing",
  },
});

/** The file name of the admin token when --admin-token-file names none. */
export const DEFAULT_ADMIN_TOKEN_FILE = "admin-token";
