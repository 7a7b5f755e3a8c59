//! A refused administration request ([`AdminError`]): its Web API `RspCode` and HTTP
//! status, in one place (a leaf: it imports nothing of the server).

use lineup_protocol::rest::rsp;

/// A refused administration request. Each kind has its Web API `RspCode` and HTTP
/// status here, in one place; the text is the envelope's `RspDesc`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AdminError {
    /// A field, the path or the body is invalid (4, 400).
    #[error("{0}")]
    BadParameter(String),
    /// The body is larger than the endpoint takes (4, 413).
    #[error("{0}")]
    TooLarge(String),
    /// The request does not fit the current state: a full queue, a delivery that is not
    /// dead, too many subscriptions (4, 409).
    #[error("{0}")]
    Conflict(String),
    /// A name is taken, or the service it needs has not started (6, 409).
    #[error("{0}")]
    NameConflict(String),
    /// No such queue, recording, agent event or delivery (6, 404).
    #[error("{0}")]
    NotFound(String),
    /// No such app (2, 404).
    #[error("{0}")]
    NoApp(String),
    /// A missing or wrong key (1, 401).
    #[error("{0}")]
    Unauthorized(String),
    /// The app secret is wrong (3, 401).
    #[error("wrong app secret")]
    WrongSecret,
    /// Not allowed on this server at all (1, 403).
    #[error("{0}")]
    Forbidden(String),
    /// No such endpoint (5, 404).
    #[error("no such API endpoint")]
    NoEndpoint,
    /// The server failed: storage, a refused job (5, 500).
    #[error("{0}")]
    Internal(String),
    /// A part the request needs is down or moving: the hub, the cluster database, the
    /// node that has a recording (5, 503).
    #[error("{0}")]
    Unavailable(String),
    /// What the HTTP framework answered itself (a wrong method, an unreadable path), its
    /// status kept: 5 for a 5xx, otherwise 4.
    #[error("{desc}")]
    Framework { status: u16, desc: String },
}

impl AdminError {
    /// The Web API `RspCode`.
    pub fn rsp_code(&self) -> u32 {
        match self {
            AdminError::BadParameter(_) | AdminError::TooLarge(_) | AdminError::Conflict(_) => rsp::BAD_PARAMETER,
            AdminError::NameConflict(_) | AdminError::NotFound(_) => rsp::NAME_EXISTS_OR_NOT_FOUND,
            AdminError::NoApp(_) => rsp::NO_ACCOUNT,
            AdminError::Unauthorized(_) | AdminError::Forbidden(_) => rsp::NO_PERMISSION,
            AdminError::WrongSecret => rsp::WRONG_SECRET,
            AdminError::NoEndpoint | AdminError::Internal(_) | AdminError::Unavailable(_) => rsp::UNKNOWN,
            AdminError::Framework { status, .. } if *status >= 500 => rsp::UNKNOWN,
            AdminError::Framework { .. } => rsp::BAD_PARAMETER,
        }
    }

    /// The HTTP status.
    pub fn status(&self) -> u16 {
        match self {
            AdminError::BadParameter(_) => 400,
            AdminError::Unauthorized(_) | AdminError::WrongSecret => 401,
            AdminError::Forbidden(_) => 403,
            AdminError::NotFound(_) | AdminError::NoApp(_) | AdminError::NoEndpoint => 404,
            AdminError::Conflict(_) | AdminError::NameConflict(_) => 409,
            AdminError::TooLarge(_) => 413,
            AdminError::Internal(_) => 500,
            AdminError::Unavailable(_) => 503,
            AdminError::Framework { status, .. } => *status,
        }
    }

    pub fn bad(desc: impl Into<String>) -> Self {
        AdminError::BadParameter(desc.into())
    }

    pub fn store(e: rusqlite::Error) -> Self {
        tracing::error!(error = %e, "store write failed");
        AdminError::Internal(format!("storage error: {e}"))
    }
}
