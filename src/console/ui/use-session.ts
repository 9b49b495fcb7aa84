import { useEffect, useState } from "preact/hooks";
import { type SessionState, session } from "../session.ts";

/** The login state, re-rendering on each change. */
export function useSession(): SessionState {
  const [state, setState] = useState(session.get());
  useEffect(() => {
    setState(session.get());
    return session.subscribe(setState);
  }, []);
  return state;
}
