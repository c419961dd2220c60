//! Question preparation: the next round's question is asked for in the background (the AI may
//! take seconds) and kept in the live store, so starting a round never waits on it; when none
//! is ready, the bank answers at once.

use std::sync::Arc;

use crate::{
    domain::{
        Room,
        game::moderation::{self, ProfanityFilter},
        text::already_asked,
    },
    error::Error,
    questions::QuestionProvider,
    store::LiveStore,
};

pub(super) struct Questions {
    store: Arc<dyn LiveStore>,
    /// Asked in the background for the next round's question (may be slow: the AI).
    prepared: Arc<dyn QuestionProvider>,
    /// Asked when no prepared question is ready: answers at once (the bank).
    instant: Arc<dyn QuestionProvider>,
}

impl Questions {
    pub(super) fn new(
        store: Arc<dyn LiveStore>,
        prepared: Arc<dyn QuestionProvider>,
        instant: Arc<dyn QuestionProvider>,
    ) -> Self {
        Questions {
            store,
            prepared,
            instant,
        }
    }

    /// A question for the room's next round, ready now: the one prepared in the background if
    /// there is one the room has not had, else one from the bank.
    pub(super) async fn ready(&self, room: &Room) -> Result<String, Error> {
        // A prepared question the room's filter would have to mask is passed over for the
        // bank's (the domain masks whatever still matches).
        let filtered = room.settings.profanity_filter != ProfanityFilter::Off;
        if let Some(q) = self.store.take_next_question(&room.code).await?
            && !already_asked(&q, &room.used_questions)
            && !(filtered && moderation::matches(&q))
        {
            return Ok(q);
        }
        let theme = room.settings.theme.as_deref();
        Ok(self
            .instant
            .question(theme, &room.used_questions)
            .await
            .text)
    }

    /// Asks the (possibly slow) provider for the room's next question in the background.
    pub(super) fn prepare(&self, room: &Room) {
        let store = Arc::clone(&self.store);
        let questions = Arc::clone(&self.prepared);
        let code = room.code.clone();
        let theme = room.settings.theme.clone();
        let used = room.used_questions.clone();
        tokio::spawn(async move {
            let q = questions.question(theme.as_deref(), &used).await;
            if let Err(e) = store.put_next_question(&code, &q.text).await {
                tracing::warn!(%code, error = %crate::error::chain(&e), "could not store the prepared question");
            }
        });
    }
}
