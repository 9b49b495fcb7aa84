import type { Broker } from "../broker/broker.ts";
import type { RequestCounter } from "./respond.ts";
import type { RequestAccess } from "./client-auth.ts";

/** What every resource's routes are built with. */
export interface RouteContext {
  broker: Broker;
  requests: RequestCounter;
  /** With client authentication on: who asked, and what of a list they may see. */
  access?: RequestAccess;
}
