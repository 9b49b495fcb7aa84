import { useEffect, useState } from "preact/hooks";
import { parseRoute, type Route, routeHref } from "../route.ts";

/** Client-side navigation under /console: history entries, back/forward, and the current route. */

const CHANGE = "streamnest:navigate";

export function navigate(href: string, replace = false): void {
  if (href === location.pathname + location.search) return;
  if (replace) history.replaceState(null, "", href);
  else history.pushState(null, "", href);
  window.dispatchEvent(new Event(CHANGE));
}

export function go(route: Route, replace = false): void {
  navigate(routeHref(route), replace);
}

export function currentRoute(): Route {
  return parseRoute(location.pathname, location.search);
}

export function useRoute(): Route {
  const [route, setRoute] = useState<Route>(currentRoute);
  useEffect(() => {
    const update = (): void => setRoute(currentRoute());
    window.addEventListener("popstate", update);
    window.addEventListener(CHANGE, update);
    return () => {
      window.removeEventListener("popstate", update);
      window.removeEventListener(CHANGE, update);
    };
  }, []);
  return route;
}

/**
 * Follows same-page links without reloading: a plain left click on an <a> under
 * /console. Modified clicks (new tab, …) keep the browser's behaviour.
 */
export function interceptLinks(root: HTMLElement): void {
  root.addEventListener("click", (event) => {
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    const target = event.target instanceof Element ? event.target.closest("a") : null;
    if (target === null || target.target !== "" || target.hasAttribute("download")) return;
    const url = new URL(target.href, location.href);
    if (url.origin !== location.origin || !url.pathname.startsWith("/console")) return;
    event.preventDefault();
    navigate(url.pathname + url.search);
  });
}
