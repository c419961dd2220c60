//! Vote counts, coalesced. A room may have 10,000 audience members: sending each of them every
//! vote as it lands would be 10,000 messages per vote. So the audience gets `vote_totals` (the
//! latest player and audience counts of the answers that changed) at most every
//! [`INTERVAL`], and players, who still get each player vote at once as `vote_update`, get the
//! audience's counts the same coalesced way, so a big audience cannot flood them. Each node
//! coalesces the votes it decided; with several nodes a room may get one flush per node.

use std::{
    collections::{BTreeMap, HashMap},
    sync::{Arc, Mutex, Weak},
    time::Duration,
};
use uuid::Uuid;

use super::{
    Io, protocol,
    wire::{AnswerTotals, VoteTotals},
};
use crate::domain::{Event, Room};

/// At most ten flushes a second per room.
pub(crate) const INTERVAL: Duration = Duration::from_millis(100);

/// Counts waiting for a room's next flush.
struct Pending {
    round_id: Uuid,
    /// Latest (player votes, audience votes) per answer that changed.
    answers: BTreeMap<Uuid, (Option<u32>, Option<u32>)>,
    /// Whether an audience count changed (then the players hear of it too).
    audience_changed: bool,
}

pub(crate) struct Coalescer {
    io: Io,
    pending: Mutex<HashMap<String, Pending>>,
    me: Weak<Coalescer>,
}

impl Coalescer {
    pub(crate) fn new(io: Io) -> Arc<Self> {
        Arc::new_cyclic(|me| Coalescer {
            io,
            pending: Mutex::default(),
            me: me.clone(),
        })
    }

    /// Takes note of a count that changed; the first note after a flush schedules the next.
    pub(crate) fn note(&self, room: &Room, event: &Event) {
        // Counts are what a room that hides votes keeps from everyone until the reveal.
        if room.settings.hide_votes {
            return;
        }
        let (round_id, answer_id, players, audience) = match event {
            Event::VoteCast {
                answer_id,
                vote_count,
                ..
            } => {
                let Some(round) = &room.round else { return };
                (round.id, *answer_id, Some(*vote_count), None)
            }
            Event::AudienceVoteCast {
                round_id,
                answer_id,
                audience_votes,
                ..
            } => (*round_id, *answer_id, None, Some(*audience_votes)),
            _ => return,
        };
        let Ok(mut pending) = self.pending.lock() else {
            return;
        };
        let schedule = !pending.contains_key(&room.code);
        let entry = pending.entry(room.code.clone()).or_insert_with(|| Pending {
            round_id,
            answers: BTreeMap::new(),
            audience_changed: false,
        });
        if entry.round_id != round_id {
            // Counts of a round that is over are in its `round_ended`.
            entry.round_id = round_id;
            entry.answers.clear();
            entry.audience_changed = false;
        }
        let counts = entry.answers.entry(answer_id).or_default();
        if players.is_some() {
            counts.0 = players;
        }
        if audience.is_some() {
            counts.1 = audience;
            entry.audience_changed = true;
        }
        if schedule && let Some(me) = self.me.upgrade() {
            let code = room.code.clone();
            tokio::spawn(async move {
                tokio::time::sleep(INTERVAL).await;
                me.flush(&code).await;
            });
        }
    }

    async fn flush(&self, code: &str) {
        let Some(p) = self.pending.lock().ok().and_then(|mut m| m.remove(code)) else {
            return;
        };
        // Only the counts that changed are present.
        let answers = p
            .answers
            .iter()
            .map(|(id, (players, audience))| AnswerTotals {
                answer_id: *id,
                vote_count: *players,
                audience_votes: *audience,
            })
            .collect();
        let payload = VoteTotals {
            round_id: p.round_id,
            answers,
        };
        let mut to = vec![protocol::audience_room(code)];
        if p.audience_changed {
            to.push(code.to_string());
        }
        crate::metrics::event("out", protocol::VOTE_TOTALS);
        if let Err(e) = self.io.to(to).emit(protocol::VOTE_TOTALS, &payload).await {
            tracing::warn!(%code, error = %e, "vote totals broadcast failed");
        }
    }
}
