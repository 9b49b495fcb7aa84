import type { Broker } from "../broker/broker.ts";
import type { RequestCounter } from "./respond.ts";

/** What every resource's routes are built with. */
export interface RouteContext {
  broker: Broker;
  requests: RequestCounter;
}
