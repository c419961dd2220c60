//! A poll's options: adding one, changing its text, deleting it, each by the poll's creator
//! while nobody has chosen the option (`domain::poll::lifecycle` decides), in the poll's
//! locked transaction with its audit entry, as every edit of a poll (`service`).

use serde_json::json;
use sqlx::PgConnection;
use uuid::Uuid;

use super::{PollService, Spend, view::OptionView};
use crate::{
    db::{
        self, DbError,
        audit::{self, Target},
        ballots,
        polls::{PollChanges, PollRecord},
    },
    domain::poll::{PollError, create},
    error::Error,
    store::poll_cache::Counts,
};

impl PollService {
    pub(crate) async fn add_option(
        &self,
        actor: Uuid,
        id: Uuid,
        text: &str,
    ) -> Result<OptionView, Error> {
        let text = create::option_text(text, "text")?;
        self.spend(actor, Spend::Write).await?;
        let (mut tx, record) = self.locked(actor, id).await?;
        let keys: Vec<String> = record
            .options
            .iter()
            .map(|o| create::option_key(&o.text))
            .collect();
        record
            .state(false)
            .check_add_option(actor, &create::option_key(&text), &keys)?;
        let option = db::polls::insert_option(&mut tx, id, &text)
            .await
            .map_err(duplicate_option)?;
        audit::record(
            &mut tx,
            Some(actor),
            "option_added",
            Target::option(id, option.id),
            json!({"text": option.text}),
        )
        .await?;
        self.finish(tx, actor, id).await?;
        Ok(OptionView::of(&option, &Counts::default()))
    }

    pub(crate) async fn edit_option(
        &self,
        actor: Uuid,
        id: Uuid,
        option: Uuid,
        text: &str,
    ) -> Result<OptionView, Error> {
        let text = create::option_text(text, "text")?;
        self.spend(actor, Spend::Write).await?;
        let (mut tx, record) = self.locked(actor, id).await?;
        let voted = option_voted(&mut tx, &record, id, option).await?;
        record
            .state(false)
            .check_option_change(actor, option, voted, false)?;
        let key = create::option_key(&text);
        if record
            .options
            .iter()
            .any(|o| o.id != option && create::option_key(&o.text) == key)
        {
            return Err(PollError::DuplicateOption.into());
        }
        let row = db::polls::update_option(&mut tx, option, &text)
            .await
            .map_err(duplicate_option)?;
        audit::record(
            &mut tx,
            Some(actor),
            "option_updated",
            Target::option(id, option),
            json!({"text": row.text}),
        )
        .await?;
        self.finish(tx, actor, id).await?;
        Ok(OptionView::of(&row, &Counts::default()))
    }

    pub(crate) async fn delete_option(
        &self,
        actor: Uuid,
        id: Uuid,
        option: Uuid,
    ) -> Result<(), Error> {
        self.spend(actor, Spend::Write).await?;
        let (mut tx, record) = self.locked(actor, id).await?;
        let voted = option_voted(&mut tx, &record, id, option).await?;
        let state = record.state(false);
        state.check_option_change(actor, option, voted, true)?;
        db::polls::delete_option(&mut tx, option).await?;
        // A multiple-choice poll never allows more choices than it has options.
        let max = state.max_choices_for(record.options.len().saturating_sub(1));
        if max != state.max_choices {
            let changes = PollChanges {
                max_choices: Some(max),
                ..PollChanges::default()
            };
            db::polls::update(&mut tx, id, &changes).await?;
        }
        audit::record(
            &mut tx,
            Some(actor),
            "option_deleted",
            Target::option(id, option),
            json!({}),
        )
        .await?;
        self.finish(tx, actor, id).await?;
        Ok(())
    }
}

/// Whether anyone chose `option` (only asked when it is the poll's and the actor its creator,
/// so a stranger learns nothing from the answer).
async fn option_voted(
    conn: &mut PgConnection,
    record: &PollRecord,
    poll: Uuid,
    option: Uuid,
) -> Result<bool, Error> {
    if !record.options.iter().any(|o| o.id == option) {
        return Ok(false);
    }
    Ok(ballots::option_has_votes(conn, poll, option).await?)
}

/// Two concurrent adds of the same text: the unique index refuses the second.
fn duplicate_option(e: DbError) -> Error {
    match e {
        DbError::Unique(_) => PollError::DuplicateOption.into(),
        other => other.into(),
    }
}
