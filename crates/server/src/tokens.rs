//! Resume tokens: the secret a client presents (`Resume`) to take its held session back.
//!
//! The store keeps only a hash of each token (so a copy of the data directory resumes
//! nobody), written in the turn that made it; start-up loads them, so a client resumes
//! across a server restart. The plain token is known only while the server that made
//! it (or saw it presented) runs.

use lineup_engine::SessionId;
use rustc_hash::FxHashMap;
use sha2::{Digest, Sha256};

use crate::auth;
use crate::journal::{Journal, JournalError};

/// The hash under which a token is stored.
pub fn token_hash(token: &str) -> String {
    auth::hex(&Sha256::digest(token.as_bytes()))
}

/// The app a resume token belongs to (None: not a token of this server's making).
pub fn token_app(token: &str) -> Option<&str> {
    token.split_once('.').map(|(_, app)| app).filter(|a| !a.is_empty())
}

/// The live sessions' resume tokens.
#[derive(Default)]
pub struct ResumeTokens {
    by_hash: FxHashMap<String, SessionId>,
    hash_of: FxHashMap<SessionId, String>,
    plain: FxHashMap<SessionId, String>,
}

impl ResumeTokens {
    /// The tokens stored by an earlier run.
    pub fn load(journal: &mut dyn Journal) -> Result<ResumeTokens, JournalError> {
        let mut tokens = ResumeTokens::default();
        for (hash, session) in journal.resume_tokens()? {
            let session = SessionId(session);
            tokens.hash_of.insert(session, hash.clone());
            tokens.by_hash.insert(hash, session);
        }
        Ok(tokens)
    }

    /// The session's token; a new one (stored) when this run does not know it. A token
    /// is `<random hex>.<app>`: any cluster node can tell which app's owner resumes it.
    pub fn token_for(&mut self, journal: &mut dyn Journal, session: SessionId, app: &str) -> Result<String, JournalError> {
        if let Some(t) = self.plain.get(&session) {
            return Ok(t.clone());
        }
        let token = format!("{}.{app}", auth::random_id());
        let hash = token_hash(&token);
        self.forget(journal, session)?;
        journal.put_resume_token(&hash, session.0)?;
        self.by_hash.insert(hash.clone(), session);
        self.hash_of.insert(session, hash);
        self.plain.insert(session, token.clone());
        Ok(token)
    }

    /// The session a presented token belongs to; remembers the plain token for it.
    pub fn session_for(&mut self, token: &str) -> Option<SessionId> {
        let session = *self.by_hash.get(&token_hash(token))?;
        self.plain.insert(session, token.to_string());
        Some(session)
    }

    /// The session ended: its token works no more.
    pub fn forget(&mut self, journal: &mut dyn Journal, session: SessionId) -> Result<(), JournalError> {
        self.plain.remove(&session);
        if let Some(hash) = self.hash_of.remove(&session) {
            self.by_hash.remove(&hash);
            journal.drop_resume_token(&hash)?;
        }
        Ok(())
    }

    /// Drops tokens of sessions the engine no longer has (start-up).
    pub fn retain(&mut self, journal: &mut dyn Journal, alive: impl Fn(SessionId) -> bool) -> Result<(), JournalError> {
        let dead: Vec<SessionId> = self.hash_of.keys().copied().filter(|s| !alive(*s)).collect();
        for session in dead {
            self.forget(journal, session)?;
        }
        Ok(())
    }
}
