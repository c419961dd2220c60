//! Anonymous voters (issue 12) over real HTTP and Socket.IO against Postgres and Redis: the
//! signed `voter_id` cookie set on a first vote, one ballot per voter id per poll (replaced,
//! withdrawn, counted once under concurrency), forged cookies ignored, polls without
//! `allow_anonymous` refusing, the counts agreeing with a rebuild from Postgres, and a socket
//! voting as the voter of its handshake's cookie.

use crate::common::api::{option_id, poll_id};
use crate::common::{Player, TestApp, assert_error, redis_of, socket::Sock};
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use sqlx::PgPool;

async fn poll(app: &TestApp, who: &Player, anonymous: bool) -> Value {
    let (s, b) = app
        .post_poll(
            who,
            json!({"question": "Cats or dogs?", "options": ["Cats", "Dogs", "Neither"],
                        "allow_anonymous": anonymous}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    b["poll"].clone()
}

/// What an anonymous browser got back: status, body, and the `voter_id` cookie it was given
/// (the whole `Set-Cookie` line), if any.
struct Reply {
    status: StatusCode,
    body: Value,
    set_cookie: Option<String>,
}

impl Reply {
    /// The cookie's `name=value`, as a browser sends it back.
    fn cookie(&self) -> String {
        let line = self
            .set_cookie
            .as_deref()
            .expect("a voter_id cookie is set");
        line.split(';').next().expect("name=value").to_string()
    }
}

/// An anonymous request, with `cookie` (`voter_id=…`) as its Cookie header if given.
async fn anon(
    app: &TestApp,
    method: &str,
    path: &str,
    cookie: Option<&str>,
    body: Option<Value>,
) -> Reply {
    let client = Client::new();
    let mut req = client.request(method.parse().expect("method"), app.url(path));
    if let Some(c) = cookie {
        req = req.header("Cookie", c);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    let res = req.send().await.expect("request");
    let status = res.status();
    let set_cookie = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("voter_id="))
        .map(str::to_string);
    let text = res.text().await.expect("body");
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    Reply {
        status,
        body,
        set_cookie,
    }
}

async fn vote(app: &TestApp, poll: &Value, option: &str, cookie: Option<&str>) -> Reply {
    anon(
        app,
        "PUT",
        &format!("/api/polls/{}/vote", poll_id(poll)),
        cookie,
        Some(json!({"option_ids": [option]})),
    )
    .await
}

/// The poll's counts once the cached ones are dropped, i.e. rebuilt from Postgres.
async fn rebuilt(app: &TestApp, poll: &Value) -> Value {
    let key = crate::common::poll_key(&app.prefix, poll_id(poll), "counts");
    let mut redis = redis_of(app).await;
    let _: i64 = redis::cmd("DEL")
        .arg(&key)
        .query_async(&mut redis)
        .await
        .expect("del");
    anon(
        app,
        "GET",
        &format!("/api/polls/{}", poll_id(poll)),
        None,
        None,
    )
    .await
    .body["poll"]
        .clone()
}

fn counts(poll: &Value) -> (i64, i64, Vec<i64>) {
    let votes = poll["options"]
        .as_array()
        .expect("options")
        .iter()
        .map(|o| o["votes"].as_i64().expect("votes"))
        .collect();
    (
        poll["voters"].as_i64().expect("voters"),
        poll["total_votes"].as_i64().expect("total"),
        votes,
    )
}

#[sqlx::test]
async fn an_anonymous_voter_votes_once_changes_their_vote_and_another_browser_is_another_voter(
    pool: PgPool,
) {
    let app = crate::common::spawn_app(pool.clone()).await;
    let alice = app.register("Alice").await;
    let p = poll(&app, &alice, true).await;

    let first = vote(&app, &p, &option_id(&p, 0), None).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    let line = first
        .set_cookie
        .clone()
        .expect("the first vote sets voter_id");
    let lower = line.to_lowercase();
    assert!(lower.contains("httponly"), "{line}");
    assert!(lower.contains("samesite=lax"), "{line}");
    assert!(lower.contains("path=/"), "{line}");
    assert!(
        !lower.contains("secure"),
        "not configured for HTTPS: {line}"
    );
    assert_eq!(first.body["poll"]["voters"], 1);
    assert_eq!(first.body["poll"]["my_votes"], json!([option_id(&p, 0)]));
    let cookie = first.cookie();

    // The same browser changes its mind: replaced, still one voter, no new cookie.
    let second = vote(&app, &p, &option_id(&p, 1), Some(&cookie)).await;
    assert_eq!(second.status, StatusCode::OK, "{}", second.body);
    assert!(second.set_cookie.is_none(), "a known voter keeps their id");
    assert_eq!(counts(&second.body["poll"]), (1, 1, vec![0, 1, 0]));
    assert_eq!(second.body["poll"]["my_votes"], json!([option_id(&p, 1)]));

    // Reading the poll: my_votes is this browser's, and nobody else's.
    let path = format!("/api/polls/{}", poll_id(&p));
    let mine = anon(&app, "GET", &path, Some(&cookie), None).await;
    assert_eq!(mine.body["poll"]["my_votes"], json!([option_id(&p, 1)]));
    let theirs = anon(&app, "GET", &path, None, None).await;
    assert_eq!(theirs.body["poll"]["my_votes"], json!([]));
    let (_, signed_in) = app.get_poll(&alice, &poll_id(&p)).await;
    assert_eq!(signed_in["poll"]["my_votes"], json!([]));

    // Another browser, no cookie: another voter with another id.
    let other = vote(&app, &p, &option_id(&p, 1), None).await;
    assert_eq!(other.status, StatusCode::OK, "{}", other.body);
    assert_ne!(other.cookie(), cookie);
    assert_eq!(counts(&other.body["poll"]), (2, 2, vec![0, 2, 0]));
    // And a signed-in voter beside them.
    let (s, b) = app
        .vote(&alice, &poll_id(&p), json!([option_id(&p, 2)]))
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(counts(&b["poll"]), (3, 3, vec![0, 2, 1]));

    // The first browser withdraws; a second withdrawal has nothing left.
    let gone = anon(
        &app,
        "DELETE",
        &format!("/api/polls/{}/vote", poll_id(&p)),
        Some(&cookie),
        None,
    )
    .await;
    assert_eq!(gone.status, StatusCode::OK, "{}", gone.body);
    assert_eq!(counts(&gone.body["poll"]), (2, 2, vec![0, 1, 1]));
    let again = anon(
        &app,
        "DELETE",
        &format!("/api/polls/{}/vote", poll_id(&p)),
        Some(&cookie),
        None,
    )
    .await;
    assert_error(again.status, &again.body, StatusCode::NOT_FOUND, "no_vote");

    // The live counts and a rebuild from Postgres agree.
    assert_eq!(counts(&rebuilt(&app, &p).await), (2, 2, vec![0, 1, 1]));
    let stored: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM poll_ballots WHERE poll_id = $1::uuid AND user_id IS NULL",
    )
    .bind(poll_id(&p))
    .fetch_one(&pool)
    .await
    .expect("count");
    assert_eq!(stored, 1, "one anonymous ballot is left in Postgres");

    // The audit has the anonymous votes with no actor, and never the voter id.
    let (s, audit) = app
        .call(
            "GET",
            &format!("/api/polls/{}/audit", poll_id(&p)),
            &alice,
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{audit}");
    let entries = audit["entries"].as_array().expect("entries");
    let anonymous: Vec<&Value> = entries
        .iter()
        .filter(|e| e["actor_id"].is_null() && e["action"].as_str() != Some("poll_created"))
        .collect();
    let actions: Vec<&str> = anonymous
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    for action in ["vote_cast", "vote_changed", "vote_withdrawn"] {
        assert!(actions.contains(&action), "{action} in {actions:?}");
    }
    let voter_id = cookie.trim_start_matches("voter_id=").split('.').next();
    let text = audit.to_string();
    assert!(
        voter_id.is_some_and(|v| !text.contains(v)),
        "the voter id stays out of the audit"
    );
}

#[sqlx::test]
async fn a_tampered_cookie_is_a_new_voter_and_never_the_victims_ballot(pool: PgPool) {
    let app = crate::common::spawn_app(pool).await;
    let alice = app.register("Alice").await;
    let p = poll(&app, &alice, true).await;
    let victim = vote(&app, &p, &option_id(&p, 0), None).await;
    let cookie = victim.cookie();
    let value = cookie.trim_start_matches("voter_id=").to_string();
    let (id, tag) = value.split_once('.').expect("id.tag");
    let flipped_tag = format!(
        "{}{}",
        &tag[..tag.len() - 1],
        if tag.ends_with('0') { '1' } else { '0' }
    );
    let forgeries = [
        format!("voter_id={id}.{flipped_tag}"),
        format!("voter_id={id}"),
        format!("voter_id={id}.{}", "0".repeat(64)),
        "voter_id=garbage".to_string(),
    ];
    let path = format!("/api/polls/{}", poll_id(&p));
    for (n, forged) in forgeries.iter().enumerate() {
        // Reading with it shows nothing of the victim's.
        let read = anon(&app, "GET", &path, Some(forged), None).await;
        assert_eq!(read.status, StatusCode::OK, "{}", read.body);
        assert_eq!(read.body["poll"]["my_votes"], json!([]), "{forged}");
        // Withdrawing with it takes nothing away.
        let withdraw = anon(&app, "DELETE", &format!("{path}/vote"), Some(forged), None).await;
        assert_error(
            withdraw.status,
            &withdraw.body,
            StatusCode::NOT_FOUND,
            "no_vote",
        );
        // Voting with it is a new voter, with a fresh id.
        let forged_vote = vote(&app, &p, &option_id(&p, 1), Some(forged)).await;
        assert_eq!(forged_vote.status, StatusCode::OK, "{}", forged_vote.body);
        let fresh = forged_vote.cookie();
        assert_ne!(fresh, cookie);
        assert!(!fresh.contains(id), "a fresh id, not the victim's");
        assert_eq!(forged_vote.body["poll"]["voters"], 2 + n as i64);
    }
    let mine = anon(&app, "GET", &path, Some(&cookie), None).await;
    assert_eq!(mine.body["poll"]["my_votes"], json!([option_id(&p, 0)]));
    assert_eq!(mine.body["poll"]["options"][0]["votes"], 1);
}

#[sqlx::test]
async fn a_poll_without_allow_anonymous_refuses_anonymous_voters(pool: PgPool) {
    let app = crate::common::spawn_app(pool).await;
    let alice = app.register("Alice").await;
    let open = poll(&app, &alice, true).await;
    let closed_to_anonymous = poll(&app, &alice, false).await;
    let refused = vote(
        &app,
        &closed_to_anonymous,
        &option_id(&closed_to_anonymous, 0),
        None,
    )
    .await;
    assert_error(
        refused.status,
        &refused.body,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    );
    assert!(refused.set_cookie.is_none(), "no id is handed out for it");
    // Nor with a valid voter cookie from another poll.
    let cookie = vote(&app, &open, &option_id(&open, 0), None).await.cookie();
    let refused = vote(
        &app,
        &closed_to_anonymous,
        &option_id(&closed_to_anonymous, 0),
        Some(&cookie),
    )
    .await;
    assert_error(
        refused.status,
        &refused.body,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    );
    let withdraw = anon(
        &app,
        "DELETE",
        &format!("/api/polls/{}/vote", poll_id(&closed_to_anonymous)),
        Some(&cookie),
        None,
    )
    .await;
    assert_error(
        withdraw.status,
        &withdraw.body,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    );
    let (_, b) = app.get_poll(&alice, &poll_id(&closed_to_anonymous)).await;
    assert_eq!(b["poll"]["voters"], 0);
    // A page on a foreign origin cannot vote with a visitor's cookie either.
    let res = Client::new()
        .put(app.url(&format!("/api/polls/{}/vote", poll_id(&open))))
        .header("Cookie", &cookie)
        .header("Origin", "https://evil.example")
        .json(&json!({"option_ids": [option_id(&open, 1)]}))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}

#[sqlx::test]
async fn twenty_concurrent_anonymous_votes_with_one_cookie_count_once(pool: PgPool) {
    let app = crate::common::spawn_app(pool.clone()).await;
    let alice = app.register("Alice").await;
    let first = poll(&app, &alice, true).await;
    let cookie = vote(&app, &first, &option_id(&first, 0), None)
        .await
        .cookie();
    let p = poll(&app, &alice, true).await;
    let replies = futures::future::join_all((0..20).map(|n| {
        let (app, p, cookie) = (&app, &p, &cookie);
        async move { vote(app, p, &option_id(p, n % 3), Some(cookie)).await }
    }))
    .await;
    for r in &replies {
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert!(r.set_cookie.is_none());
    }
    let path = format!("/api/polls/{}", poll_id(&p));
    let now = anon(&app, "GET", &path, Some(&cookie), None).await.body["poll"].clone();
    let (voters, total, _) = counts(&now);
    assert_eq!((voters, total), (1, 1), "{now}");
    assert_eq!(now["my_votes"].as_array().map(Vec::len), Some(1));
    assert_eq!(counts(&rebuilt(&app, &p).await), counts(&now));
    let stored: i64 =
        sqlx::query_scalar("SELECT count(*) FROM poll_ballots WHERE poll_id = $1::uuid")
            .bind(poll_id(&p))
            .fetch_one(&pool)
            .await
            .expect("count");
    assert_eq!(stored, 1);
}

#[sqlx::test]
async fn an_anonymous_socket_votes_as_the_voter_of_its_cookie(pool: PgPool) {
    let app = crate::common::spawn_app(pool).await;
    let alice = app.register("Alice").await;
    let p = poll(&app, &alice, true).await;
    let other = poll(&app, &alice, true).await;
    let members_only = poll(&app, &alice, false).await;
    let cookie = vote(&app, &other, &option_id(&other, 2), None)
        .await
        .cookie();

    let socket = Sock::connect_with_headers(&app.base, &[("Cookie", &cookie)]).await;
    let data = socket
        .ok(
            "vote_poll",
            json!({"poll_id": poll_id(&p), "option_ids": [option_id(&p, 1)]}),
        )
        .await;
    assert_eq!(data["poll"]["voters"], 1);
    assert_eq!(data["poll"]["my_votes"], json!([option_id(&p, 1)]));
    // The same voter as over REST: the socket's vote is theirs there, and replaces there.
    let path = format!("/api/polls/{}", poll_id(&p));
    let read = anon(&app, "GET", &path, Some(&cookie), None).await;
    assert_eq!(read.body["poll"]["my_votes"], json!([option_id(&p, 1)]));
    let changed = vote(&app, &p, &option_id(&p, 0), Some(&cookie)).await;
    assert_eq!(counts(&changed.body["poll"]), (1, 1, vec![1, 0, 0]));
    // subscribe_poll shows the voter's ballot too.
    let sub = socket
        .ok("subscribe_poll", json!({"poll_id": poll_id(&other)}))
        .await;
    assert_eq!(sub["poll"]["my_votes"], json!([option_id(&other, 2)]));
    // Not on a poll without allow_anonymous.
    socket
        .refused(
            "vote_poll",
            json!({"poll_id": poll_id(&members_only), "option_ids": [option_id(&members_only, 0)]}),
            "unauthorized",
        )
        .await;
    socket.close().await;

    // A socket without the cookie, or with a forged one, cannot vote (it could not be given one).
    let bare = Sock::handshake(&app.base, Default::default())
        .await
        .expect("an anonymous socket connects");
    bare.refused(
        "vote_poll",
        json!({"poll_id": poll_id(&p), "option_ids": [option_id(&p, 1)]}),
        "unauthorized",
    )
    .await;
    bare.close().await;
    let forged = format!(
        "{}0",
        cookie.trim_end_matches(|c: char| c.is_ascii_hexdigit())
    );
    let forged = Sock::connect_with_headers(&app.base, &[("Cookie", &forged)]).await;
    forged
        .refused(
            "vote_poll",
            json!({"poll_id": poll_id(&p), "option_ids": [option_id(&p, 1)]}),
            "unauthorized",
        )
        .await;
    forged.close().await;
    let after = anon(&app, "GET", &path, None, None).await;
    assert_eq!(counts(&after.body["poll"]), (1, 1, vec![1, 0, 0]));
}

#[sqlx::test]
async fn new_voter_ids_are_limited_per_address_and_known_voters_are_not(pool: PgPool) {
    let mut config = crate::common::test_config(&crate::common::fresh_prefix());
    config.limits.auth_per_minute = 2;
    config.cookie_secure = true;
    let app = crate::common::spawn_app_with(pool, config).await;
    let alice = app.register("Alice").await;
    let p = poll(&app, &alice, true).await;
    let first = vote(&app, &p, &option_id(&p, 0), None).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    let line = first.set_cookie.clone().unwrap_or_default().to_lowercase();
    assert!(line.contains("secure"), "configured for HTTPS: {line}");
    let second = vote(&app, &p, &option_id(&p, 0), None).await;
    assert_eq!(second.status, StatusCode::OK, "{}", second.body);
    // A third new identity from this address within the minute is refused…
    let third = vote(&app, &p, &option_id(&p, 0), None).await;
    assert_error(
        third.status,
        &third.body,
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
    );
    assert!(third.set_cookie.is_none());
    // …while a voter who has an id keeps voting.
    let again = vote(&app, &p, &option_id(&p, 1), Some(&first.cookie())).await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.body);
    assert_eq!(counts(&again.body["poll"]), (2, 2, vec![1, 1, 0]));
}

#[sqlx::test]
async fn the_plain_websocket_shows_an_anonymous_voter_their_ballot(pool: PgPool) {
    use futures::StreamExt;
    use tokio_tungstenite::tungstenite::{Message, client::IntoClientRequest};
    let app = crate::common::spawn_app(pool).await;
    let alice = app.register("Alice").await;
    let p = poll(&app, &alice, true).await;
    let cookie = vote(&app, &p, &option_id(&p, 2), None).await.cookie();
    let mut req = format!("ws://{}/ws/polls/{}", app.addr, poll_id(&p))
        .into_client_request()
        .expect("request");
    req.headers_mut()
        .insert("Cookie", cookie.parse().expect("header value"));
    let (mut ws, _) = tokio_tungstenite::connect_async(req)
        .await
        .expect("upgrade");
    let first = loop {
        let msg = tokio::time::timeout(crate::common::socket::WAIT, ws.next())
            .await
            .expect("a message in time")
            .expect("open")
            .expect("readable");
        if let Message::Text(t) = msg {
            break serde_json::from_str::<Value>(t.as_str()).expect("json");
        }
    };
    assert_eq!(first["type"], "poll_update");
    assert_eq!(first["poll"]["my_votes"], json!([option_id(&p, 2)]));
}
