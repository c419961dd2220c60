//! Poll exports (issue 25, item 4) over real HTTP: the results for anyone who can see the poll
//! and the ballots for its creator only, as JSON and as CSV whose formula-like cells are
//! defused as in the game export; anonymous voters appear under an opaque id, never their
//! cookie's.

use crate::common::{assert_error, assert_invalid_field, spawn_app};
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use sqlx::PgPool;

async fn get(url: String, token: Option<&str>) -> (StatusCode, String, String) {
    let mut req = Client::new().get(url);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let res = req.send().await.expect("get");
    let status = res.status();
    let disposition = res
        .headers()
        .get("content-disposition")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    (status, disposition, res.text().await.expect("body"))
}

fn json_of(text: &str) -> Value {
    serde_json::from_str(text).expect("json")
}

#[sqlx::test]
async fn results_and_ballots_export_as_json_and_defused_csv(pool: PgPool) {
    let app = spawn_app(pool).await;
    let alice = app.register("Alice").await;
    let bob = app.register("=Bob").await;
    let (s, poll) = app
        .call(
            "POST",
            "/api/polls",
            &alice,
            Some(json!({"question": "=HYPERLINK(\"http://x\")", "options": ["+1", "@SUM(A1)", "-2, or so"],
                         "allow_multiple": true, "allow_anonymous": true})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{poll}");
    let id = poll["poll"]["id"].as_str().expect("id").to_string();
    let opt = |n: usize| poll["poll"]["options"][n]["id"].clone();
    let (s, b) = app
        .call(
            "PUT",
            &format!("/api/polls/{id}/vote"),
            &bob,
            Some(json!({"option_ids": [opt(2), opt(0)]})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    // An anonymous voter, with the cookie the server gives them.
    let res = Client::new()
        .put(app.url(&format!("/api/polls/{id}/vote")))
        .json(&json!({"option_ids": [opt(1)]}))
        .send()
        .await
        .expect("vote");
    assert_eq!(res.status(), StatusCode::OK);
    let cookie = res
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .expect("voter cookie")
        .to_string();
    let voter_id = cookie
        .split(';')
        .next()
        .and_then(|kv| kv.split_once('='))
        .map(|(_, v)| v.split('.').next().unwrap_or(v).to_string())
        .expect("voter id");

    // Results: anyone, JSON by default.
    let (s, disposition, text) = get(app.url(&format!("/api/polls/{id}/export")), None).await;
    assert_eq!(s, StatusCode::OK, "{text}");
    assert!(disposition.contains("attachment") && disposition.contains(".json"));
    let r = json_of(&text);
    assert_eq!(r["poll"]["id"], id.as_str());
    assert_eq!(r["total_votes"], 3);
    assert_eq!(r["voters"], 2);
    assert_eq!(r["options"][0]["text"], "+1");
    assert_eq!(r["options"][0]["votes"], 1);
    let (s, _, csv) = get(app.url(&format!("/api/polls/{id}/export?format=csv")), None).await;
    assert_eq!(s, StatusCode::OK);
    let lines: Vec<&str> = csv.split("\r\n").collect();
    assert_eq!(
        lines[0],
        "poll_id,question,option_id,option,position,votes,share"
    );
    assert!(
        lines[1].starts_with(&format!("{id},\"'=HYPERLINK(\"\"http://x\"\")\",")),
        "{}",
        lines[1]
    );
    assert!(lines[1].contains(",'+1,0,1,"), "{}", lines[1]);
    assert!(lines[2].contains(",'@SUM(A1),1,1,"), "{}", lines[2]);
    assert!(lines[3].contains(",\"'-2, or so\",2,1,"), "{}", lines[3]);
    let (s, _, text) = get(app.url(&format!("/api/polls/{id}/export?format=xml")), None).await;
    assert_invalid_field(s, &json_of(&text), "format");

    // Ballots: the creator only.
    let ballots = app.url(&format!("/api/polls/{id}/ballots"));
    let (s, _, text) = get(ballots.clone(), None).await;
    assert_error(s, &json_of(&text), StatusCode::UNAUTHORIZED, "unauthorized");
    let (s, _, text) = get(ballots.clone(), Some(&bob.token)).await;
    assert_error(s, &json_of(&text), StatusCode::FORBIDDEN, "not_creator");
    let (s, _, text) = get(ballots.clone(), Some(&alice.token)).await;
    assert_eq!(s, StatusCode::OK, "{text}");
    let b = json_of(&text);
    let list = b["ballots"].as_array().expect("ballots");
    assert_eq!(list.len(), 2);
    let by_bob = list
        .iter()
        .find(|x| x["voter"]["kind"] == "account")
        .expect("Bob's ballot");
    assert_eq!(by_bob["voter"]["id"], bob.id.to_string());
    assert_eq!(by_bob["voter"]["display_name"], "=Bob");
    // A choice poll's ballot is a set (stored sorted by option id, so its order is not the
    // voter's): the two choices, ranked 1 and 2 in some order. A ranked poll's order is the
    // voter's (tests/it/ranked.rs).
    let choices = by_bob["choices"].as_array().expect("choices");
    let mut got: Vec<(String, String)> = choices
        .iter()
        .map(|c| (c["option_id"].to_string(), c["text"].to_string()))
        .collect();
    got.sort();
    let mut want = vec![
        (json!(opt(2)).to_string(), json!("-2, or so").to_string()),
        (json!(opt(0)).to_string(), json!("+1").to_string()),
    ];
    want.sort();
    assert_eq!(got, want, "{by_bob}");
    let ranks: Vec<&Value> = choices.iter().map(|c| &c["rank"]).collect();
    assert_eq!(ranks, [&json!(1), &json!(2)], "{by_bob}");
    let anonymous = list
        .iter()
        .find(|x| x["voter"]["kind"] == "anonymous")
        .expect("the anonymous ballot");
    let pseudonym = anonymous["voter"]["id"].as_str().expect("id");
    assert!(pseudonym.starts_with("anon-"), "{pseudonym}");
    let hyphenated = voter_id
        .parse::<uuid::Uuid>()
        .expect("the cookie's id")
        .to_string();
    assert!(
        !text.contains(&voter_id) && !text.contains(&hyphenated),
        "the voter cookie's id never shows"
    );

    let (s, _, csv) = get(format!("{ballots}?format=csv"), Some(&alice.token)).await;
    assert_eq!(s, StatusCode::OK);
    assert!(!csv.contains(&voter_id) && !csv.contains(&hyphenated));
    let lines: Vec<&str> = csv.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(
        lines[0],
        "poll_id,voter_id,voter_kind,voter_name,voted_at,rank,option_id,option"
    );
    assert_eq!(lines.len(), 4, "one row per choice: {csv}");
    let bob_rows: Vec<&&str> = lines.iter().filter(|l| l.contains(",account,")).collect();
    assert!(bob_rows[0].contains(",account,'=Bob,"), "{}", bob_rows[0]);
    // Each choice defused, in whichever of the two ranks the set was stored.
    let minus = format!(",{},\"'-2, or so\"", opt(2).as_str().unwrap_or_default());
    let plus = format!(",{},'+1", opt(0).as_str().unwrap_or_default());
    assert!(bob_rows.iter().any(|r| r.ends_with(&minus)), "{csv}");
    assert!(bob_rows.iter().any(|r| r.ends_with(&plus)), "{csv}");
    assert!(
        lines
            .iter()
            .any(|l| l.contains(&format!(",{pseudonym},anonymous,,")))
    );
}

#[sqlx::test]
async fn a_draft_exports_to_nobody_but_its_creator(pool: PgPool) {
    let app = spawn_app(pool).await;
    let alice = app.register("Alice").await;
    let bob = app.register("Bob").await;
    let (_, poll) = app
        .call(
            "POST",
            "/api/polls",
            &alice,
            Some(json!({"question": "Draft?", "options": ["a", "b"], "publish": false})),
        )
        .await;
    let id = poll["poll"]["id"].as_str().expect("id").to_string();
    for who in [None, Some(bob.token.as_str())] {
        let (s, _, text) = get(app.url(&format!("/api/polls/{id}/export")), who).await;
        assert_error(s, &json_of(&text), StatusCode::NOT_FOUND, "poll_not_found");
    }
    let (s, _, text) = get(
        app.url(&format!("/api/polls/{id}/ballots")),
        Some(&bob.token),
    )
    .await;
    assert_error(s, &json_of(&text), StatusCode::NOT_FOUND, "poll_not_found");
    let (s, _, text) = get(
        app.url(&format!("/api/polls/{id}/export")),
        Some(&alice.token),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{text}");
}
