// Which pages a session recording may show (replay.ts). The mark is on the document element, so
// that rrweb, which looks for it on a node and its ancestors when it records the node, finds it
// for everything on the page; `markPrivacy` sets it in a layout effect of each route change,
// before the new page's nodes are recorded.

/** Text under an element with this attribute is recorded as `*`. */
export const PRIVATE_ATTRIBUTE = "data-private";
/** An element with this attribute is recorded as an empty box of its size. */
export const BLOCK_ATTRIBUTE = "data-replay-block";

/** Pages that show who the shopper is: their account, their address, their orders. */
const PRIVATE = ["/account/", "/checkout/", "/order/"];
/** The back office shows other people's data: it is not recorded at all. */
const BLOCKED = ["/admin/"];

const under = (pathname: string, prefixes: string[]) => {
  const path = pathname.endsWith("/") ? pathname : `${pathname}/`;
  return prefixes.some((p) => path.startsWith(p));
};

/**
 * Pages whose address can carry a secret: the token of an admin's invitation or of a password
 * reset, from a mail, in the query. CloudWatch RUM's client records nothing on them
 * (cloudwatch-rum.ts); the shop's own telemetry never sends a query at all (page.ts).
 */
export const TOKEN_PAGES = ["/admin/invitation/", "/account/reset-password/"];

export const isBlockedRoute = (pathname: string) => under(pathname, BLOCKED);
export const isPrivateRoute = (pathname: string) => under(pathname, PRIVATE) || isBlockedRoute(pathname);

/** Marks the document for the page at `pathname`. */
export function markPrivacy(pathname: string): void {
  const root = document.documentElement;
  root.toggleAttribute(PRIVATE_ATTRIBUTE, isPrivateRoute(pathname));
  root.toggleAttribute(BLOCK_ATTRIBUTE, isBlockedRoute(pathname));
}
