//! The big screen (contract v3): a room's screen link for a TV or projector. The host makes a
//! key (a new one replaces, and so revokes, the last); a Socket.IO connection that shows
//! `{code}:{key}` watches the room without a seat. Only the key's SHA-256 is stored, and a
//! presented key is checked against it in constant time.

use rand::RngCore;
use sha2::{Digest, Sha256};

use super::{GameService, pipeline::room_not_found};
use crate::{
    auth::secret,
    db,
    domain::{Room, UserId, code},
    error::Error,
};

/// Random bytes in a key: 256 bits, sent as 64 hex characters.
const KEY_BYTES: usize = 32;

/// A screen link just made: the key, and the web client's path that carries it (in the
/// fragment, which browsers never send, so the key stays out of server and proxy logs).
pub(crate) struct ScreenLink {
    pub(crate) code: String,
    pub(crate) key: String,
}

impl ScreenLink {
    pub(crate) fn path(&self) -> String {
        format!("/screen/{}#{}", self.code, self.key)
    }
}

fn hash(key: &str) -> [u8; 32] {
    Sha256::digest(key.as_bytes()).into()
}

impl GameService {
    /// The host makes the room's screen link; any earlier link stops working, and the screens
    /// open with it are closed.
    pub(crate) async fn create_screen(&self, by: UserId, code: &str) -> Result<ScreenLink, Error> {
        let code = self.hosted(by, code).await?;
        let mut bytes = [0u8; KEY_BYTES];
        rand::rng().fill_bytes(&mut bytes);
        let key = secret::hex(&bytes);
        if !db::screens::set(&self.db, &code, Some(&hash(&key))).await? {
            return Err(room_not_found());
        }
        self.end_screens(&code).await;
        Ok(ScreenLink { code, key })
    }

    /// The host revokes the room's screen link: it is refused from now on, and the screens
    /// open with it are closed.
    pub(crate) async fn revoke_screen(&self, by: UserId, code: &str) -> Result<(), Error> {
        let code = self.hosted(by, code).await?;
        db::screens::set(&self.db, &code, None).await?;
        self.end_screens(&code).await;
        Ok(())
    }

    /// The room a screen credential (`{code}:{key}`) opens, if the key is the room's current
    /// one and the room is open; `None` for anything else, whatever was wrong with it.
    pub(crate) async fn screen_room(&self, credential: &str) -> Result<Option<Room>, Error> {
        let Some((code, key)) = credential.split_once(':') else {
            return Ok(None);
        };
        // Nothing that could be a key we made costs a read of Postgres or Redis.
        if key.len() != 2 * KEY_BYTES || !key.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Ok(None);
        }
        let Some(code) = code::normalize(code) else {
            return Ok(None);
        };
        let Some(stored) = db::screens::hash_of(&self.db, &code).await? else {
            return Ok(None);
        };
        if !secret::same(&stored, &hash(key)) {
            return Ok(None);
        }
        match self.rooms.load(&code).await {
            Ok(s) => Ok(Some(s.room)),
            Err(Error::NotFound(..)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The room's code as stored, once `by` is known to be its host.
    async fn hosted(&self, by: UserId, code: &str) -> Result<String, Error> {
        let code = code::normalize(code).ok_or_else(room_not_found)?;
        let stored = self.look_up(by, &code).await?;
        stored.room.require_host(by)?;
        Ok(stored.room.code)
    }

    /// Closes this room's open screens, on every node (the publisher's broadcast).
    async fn end_screens(&self, code: &str) {
        if let Some(p) = self.rooms.publisher() {
            p.screens_revoked(code).await;
        }
    }
}
