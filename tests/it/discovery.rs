//! Finding and liking polls (issue 12) over real HTTP against Postgres and Redis: a stable page
//! walk, search by stemmed words and prefixes, drafts and unlisted polls kept out of every
//! list, parameter errors, popular and trending orders, and likes counted once.

use crate::common::{Player, TestApp, assert_invalid_field};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::PgPool;
use std::collections::HashSet;
use uuid::Uuid;

/// A server with every rate limit raised: these tests make many likes from one account (100
/// at once), and limits are not their point.
async fn server(pool: PgPool) -> TestApp {
    crate::common::spawn_app_with(
        pool,
        crate::common::unlimited_config(&crate::common::fresh_prefix()),
    )
    .await
}

async fn create(app: &TestApp, who: &Player, body: Value) -> String {
    let (s, b) = app.post_poll(who, body).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    b["poll"]["id"].as_str().expect("id").to_string()
}

fn ids(page: &Value) -> Vec<String> {
    page["polls"]
        .as_array()
        .expect("polls")
        .iter()
        .map(|p| p["id"].as_str().expect("id").to_string())
        .collect()
}

/// Every id of a list, walked page by page.
async fn walk(app: &TestApp, who: Option<&Player>, query: &str, per_page: u32) -> Vec<String> {
    let mut all = Vec::new();
    for page in 1.. {
        let (s, b) = app
            .get(
                who,
                &format!("/api/polls?{query}&page={page}&per_page={per_page}"),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{b}");
        let got = ids(&b);
        all.extend(got.iter().cloned());
        if got.len() < per_page as usize {
            break;
        }
    }
    all
}

/// `n` open public polls by `who`, written straight to Postgres, in groups of ten sharing one
/// `created_at` so the order must break ties by id.
async fn seed(pool: &PgPool, who: &Player, n: i32) {
    sqlx::query(
        "WITH p AS (INSERT INTO polls (id, creator_id, question, status, max_choices, created_at) \
           SELECT gen_random_uuid(), $1, 'Seeded poll ' || g, 'open', 1, \
                  '2026-06-01'::timestamptz - (g / 10) * interval '1 minute' \
           FROM generate_series(1, $2) g RETURNING id) \
         INSERT INTO poll_options (id, poll_id, text, position) \
         SELECT gen_random_uuid(), p.id, t.text, t.pos FROM p, \
           (VALUES ('Yes', 0), ('No', 1)) AS t(text, pos)",
    )
    .bind(who.id)
    .bind(n)
    .execute(pool)
    .await
    .expect("seed");
}

#[sqlx::test]
async fn lists_walk_every_public_poll_once_and_keep_drafts_and_unlisted_out(pool: PgPool) {
    let app = &server(pool.clone()).await;
    let alice = app.register("Alice").await;
    let bob = app.register("Bob").await;
    seed(&pool, &alice, 250).await;
    let draft = create(
        app,
        &alice,
        json!({"question": "Secret draft zebra?",
        "options": ["Zebra stripes", "No"], "publish": false}),
    )
    .await;
    let unlisted = create(
        app,
        &alice,
        json!({"question": "Unlisted zebra?",
        "options": ["Zebra stripes", "No"], "is_public": false}),
    )
    .await;
    let hidden = [draft.clone(), unlisted.clone()];

    for (query, per_page) in [
        ("sort=recent", 7),
        ("sort=popular", 33),
        ("sort=trending", 100),
    ] {
        let seen = walk(app, Some(&bob), query, per_page).await;
        let distinct: HashSet<&String> = seen.iter().collect();
        assert_eq!(seen.len(), 250, "{query}: every poll once");
        assert_eq!(distinct.len(), 250, "{query}: no poll twice");
        assert!(hidden.iter().all(|h| !distinct.contains(h)), "{query}");
    }
    let (_, first) = app.get(None, "/api/polls?per_page=5").await;
    assert_eq!(
        (
            first["total"].as_i64(),
            first["page"].as_i64(),
            first["per_page"].as_i64()
        ),
        (Some(250), Some(1), Some(5))
    );
    assert_eq!(first["polls"][0]["option_count"], 2);
    assert!(
        first["polls"][0].get("options").is_none()
            && first["polls"][0].get("description").is_none()
    );

    // Every alias, filter and search leaves the draft and the unlisted poll out for others…
    for path in [
        "/api/polls/trending",
        "/api/polls/popular",
        "/api/polls/recent",
        "/api/polls/search?q=zebra",
        "/api/polls?q=zebra",
        "/api/polls?status=open&per_page=100",
        &format!("/api/polls?creator={}&per_page=100&page=3", alice.id),
    ] {
        for who in [None, Some(&bob)] {
            let (s, b) = app.get(who, path).await;
            assert_eq!(s, StatusCode::OK, "{path}: {b}");
            assert!(ids(&b).iter().all(|i| !hidden.contains(i)), "{path}: {b}");
        }
    }
    let (_, b) = app.get(Some(&bob), "/api/polls/search?q=zebra").await;
    assert_eq!(b["total"], 0, "{b}");
    // …while the creator's own list has them.
    let (_, mine) = app
        .get(
            Some(&alice),
            &format!("/api/polls?creator={}&q=zebra", alice.id),
        )
        .await;
    let mine: HashSet<String> = ids(&mine).into_iter().collect();
    assert_eq!(mine, hidden.iter().cloned().collect::<HashSet<_>>());

    // A bad parameter is a 422 naming it.
    for (query, field) in [
        ("per_page=101", "per_page"),
        ("per_page=0", "per_page"),
        ("page=0", "page"),
        ("page=abc", "page"),
        ("sort=best", "sort"),
        ("status=draft", "status"),
        ("creator=me", "creator"),
    ] {
        let (s, b) = app.get(None, &format!("/api/polls?{query}")).await;
        assert_invalid_field(s, &b, field);
    }
    let (s, b) = app.get(None, "/api/polls/search").await;
    assert_invalid_field(s, &b, "q");
}

#[sqlx::test]
async fn search_is_stemmed_ranked_prefixed_and_covers_options(pool: PgPool) {
    let app = &server(pool.clone()).await;
    let alice = app.register("Alice").await;
    seed(&pool, &alice, 30).await;
    let by_option = create(
        app,
        &alice,
        json!({"question": "Weekend plans?",
        "options": ["Running marathons", "Painting landscapes"]}),
    )
    .await;
    let by_question = create(
        app,
        &alice,
        json!({"question": "Do you like running?",
        "options": ["Yes", "No"]}),
    )
    .await;
    let by_description = create(
        app,
        &alice,
        json!({"question": "Shoes?", "description":
        "For runners who run", "options": ["Light", "Heavy"]}),
    )
    .await;

    // A stemmed word of an option ("marathon" for "marathons").
    let (_, b) = app.get(None, "/api/polls/search?q=marathon").await;
    assert_eq!(ids(&b), vec![by_option.clone()], "{b}");
    // Search-as-you-type: the last word is a prefix.
    let (_, b) = app.get(None, "/api/polls?q=weekend%20paint").await;
    assert_eq!(ids(&b), vec![by_option.clone()], "{b}");
    // "runs" stems to "run" and finds all three; the question's match (weight A) ranks first.
    // (Option (B) against description (C) is not asserted: `ts_rank_cd` can score those two
    // equal, and then the order is by id.)
    let (_, b) = app.get(None, "/api/polls?q=runs").await;
    let found = ids(&b);
    assert_eq!(found.first(), Some(&by_question), "{b}");
    let rest: HashSet<&String> = found.iter().skip(1).collect();
    assert_eq!(
        rest,
        [&by_option, &by_description].into_iter().collect(),
        "{b}"
    );
    // Operators in the text are just separators.
    let (s, b) = app.get(None, "/api/polls?q=marathon%20%7C%20!(:*").await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(ids(&b), vec![by_option.clone()], "{b}");
    // Editing an option's text re-indexes the poll (the trigger on poll_options).
    sqlx::query(
        "UPDATE poll_options SET text = 'Cycling tours' WHERE poll_id = $1 AND position = 0",
    )
    .bind(by_option.parse::<Uuid>().expect("uuid"))
    .execute(&pool)
    .await
    .expect("update");
    let (_, b) = app.get(None, "/api/polls?q=cycle").await;
    assert_eq!(ids(&b), vec![by_option], "{b}");
    let (_, b) = app.get(None, "/api/polls?q=marathon").await;
    assert_eq!(b["total"], 0, "{b}");
}

#[sqlx::test]
async fn likes_count_once_and_votes_drive_popular_and_trending(pool: PgPool) {
    let app = &server(pool.clone()).await;
    let alice = app.register("Alice").await;
    let bob = app.register("Bob").await;
    let carol = app.register("Carol").await;
    let quiet = create(
        app,
        &alice,
        json!({"question": "Quiet?", "options": ["A", "B"]}),
    )
    .await;
    let busy = create(
        app,
        &alice,
        json!({"question": "Busy?", "options": ["A", "B"]}),
    )
    .await;

    // 100 concurrent likes by one user: one like, one audit entry.
    let path = format!("/api/polls/{busy}/like");
    let likes = futures::future::join_all((0..100).map(|_| app.like(&bob, &busy))).await;
    for (s, b) in &likes {
        assert_eq!(*s, StatusCode::OK, "{b}");
        assert_eq!(b["likes"], 1, "{b}");
        assert_eq!(b["liked_by_me"], true, "{b}");
    }
    let (_, poll) = app.get_poll(&bob, &busy).await;
    assert_eq!(
        (
            poll["poll"]["likes"].as_i64(),
            poll["poll"]["liked_by_me"].as_bool()
        ),
        (Some(1), Some(true))
    );
    let (_, poll) = app.get(None, &format!("/api/polls/{busy}")).await;
    assert_eq!(
        (
            poll["poll"]["likes"].as_i64(),
            poll["poll"]["liked_by_me"].as_bool()
        ),
        (Some(1), Some(false))
    );
    // A vote's answer is the whole `{poll}`: the likes too, as the voter sees them.
    let option = poll["poll"]["options"][0]["id"].clone();
    for (who, liked) in [(&bob, true), (&carol, false)] {
        let (s, voted) = app.vote(who, &busy, json!([option])).await;
        assert_eq!(s, StatusCode::OK, "{voted}");
        assert_eq!(
            (
                voted["poll"]["likes"].as_i64(),
                voted["poll"]["liked_by_me"].as_bool()
            ),
            (Some(1), Some(liked)),
            "{voted}"
        );
    }
    let (_, page) = app.get(Some(&bob), "/api/polls").await;
    let summary = page["polls"]
        .as_array()
        .expect("polls")
        .iter()
        .find(|p| p["id"] == busy.as_str())
        .expect("listed")
        .clone();
    assert_eq!(
        (summary["likes"].as_i64(), summary["liked_by_me"].as_bool()),
        (Some(1), Some(true))
    );
    for _ in 0..2 {
        let (s, b) = app.call("DELETE", &path, &bob, None).await;
        assert_eq!(s, StatusCode::OK, "{b}");
        assert_eq!(
            (b["likes"].as_i64(), b["liked_by_me"].as_bool()),
            (Some(0), Some(false))
        );
    }
    let (_, log) = app
        .call("GET", &format!("/api/polls/{busy}/audit"), &alice, None)
        .await;
    let count = |action: &str| {
        log["entries"]
            .as_array()
            .expect("entries")
            .iter()
            .filter(|e| e["action"] == action)
            .count()
    };
    assert_eq!(
        (count("poll_liked"), count("poll_unliked")),
        (1, 1),
        "{log}"
    );
    let (s, _) = app.get(None, &path).await;
    assert_eq!(s, StatusCode::METHOD_NOT_ALLOWED);
    let (s, _) = app.like(&bob, &Uuid::new_v4()).await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // Two voters on `busy`, one on `quiet`: popular and trending put `busy` first once the
    // activity buffer is written (within a second).
    for (who, poll) in [(&bob, &busy), (&carol, &busy), (&bob, &quiet)] {
        let (_, p) = app.get_poll(who, &poll).await;
        let option = p["poll"]["options"][0]["id"].clone();
        let (s, b) = app.vote(who, &poll, json!([option])).await;
        assert_eq!(s, StatusCode::OK, "{b}");
    }
    for sort in ["popular", "trending"] {
        crate::common::eventually(sort, || async {
            let (_, b) = app.get(None, &format!("/api/polls/{sort}")).await;
            let first = &b["polls"][0];
            (first["id"] == busy.as_str() && first["voters"] == 2 && first["total_votes"] == 2)
                .then_some(())
        })
        .await;
    }
}

#[sqlx::test]
async fn the_openapi_document_lists_the_discovery_routes(pool: PgPool) {
    let app = &server(pool).await;
    let (s, doc) = app.get(None, "/openapi.json").await;
    assert_eq!(s, StatusCode::OK);
    for path in [
        "/api/polls",
        "/api/polls/trending",
        "/api/polls/popular",
        "/api/polls/recent",
        "/api/polls/search",
        "/api/polls/{id}/like",
        "/api/users/{id}",
        "/api/users/{id}/polls",
        "/api/me/votes",
        "/api/me/likes",
    ] {
        assert!(doc["paths"].get(path).is_some(), "{path} missing");
    }
    assert!(doc["paths"]["/api/polls"].get("get").is_some());
    assert!(doc["paths"]["/api/polls"].get("post").is_some());
}

#[sqlx::test]
async fn profiles_show_public_counts_and_never_the_email(pool: PgPool) {
    let app = &server(pool).await;
    let alice = app.register("Alice").await;
    let bob = app.register("Bob").await;
    let public = create(
        app,
        &alice,
        json!({"question": "Public?", "options": ["A", "B"]}),
    )
    .await;
    let unlisted = create(
        app,
        &alice,
        json!({"question": "Unlisted?", "options": ["A", "B"],
        "is_public": false}),
    )
    .await;
    let draft = create(
        app,
        &alice,
        json!({"question": "Draft?", "options": ["A", "B"],
        "publish": false}),
    )
    .await;
    for poll in [&public, &unlisted] {
        let (_, p) = app.get_poll(&bob, &poll).await;
        let option = p["poll"]["options"][1]["id"].clone();
        let (s, b) = app.vote(&bob, &poll, json!([option])).await;
        assert_eq!(s, StatusCode::OK, "{b}");
        let (s, _) = app.like(&bob, &poll).await;
        assert_eq!(s, StatusCode::OK);
    }

    let (s, b) = app.get(None, &format!("/api/users/{}", alice.id)).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["user"]["display_name"], "Alice");
    assert_eq!(
        (
            b["user"]["polls_created"].as_i64(),
            b["user"]["likes_received"].as_i64()
        ),
        (Some(1), Some(1)),
        "{b}"
    );
    assert!(!b.to_string().contains(&alice.email), "{b}");
    let (_, b) = app.get(None, &format!("/api/users/{}", bob.id)).await;
    assert_eq!(b["user"]["votes_cast"], 1, "{b}");
    let (s, _) = app
        .get(None, &format!("/api/users/{}", Uuid::new_v4()))
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    let (_, theirs) = app
        .get(Some(&bob), &format!("/api/users/{}/polls", alice.id))
        .await;
    assert_eq!(ids(&theirs), vec![public.clone()], "{theirs}");
    let (_, own) = app
        .get(Some(&alice), &format!("/api/users/{}/polls", alice.id))
        .await;
    let own: HashSet<String> = ids(&own).into_iter().collect();
    assert_eq!(
        own,
        [public.clone(), unlisted.clone(), draft]
            .into_iter()
            .collect::<HashSet<_>>()
    );

    let (s, votes) = app.call("GET", "/api/me/votes", &bob, None).await;
    assert_eq!(s, StatusCode::OK, "{votes}");
    let voted: HashSet<String> = votes["votes"]
        .as_array()
        .expect("votes")
        .iter()
        .map(|v| v["poll"]["id"].as_str().expect("id").to_string())
        .collect();
    assert_eq!(
        voted,
        [public.clone(), unlisted.clone()]
            .into_iter()
            .collect::<HashSet<_>>()
    );
    assert_eq!(
        votes["votes"][0]["option_ids"].as_array().map(Vec::len),
        Some(1)
    );
    let (_, likes) = app.call("GET", "/api/me/likes", &bob, None).await;
    assert_eq!(
        ids(&likes),
        vec![unlisted, public],
        "most recent first: {likes}"
    );
    let (s, _) = app.get(None, "/api/me/votes").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}

#[sqlx::test]
async fn a_like_is_pushed_in_poll_results(pool: PgPool) {
    let app = &server(pool).await;
    let alice = app.register("Alice").await;
    let bob = app.register("Bob").await;
    let poll = create(
        app,
        &alice,
        json!({"question": "Liked?", "options": ["A", "B"]}),
    )
    .await;
    let watcher = crate::common::socket::Sock::handshake(&app.base, Default::default())
        .await
        .expect("an anonymous socket connects");
    watcher.ok("subscribe_poll", json!({"poll_id": poll})).await;
    let path = format!("/api/polls/{poll}/like");
    let (s, _) = app.like(&bob, &poll).await;
    assert_eq!(s, StatusCode::OK);
    watcher
        .inbox
        .wait_for("poll_results", |v| v["likes"] == 1)
        .await;
    let (s, _) = app.call("DELETE", &path, &bob, None).await;
    assert_eq!(s, StatusCode::OK);
    watcher
        .inbox
        .wait_for("poll_results", |v| v["likes"] == 0)
        .await;
}

/// A word in more polls than a search lists (`SEARCH_MAX`, 1,000) is not ranked over all of
/// them: the search lists the 1,000 most popular matches, most popular first (ties by id), each
/// once across the pages, and says 1,000 in `total`. The polls are written straight to Postgres:
/// 1,100 creations over HTTP would be most of the test's time for nothing it checks.
#[sqlx::test]
async fn a_search_matching_over_a_thousand_polls_lists_the_thousand_most_popular(pool: PgPool) {
    let app = server(pool.clone()).await;
    let alice = app.register("Alice").await;
    sqlx::query(
        "INSERT INTO polls (id, creator_id, question, status, max_choices, voters_count) \
         SELECT gen_random_uuid(), $1, 'Zeppelin poll ' || g, 'open', 1, g / 3 \
         FROM generate_series(1, 1100) g",
    )
    .bind(alice.id)
    .execute(&pool)
    .await
    .expect("seed");
    let mut seen = Vec::new();
    let mut voters = Vec::new();
    for page in 1..=11 {
        let (s, b) = app
            .get(
                None,
                &format!("/api/polls/search?q=zeppelins&page={page}&per_page=100"),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{b}");
        assert_eq!(b["total"], 1000, "page {page}");
        seen.extend(ids(&b));
        voters.extend(
            b["polls"]
                .as_array()
                .expect("polls")
                .iter()
                .map(|p| p["voters"].as_i64().expect("voters")),
        );
    }
    assert_eq!(seen.len(), 1000, "ten full pages, then an empty one");
    assert_eq!(seen.iter().collect::<HashSet<_>>().len(), 1000);
    assert!(
        voters.windows(2).all(|w| w[0] >= w[1]),
        "most popular first"
    );
    assert_eq!(voters.first(), Some(&(1100 / 3)));
    // The 100 least popular (voters 0 to 33, with ties at the edge) are left out.
    assert!(voters.iter().all(|v| *v >= 100 / 3), "{:?}", voters.last());
}

/// The first option's id of `poll`, as anyone reads it.
async fn first_option(app: &TestApp, poll: &str) -> Value {
    let (s, b) = app.get(None, &format!("/api/polls/{poll}")).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    b["poll"]["options"][0]["id"].clone()
}

/// Trending counts people, not requests (issue 20): one account sending the same ballot 25
/// times and toggling a like 12 times weighs one person, so a poll with three real voters ranks
/// above it, while both polls' list counters still come out exact. The abuse comes first, so
/// that by the time the real poll's counters show its three voters every one of the abuser's
/// requests has been through the activity buffer.
#[sqlx::test]
async fn one_account_resending_a_vote_and_toggling_a_like_cannot_outrank_three_real_voters(
    pool: PgPool,
) {
    let app = &server(pool).await;
    let alice = app.register("Alice").await;
    let mallory = app.register("Mallory").await;
    let real = create(
        app,
        &alice,
        json!({"question": "Real?", "options": ["A", "B"]}),
    )
    .await;
    let bought = create(
        app,
        &alice,
        json!({"question": "Bought?", "options": ["A", "B"]}),
    )
    .await;

    let ballot = json!({"option_ids": [first_option(app, &bought).await]});
    for _ in 0..25 {
        let (s, b) = app
            .call(
                "PUT",
                &format!("/api/polls/{bought}/vote"),
                &mallory,
                Some(ballot.clone()),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{b}");
    }
    let like = format!("/api/polls/{bought}/like");
    for n in 0..12 {
        let method = if n % 2 == 0 { "PUT" } else { "DELETE" };
        let (s, b) = app.call(method, &like, &mallory, None).await;
        assert_eq!(s, StatusCode::OK, "{b}");
    }

    let ballot = json!({"option_ids": [first_option(app, &real).await]});
    for name in ["V1", "V2", "V3"] {
        let voter = app.register(name).await;
        let (s, b) = app
            .call(
                "PUT",
                &format!("/api/polls/{real}/vote"),
                &voter,
                Some(ballot.clone()),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{b}");
    }

    let page = crate::common::eventually("the real poll trending first", || async {
        let (_, b) = app.get(None, "/api/polls/trending").await;
        let first = &b["polls"][0];
        (first["id"] == real.as_str() && first["voters"] == 3 && first["total_votes"] == 3)
            .then_some(b)
    })
    .await;
    assert_eq!(ids(&page), vec![real, bought.clone()], "{page}");
    let second = &page["polls"][1];
    assert_eq!(
        (
            second["voters"].as_i64(),
            second["total_votes"].as_i64(),
            second["likes"].as_i64()
        ),
        (Some(1), Some(1), Some(0)),
        "{page}"
    );
}
