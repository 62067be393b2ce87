// The front door's routing table: path prefix → the service's base URL, from the environment.
import { portSetting } from "@bat/http/settings";

/** Each public path prefix, the service behind it, and that service's default port (DESIGN §2). */
export const SERVICES = [
  { prefix: "/users", name: "users", portEnv: "USERS_PORT", defaultPort: 3001 },
  { prefix: "/cinemas", name: "cinemas", portEnv: "CINEMAS_PORT", defaultPort: 3002 },
  { prefix: "/movies", name: "movies", portEnv: "MOVIES_PORT", defaultPort: 3003 },
  { prefix: "/screenings", name: "screenings", portEnv: "SCREENINGS_PORT", defaultPort: 3004 },
  { prefix: "/tickets", name: "booking", portEnv: "BOOKING_PORT", defaultPort: 3005 },
  { prefix: "/payments", name: "payments", portEnv: "PAYMENTS_PORT", defaultPort: 3006 },
  { prefix: "/notifications", name: "notifications", portEnv: "NOTIFICATIONS_PORT", defaultPort: 3007 },
] as const;

export interface Route {
  readonly prefix: string;
  readonly service: string;
  /** Base URL requests are forwarded to, e.g. http://127.0.0.1:3005. */
  readonly upstream: string;
}

/**
 * Routes from the environment: `<NAME>_URL` (a full base URL) wins, else
 * `http://<UPSTREAM_HOST or 127.0.0.1>:<NAME>_PORT`, else the default port.
 */
export const routesFromEnv = (env: Record<string, string | undefined>): Route[] => {
  const host = env.UPSTREAM_HOST ?? "127.0.0.1";
  return SERVICES.map(({ prefix, name, portEnv, defaultPort }) => {
    const urlEnv = portEnv.replace(/_PORT$/, "_URL");
    const port = portSetting(env, portEnv, defaultPort);
    return { prefix, service: name, upstream: (env[urlEnv] ?? `http://${host}:${port}`).replace(/\/+$/, "") };
  });
};

/** The route whose prefix is the path's first segment (`/tickets` and `/tickets/...`, not `/ticketsx`). */
export const matchRoute = (routes: readonly Route[], pathname: string): Route | undefined => {
  const slash = pathname.indexOf("/", 1);
  const first = slash === -1 ? pathname : pathname.slice(0, slash);
  return routes.find((route) => route.prefix === first);
};
