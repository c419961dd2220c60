//! Polls over Socket.IO: `subscribe_poll` / `unsubscribe_poll` / `vote_poll`, and the
//! publisher that sends `poll_results`, `poll_updated`, `poll_deleted` and the creator's
//! `notification`s to a poll's room (`poll:{id}`) on every node through the Redis adapter.
//!
//! `poll_results` is coalesced cluster-wide: a node with changed counts takes the poll's
//! 100 ms broadcast slot in Redis (at most 10 broadcasts a second per poll, whichever node
//! sends), reads the counts fresh from the cache and sends them; if another node holds the
//! slot it waits for it to free and tries again. Since every node with a change keeps trying
//! until it has sent counts read after that change, the last broadcast always carries the
//! exact final counts.

use async_trait::async_trait;
use socketioxide::extract::SocketRef;
use std::{
    borrow::Cow,
    collections::HashMap,
    sync::{Arc, Mutex, Weak},
    time::Duration,
};
use uuid::Uuid;

use super::{
    Adapter, GatewayState, Io,
    handle::{Route, handler, routes},
    protocol as p, user_room,
    wire::{Done, Feed, Notification, PollAnswer, PollCreated, PollDeleted, PollMessage},
};
use crate::{
    auth::AuthUser,
    domain::poll::notice::CreatorNotice,
    error::Error,
    polls::{
        PollPublisher, PollService,
        discovery::PollSummary,
        view::{PollView, QueuedAnswer},
        votes::Voter,
    },
};

/// At most this many `poll_results` per second per poll, cluster-wide.
const RESULTS_PERIOD: Duration = Duration::from_millis(100);
/// Polls one socket may watch at once: each subscription is a room entry held in memory.
const MAX_SUBSCRIPTIONS: usize = 100;
/// At most one creator notification per poll this often.
const NOTIFY_PERIOD: Duration = Duration::from_secs(5);

pub(crate) fn poll_room(poll: Uuid) -> String {
    format!("poll:{poll}")
}

/// The poll events and their handlers, beside the game's (`events`: one table for every socket).
pub(crate) fn route(event: &str) -> Option<Route> {
    routes!(event, {
        p::SUBSCRIBE_POLL => subscribe_poll,
        p::UNSUBSCRIBE_POLL => unsubscribe_poll,
        p::VOTE_POLL => vote_poll,
        p::ANSWER_POLL => answer_poll,
        p::SUBSCRIBE_FEED => subscribe_feed,
        p::UNSUBSCRIBE_FEED => unsubscribe_feed,
    })
}

handler!(
    subscribe_poll,
    p::SUBSCRIBE_POLL,
    |socket, st, user: Option<AuthUser>, input: p::PollRef| {
        let room = poll_room(input.poll_id);
        let watched = socket.rooms();
        if !watched.iter().any(|r| *r == room)
            && watched.iter().filter(|r| r.starts_with("poll:")).count() >= MAX_SUBSCRIPTIONS
        {
            return Err(Error::validation(
                "poll_id",
                format!("poll_id: a socket watches at most {MAX_SUBSCRIPTIONS} polls at once"),
            ));
        }
        // Join first (and listen to the poll's channel before that), so no change between the
        // read and the join is missed.
        let entered = st.enter(std::slice::from_ref(&room)).await?;
        socket.join(room.clone());
        drop(entered);
        let read = match user {
            Some(u) => st.polls.get(Some(u.id), input.poll_id).await,
            None => {
                let voter = handshake_voter(&socket, &st);
                st.polls.get_anonymous(voter, input.poll_id).await
            }
        };
        match read {
            Ok(poll) => Ok(PollMessage {
                poll: Cow::Owned(poll),
            }),
            Err(e) => {
                socket.leave(room.clone());
                st.release(vec![room], None);
                Err(e)
            }
        }
    }
);

handler!(
    unsubscribe_poll,
    p::UNSUBSCRIBE_POLL,
    |socket, st, _user: Option<AuthUser>, input: p::PollRef| {
        socket.leave(poll_room(input.poll_id));
        st.release(vec![poll_room(input.poll_id)], None);
        Ok(Done {})
    }
);

handler!(
    vote_poll,
    p::VOTE_POLL,
    |socket, st, user: Option<AuthUser>, input: p::VotePoll| {
        // An anonymous socket votes as the voter of its handshake's `voter_id` cookie (on
        // `allow_anonymous` polls only, the service checks); without one it cannot vote: a
        // socket has no way to set the cookie a new voter id needs.
        let voter = match user {
            Some(u) => Voter::user(u.id),
            None => Voter::anonymous(handshake_voter(&socket, &st).ok_or(Error::Unauthorized)?),
        };
        let poll = st
            .polls
            .vote(voter, input.poll_id, &input.option_ids)
            .await?;
        Ok(PollMessage {
            poll: Cow::Owned(poll),
        })
    }
);

handler!(
    answer_poll,
    p::ANSWER_POLL,
    |socket, st, user: Option<AuthUser>, input: p::AnswerPoll| {
        // As `vote_poll`: an anonymous socket answers as its handshake's voter.
        let voter = match user {
            Some(u) => Voter::user(u.id),
            None => Voter::anonymous(handshake_voter(&socket, &st).ok_or(Error::Unauthorized)?),
        };
        st.polls
            .submit_answer(voter, input.poll_id, &input.text)
            .await
    }
);

/// The room of the feed's subscribers (anonymous sockets too), on every node.
pub(crate) const FEED_ROOM: &str = "feed";

// `subscribe_feed`: joins the feed's room first (so no poll published between the read and
// the join is missed; one published just before may show in both the page and an event),
// then answers the 20 most recent public polls.
handler!(
    subscribe_feed,
    p::SUBSCRIBE_FEED,
    |socket, st, _user: Option<AuthUser>, _input: p::FeedRef| {
        socket.join(FEED_ROOM);
        match st.polls.feed().await {
            Ok(polls) => Ok(Feed { polls }),
            Err(e) => {
                socket.leave(FEED_ROOM);
                Err(e)
            }
        }
    }
);

handler!(
    unsubscribe_feed,
    p::UNSUBSCRIBE_FEED,
    |socket, _st, _user: Option<AuthUser>, _input: p::FeedRef| {
        socket.leave(FEED_ROOM);
        Ok(Done {})
    }
);

/// The anonymous voter id of the handshake's `voter_id` cookie: signed by this server, and
/// sent by a page allowed to use cookies (as for the auth cookie, `gateway::connect`).
fn handshake_voter(s: &SocketRef<Adapter>, st: &GatewayState) -> Option<Uuid> {
    let headers = &s.req_parts().headers;
    if !crate::auth::origin::cookie_allowed(headers, &st.allowed_origins) {
        return None;
    }
    st.auth.keys().voters().voter_of(headers)
}

/// The polls' publisher (see the module's doc for the coalescing).
pub(crate) struct SocketPollPublisher {
    io: Io,
    polls: Weak<PollService>,
    /// Polls with a broadcast task on this node, and whether a change came since it last read.
    pending: Mutex<HashMap<Uuid, bool>>,
}

impl SocketPollPublisher {
    pub(crate) fn new(io: Io, polls: &Arc<PollService>) -> Arc<Self> {
        Arc::new(SocketPollPublisher {
            io,
            polls: Arc::downgrade(polls),
            pending: Mutex::new(HashMap::new()),
        })
    }

    fn pending(&self) -> std::sync::MutexGuard<'_, HashMap<Uuid, bool>> {
        self.pending.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Sends `poll`'s counts until none changed since the last read; one task per poll.
    async fn broadcast(self: Arc<Self>, poll: Uuid) {
        let mut failures = 0u32;
        loop {
            let Some(polls) = self.polls.upgrade() else {
                return;
            };
            match polls
                .cache()
                .take_slot(poll, "results", RESULTS_PERIOD)
                .await
            {
                Ok(None) => {}
                Ok(Some(wait)) => {
                    tokio::time::sleep(wait).await;
                    continue;
                }
                Err(e) => {
                    failures += 1;
                    if failures > 20 {
                        tracing::warn!(error = %e, poll = %poll, "poll results not broadcast");
                        self.pending().remove(&poll);
                        return;
                    }
                    tokio::time::sleep(RESULTS_PERIOD).await;
                    continue;
                }
            }
            // Reads after this see every change marked before it.
            self.pending().insert(poll, false);
            match polls.live_results(poll).await {
                Ok(Some(results)) => {
                    crate::metrics::event("out", p::POLL_RESULTS);
                    if let Err(e) = self
                        .io
                        .to(poll_room(poll))
                        .emit(p::POLL_RESULTS, &results)
                        .await
                    {
                        tracing::debug!(error = %e, poll = %poll, "poll_results not sent");
                    }
                    let counts = (results.total_votes, results.likes);
                    self.notify(&polls, poll, results.creator_id, "poll_votes", counts)
                        .await;
                }
                Ok(None) => {}
                Err(e) => e.report("poll results broadcast"),
            }
            let mut pending = self.pending();
            if pending.get(&poll) != Some(&true) {
                pending.remove(&poll);
                return;
            }
        }
    }

    /// The creator's `notification` with the poll's `(total_votes, likes)`, at most once per
    /// `NOTIFY_PERIOD` per poll.
    async fn notify(
        &self,
        polls: &PollService,
        poll: Uuid,
        creator: Uuid,
        kind: &str,
        (total, likes): (i64, i64),
    ) {
        if let Ok(None) = polls.cache().take_slot(poll, "notify", NOTIFY_PERIOD).await {
            let payload = Notification {
                kind,
                poll_id: poll,
                total_votes: total,
                likes,
            };
            let _ = self
                .io
                .to(user_room(creator))
                .emit(p::NOTIFICATION, &payload)
                .await;
        }
    }
}

/// The `Arc` handed to the service; broadcasts run on clones of the inner publisher.
pub(crate) struct Publisher(pub Arc<SocketPollPublisher>);

#[async_trait]
impl PollPublisher for Publisher {
    async fn counts_changed(&self, poll: Uuid, _creator: Uuid) {
        let start = {
            let mut pending = self.0.pending();
            match pending.get_mut(&poll) {
                Some(changed) => {
                    *changed = true;
                    false
                }
                None => {
                    pending.insert(poll, true);
                    true
                }
            }
        };
        if start {
            tokio::spawn(Arc::clone(&self.0).broadcast(poll));
        }
    }

    async fn updated(&self, poll: &PollView, creator: Option<CreatorNotice>) {
        crate::metrics::event("out", p::POLL_UPDATED);
        let room = poll_room(poll.id);
        if let Err(e) = self
            .0
            .io
            .to(room)
            .emit(
                p::POLL_UPDATED,
                &PollMessage {
                    poll: Cow::Borrowed(poll),
                },
            )
            .await
        {
            tracing::debug!(error = %e, poll = %poll.id, "poll_updated not sent");
        }
        if let Some(notice) = creator
            && let Some(polls) = self.0.polls.upgrade()
        {
            self.0
                .notify(
                    &polls,
                    poll.id,
                    poll.creator.id,
                    notice.as_str(),
                    (poll.total_votes, poll.likes),
                )
                .await;
        }
    }

    async fn answer_changed(&self, creator: Uuid, answer: &QueuedAnswer) {
        crate::metrics::event("out", p::POLL_ANSWER);
        let payload = PollAnswer {
            answer: Cow::Borrowed(answer),
        };
        if let Err(e) = self
            .0
            .io
            .to(user_room(creator))
            .emit(p::POLL_ANSWER, &payload)
            .await
        {
            tracing::debug!(error = %e, answer = %answer.id, "poll_answer not sent");
        }
    }

    async fn created(&self, poll: &PollSummary) {
        crate::metrics::event("out", p::POLL_CREATED);
        if let Err(e) = self
            .0
            .io
            .to(FEED_ROOM)
            .emit(
                p::POLL_CREATED,
                &PollCreated {
                    poll: Cow::Borrowed(poll),
                },
            )
            .await
        {
            tracing::debug!(error = %e, poll = %poll.id, "poll_created not sent");
        }
    }

    async fn deleted(&self, poll: Uuid) {
        let room = poll_room(poll);
        let io = &self.0.io;
        if let Err(e) = io
            .to(room.clone())
            .emit(p::POLL_DELETED, &PollDeleted { poll_id: poll })
            .await
        {
            tracing::debug!(error = %e, poll = %poll, "poll_deleted not sent");
        }
        // The room is emptied on every node.
        if let Err(e) = io.to(room.clone()).leave(room).await {
            tracing::debug!(error = %e, poll = %poll, "could not empty a deleted poll's room");
        }
    }
}
