//! Poll and site statistics and the feed (issue 12) over real HTTP and Socket.IO: a creator's
//! stats (votes by hour, voters, likes, views, first and last vote) and who may read them; the
//! site's totals over public, published polls only; `subscribe_feed` and `poll_created` for new
//! public polls, across two nodes, never for drafts or unlisted polls.

use crate::common::api::{option_id, poll_id};
use crate::common::{
    Player, TestApp, assert_error, socket::Sock, spawn_app, spawn_app_with, test_config,
};
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use sqlx::PgPool;

async fn vote(app: &TestApp, who: &Player, poll: &Value, options: Value) {
    let (s, b) = app.vote(who, poll_id(poll), options).await;
    assert_eq!(s, StatusCode::OK, "{b}");
}

async fn like(app: &TestApp, who: &Player, poll: &Value) {
    let (s, b) = app.like(who, poll_id(poll)).await;
    assert_eq!(s, StatusCode::OK, "{b}");
}

async fn read(app: &TestApp, who: Option<&Player>, poll: &Value) {
    let mut req =
        Client::new().get(app.url(&format!("/api/polls/{}", poll["id"].as_str().expect("id"))));
    if let Some(p) = who {
        req = req.bearer_auth(&p.token);
    }
    assert_eq!(req.send().await.expect("get").status(), StatusCode::OK);
}

async fn stats_of(app: &TestApp, who: &Player, poll: &Value) -> (StatusCode, Value) {
    let path = format!("/api/polls/{}/stats", poll["id"].as_str().expect("id"));
    app.call("GET", &path, who, None).await
}

async fn site(app: &TestApp) -> Value {
    let res = Client::new()
        .get(app.url("/api/polls/stats"))
        .send()
        .await
        .expect("site stats");
    assert_eq!(res.status(), StatusCode::OK);
    res.json().await.expect("json")
}

fn ids(polls: &Value) -> Vec<String> {
    polls
        .as_array()
        .expect("array")
        .iter()
        .map(|p| p["id"].as_str().expect("id").to_string())
        .collect()
}

#[sqlx::test]
async fn a_creator_sees_votes_by_hour_voters_likes_and_views_and_nobody_else_does(pool: PgPool) {
    let app = spawn_app(pool).await;
    let alice = app.register("Alice").await;
    let bob = app.register("Bob").await;
    let cat = app.register("Cat").await;
    let poll = app
        .create_poll(
            &alice,
            json!({"question": "Tea or coffee?", "options": ["Tea", "Coffee"]}),
        )
        .await;

    // Before any vote: an empty history and no first or last vote.
    let (s, fresh) = stats_of(&app, &alice, &poll).await;
    assert_eq!(s, StatusCode::OK, "{fresh}");
    assert_eq!(fresh["votes_by_hour"], json!([]));
    assert_eq!(fresh["first_vote_at"], Value::Null);
    assert_eq!(fresh["last_vote_at"], Value::Null);
    assert_eq!(
        (fresh["voters"].as_i64(), fresh["views"].as_i64()),
        (Some(0), Some(0))
    );

    vote(&app, &bob, &poll, json!([option_id(&poll, 0)])).await;
    vote(&app, &cat, &poll, json!([option_id(&poll, 0)])).await;
    // A change of choice is not a new vote, but it is the latest voting.
    vote(&app, &cat, &poll, json!([option_id(&poll, 1)])).await;
    like(&app, &bob, &poll).await;
    // Views: three anonymous reads and one by Bob; the creator's own reads do not count.
    for _ in 0..3 {
        read(&app, None, &poll).await;
    }
    read(&app, Some(&bob), &poll).await;
    read(&app, Some(&alice), &poll).await;
    read(&app, Some(&alice), &poll).await;

    let stats = crate::common::eventually("the views to be counted", || async {
        let (s, b) = stats_of(&app, &alice, &poll).await;
        assert_eq!(s, StatusCode::OK, "{b}");
        (b["views"] == 4).then_some(b)
    })
    .await;
    assert_eq!(stats["voters"], 2, "{stats}");
    assert_eq!(stats["likes"], 1, "{stats}");
    let hours = stats["votes_by_hour"].as_array().expect("hours");
    // Two ballots cast (in one hour, or two if the test straddled the hour).
    let total: i64 = hours
        .iter()
        .map(|h| h["votes"].as_i64().expect("votes"))
        .sum();
    assert_eq!(total, 2, "{stats}");
    for h in hours {
        let hour: chrono::DateTime<chrono::Utc> =
            h["hour"].as_str().expect("hour").parse().expect("rfc 3339");
        assert_eq!(hour.timestamp() % 3600, 0, "{h}");
    }
    let first: chrono::DateTime<chrono::Utc> = stats["first_vote_at"]
        .as_str()
        .expect("first")
        .parse()
        .expect("time");
    let last: chrono::DateTime<chrono::Utc> = stats["last_vote_at"]
        .as_str()
        .expect("last")
        .parse()
        .expect("time");
    assert!(first < last, "{stats}");

    // Someone else's stats: 403; an unknown poll: 404; no token: 401.
    let (s, b) = stats_of(&app, &bob, &poll).await;
    assert_error(s, &b, StatusCode::FORBIDDEN, "not_creator");
    let unknown = json!({"id": uuid::Uuid::new_v4().to_string()});
    let (s, b) = stats_of(&app, &alice, &unknown).await;
    assert_error(s, &b, StatusCode::NOT_FOUND, "poll_not_found");
    let res = Client::new()
        .get(app.url(&format!(
            "/api/polls/{}/stats",
            poll["id"].as_str().expect("id")
        )))
        .send()
        .await
        .expect("stats");
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    // A draft of someone else stays hidden (404), as everywhere.
    let draft = app
        .create_poll(
            &alice,
            json!({"question": "Draft?", "options": ["A", "B"], "publish": false}),
        )
        .await;
    let (s, b) = stats_of(&app, &bob, &draft).await;
    assert_error(s, &b, StatusCode::NOT_FOUND, "poll_not_found");
}

#[sqlx::test]
async fn site_stats_count_public_published_polls_only(pool: PgPool) {
    let app = spawn_app(pool).await;
    let alice = app.register("Alice").await;
    let bob = app.register("Bob").await;
    let cat = app.register("Cat").await;
    let empty = site(&app).await;
    assert_eq!(empty["polls"], 0, "{empty}");
    assert_eq!(empty["top_categories"], json!([]), "{empty}");

    let open = app
        .create_poll(
            &alice,
            json!({"question": "Best planet?", "options": ["Mars", "Venus", "Earth"],
               "category": "science", "allow_multiple": true}),
        )
        .await;
    let closed = app.create_poll(&alice,
        json!({"question": "Best element?", "options": ["Gold", "Iron"], "category": "science"}),
    )
    .await;
    app.create_poll(
        &bob,
        json!({"question": "Best fruit?", "options": ["Apple", "Pear"], "category": "food"}),
    )
    .await;
    let unlisted = app
        .create_poll(
            &alice,
            json!({"question": "Secret?", "options": ["Yes", "No"], "is_public": false,
               "category": "food"}),
        )
        .await;
    let draft = app
        .create_poll(
            &alice,
            json!({"question": "Draft?", "options": ["Yes", "No"], "publish": false,
               "category": "food"}),
        )
        .await;
    let _ = draft;
    // Two ballots (three chosen options) and a like on public polls…
    vote(
        &app,
        &bob,
        &open,
        json!([option_id(&open, 0), option_id(&open, 1)]),
    )
    .await;
    vote(&app, &cat, &closed, json!([option_id(&closed, 0)])).await;
    like(&app, &bob, &open).await;
    let path = format!("/api/polls/{}/close", closed["id"].as_str().expect("id"));
    let (s, b) = app.call("POST", &path, &alice, None).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    // …and activity on the unlisted poll that must never count.
    vote(&app, &bob, &unlisted, json!([option_id(&unlisted, 0)])).await;
    vote(&app, &cat, &unlisted, json!([option_id(&unlisted, 1)])).await;
    like(&app, &bob, &unlisted).await;
    like(&app, &cat, &unlisted).await;

    // The list counters are written within a second and the stats cached for one.
    let stats = crate::common::eventually("the site stats to catch up", || async {
        let s = site(&app).await;
        (s["votes"] == 3 && s["voters"] == 2 && s["likes"] == 1).then_some(s)
    })
    .await;
    assert_eq!(stats["polls"], 3, "{stats}");
    assert_eq!(stats["open_polls"], 2, "{stats}");
    assert_eq!(stats["votes_last_24h"], 3, "{stats}");
    let top = stats["top_categories"].as_array().expect("categories");
    let top: Vec<(String, i64)> = top
        .iter()
        .map(|c| {
            (
                c["slug"].as_str().expect("slug").to_string(),
                c["poll_count"].as_i64().expect("count"),
            )
        })
        .collect();
    assert_eq!(
        top,
        vec![("science".to_string(), 2), ("food".to_string(), 1)],
        "{stats}"
    );
    // Both stats routes and the account change are described in the OpenAPI document.
    let spec: Value = Client::new()
        .get(app.url("/openapi.json"))
        .send()
        .await
        .expect("openapi")
        .json()
        .await
        .expect("json");
    for (path, method) in [
        ("/api/polls/stats", "get"),
        ("/api/polls/{id}/stats", "get"),
        ("/api/auth/me", "patch"),
    ] {
        assert!(spec["paths"][path][method].is_object(), "{method} {path}");
    }
}

#[sqlx::test]
async fn the_feed_sends_recent_public_polls_then_each_new_public_poll_across_nodes(pool: PgPool) {
    let a = spawn_app(pool.clone()).await;
    let b = spawn_app_with(pool, test_config(&a.prefix)).await;
    let alice = a.register("Alice").await;
    let before = a
        .create_poll(
            &alice,
            json!({"question": "Earlier?", "options": ["A", "B"]}),
        )
        .await;
    let hidden = a
        .create_poll(
            &alice,
            json!({"question": "Unlisted earlier?", "options": ["A", "B"], "is_public": false}),
        )
        .await;
    let draft_before = a
        .create_poll(
            &alice,
            json!({"question": "Draft earlier?", "options": ["A", "B"], "publish": false}),
        )
        .await;

    // Anonymous subscribers on node B; the polls are made on node A.
    let watcher = Sock::anonymous(&b.base).await;
    let leaver = Sock::anonymous(&b.base).await;
    for sock in [&watcher, &leaver] {
        let data = sock.ok("subscribe_feed", json!({})).await;
        let page = ids(&data["polls"]);
        assert_eq!(page, vec![before["id"].as_str().expect("id").to_string()]);
        assert_eq!(data["polls"][0]["option_count"], 2, "{data}");
    }
    assert!(leaver.ok("unsubscribe_feed", json!({})).await.is_object());

    let unlisted = a
        .create_poll(
            &alice,
            json!({"question": "Unlisted?", "options": ["A", "B"], "is_public": false}),
        )
        .await;
    let draft = a
        .create_poll(
            &alice,
            json!({"question": "Draft?", "options": ["A", "B"], "publish": false}),
        )
        .await;
    let unlisted_draft = a
        .create_poll(
            &alice,
            json!({"question": "Unlisted draft?", "options": ["A", "B"], "publish": false,
               "is_public": false}),
        )
        .await;
    let path = format!(
        "/api/polls/{}/publish",
        unlisted_draft["id"].as_str().expect("id")
    );
    let (s, body) = a.call("POST", &path, &alice, None).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let public = a
        .create_poll(
            &alice,
            json!({"question": "New?", "options": ["A", "B", "C"]}),
        )
        .await;
    let got = watcher
        .inbox
        .wait_for("poll_created", |v| v["poll"]["id"] == public["id"])
        .await;
    assert_eq!(got["poll"]["question"], "New?");
    assert_eq!(got["poll"]["status"], "open");
    assert_eq!(got["poll"]["option_count"], 3);
    assert!(got["poll"].get("options").is_none(), "{got}");
    // Publishing a public draft announces it then.
    let path = format!("/api/polls/{}/publish", draft["id"].as_str().expect("id"));
    let (s, body) = a.call("POST", &path, &alice, None).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    watcher
        .inbox
        .wait_for("poll_created", |v| v["poll"]["id"] == draft["id"])
        .await;
    // Editing a public poll announces nothing; making an unlisted one public announces it.
    let edit = |poll: &Value| format!("/api/polls/{}", poll["id"].as_str().expect("id"));
    let (s, body) = a
        .call(
            "PATCH",
            &edit(&public),
            &alice,
            Some(json!({"description": "more"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let (s, body) = a
        .call(
            "PATCH",
            &edit(&unlisted),
            &alice,
            Some(json!({"is_public": true})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    watcher
        .inbox
        .wait_for("poll_created", |v| v["poll"]["id"] == unlisted["id"])
        .await;

    // Each announcement arrives in the order it was made: with the last one in, nothing else
    // can still be on its way. Exactly the polls that became public came, once each.
    let announced: Vec<Value> = watcher
        .inbox
        .all("poll_created")
        .iter()
        .map(|v| v["poll"]["id"].clone())
        .collect();
    assert_eq!(
        announced,
        vec![
            public["id"].clone(),
            draft["id"].clone(),
            unlisted["id"].clone()
        ]
    );
    for h in [&hidden, &draft_before, &unlisted_draft] {
        assert!(!announced.contains(&h["id"]));
    }
    // The socket that left the feed got nothing: an ack after the broadcasts comes after any
    // event they sent it.
    leaver.ok("unsubscribe_feed", json!({})).await;
    assert_eq!(leaver.inbox.count("poll_created"), 0);
    // A malformed payload is refused in the contract's shape.
    leaver
        .refused("subscribe_feed", json!("nope"), "malformed_request")
        .await;
}
