// Where the shopper is: the page's path and its Next.js route, as attributes on spans, log
// records and the Web Vitals.
//
// - `url.path` is `location.pathname` and nothing else: the query string can hold what a shopper
//   typed (a search) and is never sent. (Ids in the query are harmless, but one rule is easier
//   to keep than a list of safe parameters.)
// - `page.route` is the route (the app's folder under src/app): `/product/` for every product,
//   since this static export keeps ids in the query (docs/web.md). A path the app has no page for
//   is `/404`, so that the route stays one of a few known values: metrics may use it as a
//   dimension only because it is bounded.

/** Every route of the app (src/app/**\/page.tsx), with the export's trailing slash. */
export const ROUTES = [
  "/",
  "/account/",
  "/account/forgot-password/",
  "/account/login/",
  "/account/order/",
  "/account/orders/",
  "/account/register/",
  "/account/reset-password/",
  "/admin/",
  "/admin/admins/",
  "/admin/audit/",
  "/admin/batch/",
  "/admin/categories/",
  "/admin/import/",
  "/admin/inventory/",
  "/admin/invitation/",
  "/admin/login/",
  "/admin/order/",
  "/admin/orders/",
  "/admin/product/",
  "/admin/products/",
  "/admin/sessions/",
  "/admin/stock/",
  "/cart/",
  "/categories/",
  "/category/",
  "/checkout/",
  "/lab/",
  "/lab/faults/",
  "/order/",
  "/product/",
  "/search/",
] as const;

export type Route = (typeof ROUTES)[number] | "/404";

/** The route that serves `pathname` (`/product/` for `/product/`; `/404` for an unknown path). */
export function routeOf(pathname: string): Route {
  const path = pathname.endsWith("/") ? pathname : `${pathname}/`;
  return (ROUTES as readonly string[]).includes(path) ? (path as Route) : "/404";
}

/** The page's attributes now: its path (never the query) and route. */
export function pageAttributes(): { "url.path": string; "page.route": Route } {
  return { "url.path": location.pathname, "page.route": routeOf(location.pathname) };
}

/** `url` without its query string and fragment (absolute or relative; returned as given otherwise). */
export function withoutQuery(url: string): string {
  const cut = url.search(/[?#]/);
  return cut === -1 ? url : url.slice(0, cut);
}

// The routes this document showed, with the time (performance.now()) each was entered: a Web
// Vital measured at some moment (an interaction for INP, the largest layout shift for CLS)
// belongs to the route that was on screen then, even after client-side navigation moved on.
const visits: { at: number; route: Route }[] = [];

/** Notes that `route` is on screen from now on (the first call is the landing page). */
export function enterRoute(route: Route): void {
  if (visits.at(-1)?.route !== route) visits.push({ at: performance.now(), route });
}

/** The route on screen at `time` (performance.now() units); the landing route before any visit. */
export function routeAt(time: number): Route {
  let found = visits[0]?.route ?? routeOf(location.pathname);
  for (const v of visits) {
    if (v.at <= time) found = v.route;
    else break;
  }
  return found;
}
