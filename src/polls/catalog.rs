//! Categories (anyone reads them; administrators add them) and the audit log's reads (a poll's
//! entries for its creator or an administrator; one's own actions).

use uuid::Uuid;

use super::{
    PollService,
    view::{AuditEntry, CategoryView},
};
use crate::{
    db::{self, DbError},
    domain::poll::{PollError, category::NewCategory},
    error::Error,
};

/// Entries returned at most per audit read.
const AUDIT_LIMIT: i64 = 500;

impl PollService {
    /// From the replica (`db::reads`): a category just added shows within its lag.
    pub(crate) async fn categories(&self) -> Result<Vec<CategoryView>, Error> {
        Ok(self
            .reads
            .run(|pool| async move { db::polls::categories(&pool).await })
            .await?
            .into_iter()
            .map(CategoryView::from)
            .collect())
    }

    pub(crate) async fn add_category(
        &self,
        actor: Uuid,
        slug: &str,
        name: &str,
        description: Option<&str>,
    ) -> Result<CategoryView, Error> {
        if !self.is_admin(actor).await? {
            return Err(PollError::NotAdmin.into());
        }
        let new = NewCategory::check(slug, name, description)?;
        match db::polls::insert_category(&self.db, &new.slug, &new.name, &new.description).await {
            Ok(row) => Ok(row.into()),
            Err(DbError::Unique(_)) => Err(PollError::SlugTaken.into()),
            Err(e) => Err(e.into()),
        }
    }

    /// A poll's audit log: its creator's or an administrator's to read.
    pub(crate) async fn poll_audit(&self, actor: Uuid, id: Uuid) -> Result<Vec<AuditEntry>, Error> {
        let admin = self.is_admin(actor).await?;
        let record = db::polls::get(&self.db, id)
            .await?
            .ok_or(PollError::PollNotFound)?;
        record.state(false).ensure_creator_or_admin(actor, admin)?;
        Ok(db::audit::for_poll(&self.db, id, AUDIT_LIMIT)
            .await?
            .into_iter()
            .map(AuditEntry::from)
            .collect())
    }

    /// What `actor` did, newest first.
    pub(crate) async fn my_audit(&self, actor: Uuid) -> Result<Vec<AuditEntry>, Error> {
        Ok(db::audit::for_actor(&self.db, actor, AUDIT_LIMIT)
            .await?
            .into_iter()
            .map(AuditEntry::from)
            .collect())
    }
}
