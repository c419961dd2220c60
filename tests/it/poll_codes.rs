//! Polls' short codes (contract v3): every poll has one, in every poll body; `GET
//! /api/polls/{code}` reads the poll as `GET /api/polls/{id}` does, with the same visibility;
//! unknown codes are 404 and what is no code at all is 400; concurrent creations never share one.

use std::collections::HashSet;

use crate::common::{TestApp, assert_error};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::PgPool;

/// The rooms' alphabet: no 0/O, no 1/I/L.
fn is_code(c: &str) -> bool {
    c.len() == 6
        && c.bytes()
            .all(|b| b"ABCDEFGHJKMNPQRSTUVWXYZ23456789".contains(&b))
}

fn code_of(poll: &Value) -> String {
    poll["code"].as_str().expect("code").to_string()
}

async fn server(pool: PgPool) -> TestApp {
    let mut config = crate::common::test_config(&crate::common::fresh_prefix());
    config.limits.polls_per_account_per_minute = 1_000;
    config.limits.account_writes_per_minute = 1_000;
    crate::common::spawn_app_with(pool, config).await
}

#[sqlx::test]
async fn a_poll_has_a_code_in_every_body_and_is_read_by_it_in_any_case(pool: PgPool) {
    let app = &server(pool).await;
    let alice = app.register("Alice").await;
    let poll = app
        .create_poll(
            &alice,
            json!({"question": "Zanzibar or Zurich?", "options": ["Zanzibar", "Zurich"]}),
        )
        .await;
    let code = code_of(&poll);
    assert!(is_code(&code), "{code}");

    for path in [
        format!("/api/polls/{code}"),
        format!("/api/polls/{}", code.to_lowercase()),
    ] {
        let (s, b) = app.get(None, &path).await;
        assert_eq!(s, StatusCode::OK, "{path}: {b}");
        assert_eq!(b["poll"]["id"], poll["id"], "{path}");
        assert_eq!(b["poll"]["code"], code.as_str());
        assert_eq!(b["poll"]["options"], poll["options"]);
    }
    let (s, b) = app
        .get(
            None,
            &format!("/api/polls/{}", poll["id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(b["poll"]["code"], code.as_str());

    // Lists and search show it too, so a list's link can use it.
    for path in [
        "/api/polls?sort=recent".to_string(),
        "/api/polls/search?q=zanzibar".to_string(),
        format!("/api/users/{}/polls", alice.id),
    ] {
        let (s, b) = app.get(None, &path).await;
        assert_eq!(s, StatusCode::OK, "{path}: {b}");
        let listed = b["polls"]
            .as_array()
            .and_then(|ps| ps.iter().find(|p| p["id"] == poll["id"]))
            .unwrap_or_else(|| panic!("{path} lists the poll: {b}"));
        assert_eq!(listed["code"], code.as_str(), "{path}");
    }
    // A vote's answer is the poll with its code.
    let (s, b) = app
        .vote(
            &alice,
            &poll["id"].as_str().unwrap(),
            json!([poll["options"][0]["id"]]),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["poll"]["code"], code.as_str());
}

#[sqlx::test]
async fn an_unknown_code_is_404_and_what_is_no_code_is_400(pool: PgPool) {
    let app = &server(pool).await;
    let alice = app.register("Alice").await;
    let poll = app
        .create_poll(&alice, json!({"question": "Q?", "options": ["a", "b"]}))
        .await;
    let code = code_of(&poll);
    // A well-formed code no poll has.
    let other = if code == "AAAAAA" { "BBBBBB" } else { "AAAAAA" };
    let (s, b) = app.get(None, &format!("/api/polls/{other}")).await;
    assert_error(s, &b, StatusCode::NOT_FOUND, "poll_not_found");
    // Look-alikes, wrong lengths, junk: neither an id nor a code.
    for bad in [
        "K0M2QX",
        "KIM2QX",
        "K7M2Q",
        "K7M2QXY",
        "not-a-poll",
        "%20%20",
    ] {
        let (s, b) = app.get(None, &format!("/api/polls/{bad}")).await;
        assert_error(s, &b, StatusCode::BAD_REQUEST, "malformed_request");
    }
    // A deleted poll's code is gone with it.
    let (s, _) = app
        .call(
            "DELETE",
            &format!("/api/polls/{}", poll["id"].as_str().unwrap()),
            &alice,
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, b) = app.get(None, &format!("/api/polls/{code}")).await;
    assert_error(s, &b, StatusCode::NOT_FOUND, "poll_not_found");
}

#[sqlx::test]
async fn a_draft_is_as_hidden_by_code_as_by_id_and_an_unlisted_poll_as_open(pool: PgPool) {
    let app = &server(pool).await;
    let alice = app.register("Alice").await;
    let bob = app.register("Bob").await;
    let draft = app
        .create_poll(
            &alice,
            json!({"question": "Draft?", "options": ["a", "b"], "publish": false}),
        )
        .await;
    let by_code = format!("/api/polls/{}", code_of(&draft).to_lowercase());
    let (s, b) = app.get_poll(&bob, &code_of(&draft).to_lowercase()).await;
    assert_error(s, &b, StatusCode::NOT_FOUND, "poll_not_found");
    let (s, b) = app.get(None, &by_code).await;
    assert_error(s, &b, StatusCode::NOT_FOUND, "poll_not_found");
    let (s, b) = app.get_poll(&alice, &code_of(&draft).to_lowercase()).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["poll"]["status"], "draft");

    // Published, Bob reads it by code, with the code unchanged.
    let (s, _) = app
        .call(
            "POST",
            &format!("/api/polls/{}/publish", draft["id"].as_str().unwrap()),
            &alice,
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, b) = app.get_poll(&bob, &code_of(&draft).to_lowercase()).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["poll"]["code"], draft["code"]);

    let unlisted = app
        .create_poll(
            &alice,
            json!({"question": "Unlisted?", "options": ["a", "b"], "is_public": false}),
        )
        .await;
    let (s, b) = app
        .get(None, &format!("/api/polls/{}", code_of(&unlisted)))
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["poll"]["id"], unlisted["id"]);
}

#[sqlx::test]
async fn concurrent_creations_get_distinct_codes_and_seeded_rows_get_one_too(pool: PgPool) {
    let app = &server(pool.clone()).await;
    let mut people = Vec::new();
    for n in 0..4 {
        people.push(app.register(&format!("Maker{n}")).await);
    }
    let made = futures::future::join_all((0..40).map(|i| {
        let who = &people[i % people.len()];
        app.create_poll(
            who,
            json!({"question": format!("Poll {i}?"), "options": ["a", "b"]}),
        )
    }))
    .await;
    let codes: HashSet<String> = made.iter().map(code_of).collect();
    assert_eq!(codes.len(), 40, "{codes:?}");
    assert!(codes.iter().all(|c| is_code(c)), "{codes:?}");
    // Each reads back as its own poll.
    for p in made.iter().take(5) {
        let (s, b) = app.get(None, &format!("/api/polls/{}", code_of(p))).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(b["poll"]["id"], p["id"]);
    }

    // Rows written without a code (seeds, scripts) are given one by Postgres, of the same kind.
    let seeded: Vec<(uuid::Uuid, String)> = sqlx::query_as(
        "INSERT INTO polls (id, creator_id, question, status, max_choices) \
         SELECT gen_random_uuid(), $1, 'Seeded ' || g, 'open', 1 FROM generate_series(1, 300) g \
         RETURNING id, code",
    )
    .bind(people[0].id)
    .fetch_all(&pool)
    .await
    .expect("seed");
    let seeded_codes: HashSet<&str> = seeded.iter().map(|(_, c)| c.as_str()).collect();
    assert_eq!(seeded_codes.len(), 300);
    assert!(seeded_codes.iter().all(|c| is_code(c)));
    // And Postgres refuses a code of another shape or one already taken.
    let taken = code_of(&made[0]);
    for bad in ["abcdef", "K0M2QX", taken.as_str()] {
        let res = sqlx::query(
            "INSERT INTO polls (id, creator_id, question, status, max_choices, code) \
             VALUES (gen_random_uuid(), $1, 'Bad code', 'open', 1, $2)",
        )
        .bind(people[0].id)
        .bind(bad)
        .execute(&pool)
        .await;
        assert!(res.is_err(), "{bad} was accepted");
    }
}
