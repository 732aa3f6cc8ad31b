//! The UI's pages, the only `page.route` values the intake keeps.
//!
//! A metric dimension from a browser must be bounded, or one script could
//! create millions of CloudWatch metrics (each billed per month). The UI's
//! routes are fixed paths (ids travel in query strings, `/product/?id=7`),
//! so they are a closed list: any other value becomes `other`. A unit test
//! checks the list against the pages in `app/web/src/app`.

/// Every page of the static export, as Next.js names its route.
pub const ROUTES: &[&str] = &[
    "/",
    // What the UI calls any path it has no page for.
    "/404",
    "/account/",
    "/account/forgot-password/",
    "/account/login/",
    "/account/order/",
    "/account/orders/",
    "/account/register/",
    "/account/reset-password/",
    // The back office.
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
];

/// `route` when it is one of the UI's pages, else `other`.
pub fn bounded(route: &str) -> &'static str {
    ROUTES
        .iter()
        .copied()
        .find(|r| *r == route)
        .unwrap_or("other")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    /// The routes of the `page.tsx` files under `dir` (Next.js's App Router:
    /// a folder is a path segment; `(group)` folders are not).
    fn pages(dir: &Path, route: &str, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if path.is_dir() {
                let next = if name.starts_with('(') {
                    route.to_owned()
                } else {
                    format!("{route}{name}/")
                };
                pages(&path, &next, out);
            } else if name == "page.tsx" {
                out.push(route.to_owned());
            }
        }
    }

    #[test]
    fn every_page_of_the_ui_is_a_known_route() {
        let app = Path::new(env!("CARGO_MANIFEST_DIR")).join("../web/src/app");
        let mut found = Vec::new();
        pages(&app, "/", &mut found);
        assert!(found.contains(&"/".to_owned()), "{found:?}");
        for page in &found {
            assert!(
                ROUTES.contains(&page.as_str()),
                "the UI has a page {page} that rum::routes::ROUTES does not list: add it"
            );
        }
    }

    /// The browser's own list (`app/web/src/telemetry/page.ts`, which names a page view's route)
    /// must be this one: a route only one side knows is `other` on the shop or `/404` in the
    /// browser.
    #[test]
    fn the_browsers_route_list_is_this_one() {
        let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("../web/src/telemetry/page.ts");
        let text = std::fs::read_to_string(&file).unwrap();
        let start = text
            .find("export const ROUTES = [")
            .expect("page.ts declares ROUTES");
        let end = start + text[start..].find("] as const").expect("ROUTES ends");
        let browser: Vec<&str> = text[start..end].split('"').skip(1).step_by(2).collect();
        // The browser's `/404` is its type's, not its list's.
        let shop: Vec<&str> = ROUTES.iter().copied().filter(|r| *r != "/404").collect();
        assert_eq!(
            browser, shop,
            "page.ts's ROUTES and rum::routes::ROUTES differ"
        );
    }

    /// Every link the shop's mails carry (`{{ shop_url }}/…`) opens a page of the UI.
    #[test]
    fn every_link_in_a_mail_is_a_page_of_the_ui() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../core/templates/mail");
        let mut links = 0;
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let text = std::fs::read_to_string(&path).unwrap();
            for rest in text.split("{{ shop_url }}").skip(1) {
                let page = rest
                    .split(['?', '"', ' ', '\n', '{'])
                    .next()
                    .unwrap_or_default();
                assert!(
                    ROUTES.contains(&page) && page != "/404",
                    "{} links to {page}, which is no page of the UI",
                    path.display()
                );
                links += 1;
            }
        }
        assert!(links >= 8, "only {links} links found in {}", dir.display());
    }

    #[test]
    fn anything_else_is_other() {
        assert_eq!(bounded("/checkout/"), "/checkout/");
        assert_eq!(bounded("/checkout"), "other");
        assert_eq!(bounded("/product/?id=1"), "other");
    }
}
