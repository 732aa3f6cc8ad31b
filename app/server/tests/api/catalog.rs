//! Catalog: listing, filters, sorting, pagination, search, categories, stock
//! status (C-BROWSE-01/02/03/04/05/07), and the health check (O-ALERT-01).

use crate::db_tests;
use crate::support::*;

db_tests! {
    async fn health_reports_the_database(app) {
        let body = app.get_json("/api/health", 200).await;
        assert_eq!(body["status"], "ok");
        assert_eq!(body["database"]["status"], "ok");
        let system = body["database"]["system"].as_str().unwrap();
        match app.kind {
            DbKind::Sqlite => assert_eq!(system, "sqlite"),
            DbKind::Mysql => assert!(system == "mariadb" || system == "mysql", "{system}"),
        }
    }

    async fn health_is_503_when_the_database_is_down(app) {
        app.db.pool().close().await;
        let body = app.get_json("/api/health", 503).await;
        assert_eq!(body["status"], "unavailable");
        assert_eq!(body["database"]["status"], "unavailable");
        assert!(body["database"]["error"].as_str().is_some());
        // Other endpoints say so too, as a JSON 503 (not a hang, not a panic).
        let r = app.get("/api/products").await;
        expect_error(r, 503, "service_unavailable", None).await;
    }

    async fn the_seeded_catalog_is_realistic(app) {
        let cats = app.get_json("/api/categories", 200).await;
        let cats = cats["items"].as_array().unwrap();
        assert!(cats.len() >= 10, "{} categories", cats.len());
        let page = app.get_json("/api/products?per_page=100", 200).await;
        assert!(page["total"].as_i64().unwrap() >= 200);
        assert_eq!(page["total_pages"], (page["total"].as_i64().unwrap() + 99) / 100);
        // Some stock is low and some is zero, and the status says so.
        let mut statuses = std::collections::HashMap::new();
        for p in 1..=3 {
            let page = app.get_json(&format!("/api/products?per_page=100&page={p}"), 200).await;
            for item in page["items"].as_array().unwrap() {
                let status = item["stock"]["status"].as_str().unwrap().to_owned();
                let q = item["stock"]["quantity"].as_i64().unwrap();
                match status.as_str() {
                    "out_of_stock" => assert_eq!(q, 0),
                    "low_stock" => assert!((1..=item["stock"]["low_stock_threshold"].as_i64().unwrap()).contains(&q)),
                    "in_stock" => assert!(q > item["stock"]["low_stock_threshold"].as_i64().unwrap()),
                    s => panic!("unknown status {s}"),
                }
                *statuses.entry(status).or_insert(0) += 1;
            }
        }
        assert!(statuses["out_of_stock"] > 0 && statuses["low_stock"] > 0 && statuses["in_stock"] > 100, "{statuses:?}");
    }

    async fn pagination_covers_every_product_once(app) {
        let mut seen = std::collections::HashSet::new();
        let first = app.get_json("/api/products?per_page=50&sort=price_asc", 200).await;
        let total = first["total"].as_i64().unwrap();
        for page in 1..=first["total_pages"].as_i64().unwrap() {
            let body = app.get_json(&format!("/api/products?per_page=50&page={page}&sort=price_asc"), 200).await;
            assert_eq!(body["page"], page);
            for item in body["items"].as_array().unwrap() {
                assert!(seen.insert(item["id"].as_i64().unwrap()), "duplicate {item}");
            }
        }
        assert_eq!(seen.len() as i64, total);
        let past = app.get_json("/api/products?per_page=50&page=99", 200).await;
        assert_eq!(past["items"].as_array().unwrap().len(), 0);
    }

    async fn sorting_and_price_filters(app) {
        let body = app.get_json("/api/products?sort=price_desc&min_price=1000&max_price=5000&per_page=100", 200).await;
        let prices: Vec<i64> = body["items"].as_array().unwrap().iter().map(|p| p["price_cents"].as_i64().unwrap()).collect();
        assert!(!prices.is_empty());
        assert!(prices.iter().all(|p| (1000..=5000).contains(p)), "{prices:?}");
        assert!(prices.windows(2).all(|w| w[0] >= w[1]), "{prices:?}");
        let asc = app.get_json("/api/products?sort=name_asc&per_page=30", 200).await;
        let names: Vec<String> = asc["items"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap().to_owned()).collect();
        let mut sorted = names.clone();
        sorted.sort();
        assert_eq!(names, sorted);
        let in_stock = app.get_json("/api/products?in_stock=true&per_page=100", 200).await;
        assert!(in_stock["items"].as_array().unwrap().iter().all(|p| p["stock"]["quantity"].as_i64().unwrap() > 0));
        assert!(in_stock["total"].as_i64().unwrap() < app.get_json("/api/products", 200).await["total"].as_i64().unwrap());
    }

    async fn product_detail_has_stock_status(app) {
        app.set_stock(7, 3).await;
        let p = app.get_json("/api/products/7", 200).await;
        assert_eq!(p["id"], 7);
        assert!(p["description"].as_str().unwrap().len() > 10);
        assert_eq!(p["stock"]["quantity"], 3);
        assert_eq!(p["stock"]["status"], "low_stock");
        app.set_stock(7, 0).await;
        assert_eq!(app.get_json("/api/products/7", 200).await["stock"]["status"], "out_of_stock");
        expect_error(app.get("/api/products/99999").await, 404, "not_found", None).await;
        expect_error(app.get("/api/products/abc").await, 400, "validation_failed", Some("id")).await;
        expect_error(app.get("/api/products/99999999999999999999999").await, 400, "validation_failed", Some("id")).await;
    }

    async fn categories_include_their_sub_categories(app) {
        let cats = app.get_json("/api/categories", 200).await;
        let cats = cats["items"].as_array().unwrap().clone();
        let dept = cats.iter().find(|c| c["parent_id"].is_null()).unwrap();
        let dept_id = dept["id"].as_i64().unwrap();
        let subs: Vec<_> = cats.iter().filter(|c| c["parent_id"] == dept_id).collect();
        assert!(!subs.is_empty());
        let sum: i64 = subs.iter().map(|c| c["product_count"].as_i64().unwrap()).sum();
        assert_eq!(dept["product_count"].as_i64().unwrap(), sum);

        let body = app.get_json(&format!("/api/categories/{dept_id}/products?per_page=100"), 200).await;
        assert_eq!(body["total"].as_i64().unwrap(), sum);
        let sub_ids: Vec<i64> = subs.iter().map(|c| c["id"].as_i64().unwrap()).collect();
        assert!(body["items"].as_array().unwrap().iter().all(|p| sub_ids.contains(&p["category"]["id"].as_i64().unwrap())));

        let sub = sub_ids[0];
        let only = app.get_json(&format!("/api/products?category_id={sub}&per_page=100"), 200).await;
        assert!(only["items"].as_array().unwrap().iter().all(|p| p["category"]["id"] == sub));

        expect_error(app.get("/api/categories/9999/products").await, 404, "not_found", None).await;
        expect_error(app.get("/api/products?category_id=9999").await, 400, "validation_failed", Some("category_id")).await;
        expect_error(app.get(&format!("/api/categories/{sub}/products?category_id=1")).await, 400, "validation_failed", Some("category_id")).await;
    }

    async fn search_matches_name_and_description(app) {
        let body = app.get_json("/api/products/search?q=TENT", 200).await;
        let items = body["items"].as_array().unwrap();
        assert!(!items.is_empty());
        for p in items {
            let text = format!("{} {}", p["name"], p["description"]).to_lowercase();
            assert!(text.contains("tent"), "{p}");
        }
        // Name matches rank first.
        assert!(items[0]["name"].as_str().unwrap().to_lowercase().contains("tent"));
        // Wildcards are literal.
        let none = app.get_json("/api/products/search?q=%25%25_", 200).await;
        assert_eq!(none["total"], 0);
        let quote = app.get_json("/api/products/search?q=%27%20OR%201%3D1%20--", 200).await;
        assert_eq!(quote["total"], 0);
        expect_error(app.get("/api/products/search").await, 400, "validation_failed", Some("q")).await;
        expect_error(app.get("/api/products/search?q=%20%20").await, 400, "validation_failed", Some("q")).await;
        let long = "x".repeat(101);
        expect_error(app.get(&format!("/api/products/search?q={long}")).await, 400, "validation_failed", Some("q")).await;
    }

    async fn listing_parameters_are_validated(app) {
        for (query, field) in [
            ("per_page=0", "per_page"),
            ("per_page=101", "per_page"),
            ("per_page=abc", "per_page"),
            ("page=0", "page"),
            ("page=-1", "page"),
            ("min_price=-5", "min_price"),
            ("min_price=500&max_price=100", "min_price"),
            ("sort=cheapest", "sort"),
            ("sort=relevance", "sort"),
            ("in_stock=maybe", "in_stock"),
            ("colour=red", "colour"),
        ] {
            let r = app.get(&format!("/api/products?{query}")).await;
            expect_error(r, 400, "validation_failed", Some(field)).await;
        }
    }
}
