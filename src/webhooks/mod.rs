//! Webhooks (issue 25, item 3): a poll's creator, a room's host, or an account for all of its
//! polls and hosted games registers a URL, and the server POSTs each event there, signed
//! (`sign`), at least once and in order per webhook, with retries and backoff, from an outbox
//! in Postgres that survives restarts (`outbox` enqueues, `deliver` sends). URLs that reach
//! internal addresses are refused (`guard`).
//!
//! Here: the events, and registering, listing and deleting webhooks with who may do it.

pub(crate) mod deliver;
pub(crate) mod guard;
pub(crate) mod outbox;
pub(crate) mod sign;

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgPool;
use std::{collections::HashMap, sync::Arc};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{
    config::WebhookSettings,
    db::{
        self,
        webhooks::{AttemptRow, Scope, WebhookRow},
    },
    domain::{
        DomainError,
        poll::{PollError, lifecycle::Transition},
    },
    error::Error,
};

/// Webhooks per poll, per room and per account (owner-wide) at most.
pub(crate) const MAX_PER_SCOPE: i64 = 5;
/// Attempts shown per webhook in its delivery log.
const LOG_SHOWN: i64 = 20;

/// What a webhook can be told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Event {
    PollCreated,
    PollPublished,
    PollClosed,
    PollReopened,
    PollDeleted,
    VotesReached,
    GameEnded,
}

impl Event {
    const ALL: [Event; 7] = [
        Event::PollCreated,
        Event::PollPublished,
        Event::PollClosed,
        Event::PollReopened,
        Event::PollDeleted,
        Event::VotesReached,
        Event::GameEnded,
    ];

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Event::PollCreated => "poll_created",
            Event::PollPublished => "poll_published",
            Event::PollClosed => "poll_closed",
            Event::PollReopened => "poll_reopened",
            Event::PollDeleted => "poll_deleted",
            Event::VotesReached => "poll_votes_reached",
            Event::GameEnded => db::webhooks::GAME_ENDED,
        }
    }

    /// What a webhook of `scope` can receive: a poll's cannot see its own creation, a room's
    /// only its games' ends.
    fn of_scope(scope: Scope) -> Vec<Event> {
        Event::ALL
            .into_iter()
            .filter(|e| match scope {
                Scope::Owner => true,
                Scope::Poll(_) => !matches!(e, Event::PollCreated | Event::GameEnded),
                Scope::Room(_) => *e == Event::GameEnded,
            })
            .collect()
    }
}

impl From<Transition> for Event {
    fn from(t: Transition) -> Self {
        match t {
            Transition::Publish => Event::PollPublished,
            Transition::Close => Event::PollClosed,
            Transition::Reopen => Event::PollReopened,
        }
    }
}

/// Where a route's webhooks hang: a poll (by id), a room (by code) or the caller's account.
#[derive(Debug, Clone)]
pub(crate) enum Owner {
    Poll(Uuid),
    Room(String),
    Me,
}

/// One attempt in a webhook's delivery log.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct AttemptView {
    pub delivery_id: Uuid,
    pub event: String,
    /// 1 for a delivery's first attempt.
    pub attempt: i32,
    /// The receiver's HTTP status; null when there was no answer (see `error`).
    pub status_code: Option<i32>,
    pub error: Option<String>,
    pub duration_ms: i32,
    pub at: DateTime<Utc>,
}

impl From<AttemptRow> for AttemptView {
    fn from(a: AttemptRow) -> Self {
        AttemptView {
            delivery_id: a.delivery_id,
            event: a.event,
            attempt: a.attempt,
            status_code: a.status,
            error: a.error,
            duration_ms: a.duration_ms,
            at: a.at,
        }
    }
}

/// A webhook as its owner reads it (never with its secret).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct WebhookView {
    pub id: Uuid,
    pub url: String,
    pub events: Vec<String>,
    pub created_at: DateTime<Utc>,
    /// Deliveries not yet sent successfully (nor given up).
    pub pending: i64,
    /// The last attempts, newest first.
    pub deliveries: Vec<AttemptView>,
}

impl WebhookView {
    fn of(row: WebhookRow, pending: i64, deliveries: Vec<AttemptView>) -> Self {
        WebhookView {
            id: row.id,
            url: row.url,
            events: row.events,
            created_at: row.created_at,
            pending,
            deliveries,
        }
    }
}

/// The service: registration here, delivery in `deliver`.
pub(crate) struct Webhooks {
    pub(crate) db: PgPool,
    pub(crate) settings: WebhookSettings,
    /// The client every delivery goes out through: no redirects (one could point anywhere),
    /// no proxy from the environment, every host resolved through the guard.
    pub(crate) client: reqwest::Client,
}

impl Webhooks {
    pub(crate) fn new(db: PgPool, settings: WebhookSettings) -> Result<Arc<Self>, String> {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .timeout(settings.timeout)
            .connect_timeout(settings.timeout)
            .user_agent("voting-game-webhooks/1")
            .dns_resolver(
                guard::GuardedResolver {
                    allow_private: settings.allow_private,
                }
                .shared(),
            )
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Arc::new(Webhooks {
            db,
            settings,
            client,
        }))
    }

    /// The scope of `owner` for `actor`, who must be the poll's creator or the room's host
    /// (`open_only`: a closed room takes no new webhooks).
    async fn scope(&self, actor: Uuid, owner: &Owner, open_only: bool) -> Result<Scope, Error> {
        match owner {
            Owner::Poll(id) => {
                let record = db::polls::get(&self.db, *id).await?;
                match record {
                    Some(r) if r.state(false).visible_to(Some(actor)) => {
                        r.state(false).ensure_creator(actor)?;
                        Ok(Scope::Poll(*id))
                    }
                    _ => Err(PollError::PollNotFound.into()),
                }
            }
            Owner::Room(code) => {
                let code = code.trim().to_ascii_uppercase();
                match db::webhooks::room(&self.db, &code).await? {
                    Some((_, _, true)) if open_only => Err(room_not_found()),
                    Some((id, host, _)) if host == actor => Ok(Scope::Room(id)),
                    // A host who handed the room over may still list and delete the webhooks
                    // they registered there (the lists are the caller's own rows only).
                    Some((id, _, _))
                        if !open_only
                            && db::webhooks::owns_in_room(&self.db, id, actor).await? =>
                    {
                        Ok(Scope::Room(id))
                    }
                    Some(_) => Err(DomainError::NotHost.into()),
                    None => Err(room_not_found()),
                }
            }
            Owner::Me => match db::users::is_guest(&self.db, actor).await? {
                Some(false) => Ok(Scope::Owner),
                Some(true) => Err(Error::AccountRequired),
                None => Err(Error::Unauthorized),
            },
        }
    }

    /// Registers `url` for `events` (all the scope takes when absent); gives the webhook and
    /// its secret, which is never shown again.
    pub(crate) async fn register(
        &self,
        actor: Uuid,
        owner: &Owner,
        url: &str,
        events: Option<Vec<String>>,
    ) -> Result<(WebhookView, String), Error> {
        let scope = self.scope(actor, owner, true).await?;
        let allowed = Event::of_scope(scope);
        let events: Vec<String> = match events {
            None => allowed.iter().map(|e| e.as_str().to_string()).collect(),
            Some(asked) => {
                let mut picked: Vec<String> = Vec::new();
                for name in asked {
                    let name = name.trim();
                    if !allowed.iter().any(|e| e.as_str() == name) {
                        let names: Vec<&str> = allowed.iter().map(|e| e.as_str()).collect();
                        return Err(Error::validation(
                            "events",
                            format!("events: this webhook takes only {}", names.join(", ")),
                        ));
                    }
                    if !picked.iter().any(|p| p == name) {
                        picked.push(name.to_string());
                    }
                }
                if picked.is_empty() {
                    return Err(Error::validation("events", "events: name at least one"));
                }
                picked
            }
        };
        let url = guard::check(url, self.settings.allow_private)
            .await
            .map_err(|r| Error::validation("url", r.0))?;
        let secret = sign::new_secret();
        let row = db::webhooks::insert(
            &self.db,
            actor,
            scope,
            url.as_str(),
            &secret,
            &events,
            MAX_PER_SCOPE,
        )
        .await?
        .ok_or_else(|| {
            Error::validation(
                "url",
                format!("url: at most {MAX_PER_SCOPE} webhooks here; delete one first"),
            )
        })?;
        Ok((WebhookView::of(row, 0, Vec::new()), secret))
    }

    /// The webhooks of `owner` with their delivery logs.
    pub(crate) async fn list(&self, actor: Uuid, owner: &Owner) -> Result<Vec<WebhookView>, Error> {
        let scope = self.scope(actor, owner, false).await?;
        let rows = db::webhooks::list(&self.db, actor, scope).await?;
        let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
        let pending: HashMap<Uuid, i64> = db::webhooks::pending(&self.db, &ids)
            .await?
            .into_iter()
            .collect();
        let mut logs: HashMap<Uuid, Vec<AttemptView>> = HashMap::new();
        for a in db::webhooks::attempts(&self.db, &ids, LOG_SHOWN).await? {
            logs.entry(a.webhook_id).or_default().push(a.into());
        }
        Ok(rows
            .into_iter()
            .map(|r| {
                let (p, log) = (
                    pending.get(&r.id).copied().unwrap_or(0),
                    logs.remove(&r.id).unwrap_or_default(),
                );
                WebhookView::of(r, p, log)
            })
            .collect())
    }

    pub(crate) async fn delete(&self, actor: Uuid, owner: &Owner, id: Uuid) -> Result<(), Error> {
        let scope = self.scope(actor, owner, false).await?;
        if db::webhooks::delete(&self.db, actor, scope, id).await? {
            Ok(())
        } else {
            Err(Error::not_found("webhook_not_found", "no such webhook"))
        }
    }
}

fn room_not_found() -> Error {
    Error::not_found("room_not_found", "no room has this code")
}
