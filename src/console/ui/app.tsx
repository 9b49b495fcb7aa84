import { Component, type ComponentChildren } from "preact";
import { readToken } from "../api.ts";
import { tabToken } from "../token-store.ts";
import { type Route, routeHref } from "../route.ts";
import { GroupsView, GroupView } from "./groups.tsx";
import { LoginView, SessionControls } from "./login.tsx";
import { useRoute } from "./navigation.ts";
import { OverviewView } from "./overview.tsx";
import { SchemasView } from "./schemas.tsx";
import { SettingsView } from "./settings.tsx";
import { TopicView } from "./topic.tsx";
import { TopicsView } from "./topics.tsx";
import { useSession } from "./use-session.ts";

const NAV: Array<{ label: string; route: Route; match: Route["view"][] }> = [
  { label: "Overview", route: { view: "overview" }, match: ["overview"] },
  { label: "Topics", route: { view: "topics" }, match: ["topics", "topic"] },
  { label: "Consumer groups", route: { view: "groups" }, match: ["groups", "group"] },
  { label: "Schemas", route: { view: "schemas", topic: null }, match: ["schemas"] },
  { label: "Token", route: { view: "settings" }, match: ["settings"] },
];

/** A view that throws is replaced by its error, not a blank page. */
class ErrorBoundary extends Component<{ children: ComponentChildren; resetKey: string }, { error: Error | null; key: string }> {
  override state = { error: null as Error | null, key: this.props.resetKey };

  static override getDerivedStateFromProps(props: { resetKey: string }, state: { key: string }) {
    return props.resetKey === state.key ? null : { error: null, key: props.resetKey };
  }

  override componentDidCatch(error: unknown): void {
    this.setState({ error: error instanceof Error ? error : new Error(String(error)) });
  }

  override render() {
    if (this.state.error !== null)
      return (
        <div class="error" role="alert">
          <strong>This view failed</strong>
          <div>{this.state.error.message}</div>
        </div>
      );
    return this.props.children;
  }
}

function View({ route }: { route: Route }) {
  switch (route.view) {
    case "overview":
      return <OverviewView />;
    case "topics":
      return <TopicsView />;
    case "topic":
      return <TopicView key={route.topic} topic={route.topic} messages={route.messages} />;
    case "groups":
      return <GroupsView />;
    case "group":
      return <GroupView key={route.group} group={route.group} />;
    case "schemas":
      return <SchemasView topic={route.topic} />;
    case "settings":
      return <SettingsView />;
    case "not-found":
      return (
        <section>
          <h1>Not found</h1>
          <p>
            Nothing lives at <code>{route.path}</code>. <a href="/console">Back to the overview</a>.
          </p>
        </section>
      );
  }
}

export function App() {
  const route = useRoute();
  const session = useSession();
  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <a class="brand" href="/console">
          StreamNest
        </a>
        <nav aria-label="Console">
          {NAV.map((n) => (
            <a key={n.label} href={routeHref(n.route)} aria-current={n.match.includes(route.view) ? "page" : undefined}>
              {n.label}
              {n.route.view === "settings" && readToken() !== null ? " ✓" : ""}
            </a>
          ))}
        </nav>
        <a class="api-link" href="/swagger">
          API
        </a>
        <SessionControls />
      </header>
      {tabToken.refused() !== null ? (
        <p class="notice" role="status" data-testid="storage-refused">
          This browser does not let the console store data: a token you enter is kept only until the page is reloaded.
        </p>
      ) : null}
      <main id="main" tabIndex={-1}>
        {session.loginNeeded !== null ? (
          <LoginView reason={session.loginNeeded} tokenRefused={session.tokenRefused} notice={session.notice} />
        ) : (
          // keyed by the login epoch: after a login or logout every view loads again with the new token
          <ErrorBoundary key={session.epoch} resetKey={routeHref(route)}>
            <View route={route} />
          </ErrorBoundary>
        )}
      </main>
    </>
  );
}
