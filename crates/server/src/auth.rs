//! Credentials: the MD5 of app secrets (CloudRoom's `md5_appSecret`), and signed
//! tokens and login tickets (HMAC-SHA256 with the app secret).
//!
//! A token is `lu1.<base64url(claims JSON)>.<base64url(HMAC)>`.

use crate::ws_error::WsError;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use md5::{Digest, Md5};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

/// Lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Lower-case hex MD5.
pub fn md5_hex(s: &str) -> String {
    hex(&Md5::digest(s.as_bytes()))
}

/// HMAC-SHA256 keyed with an app secret, ready for `update`.
pub fn hmac_sha256(secret: &str) -> Hmac<Sha256> {
    Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length")
}

/// Constant-time comparison of two strings.
pub fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// What a token or ticket says.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    pub app: String,
    pub uid: String,
    #[serde(default)]
    pub nick: String,
    pub roles: Vec<String>,
    /// Expiry, Unix seconds.
    pub exp: u64,
    /// "token" (minted for a business backend) or "ticket" (one login's pass to /ws).
    pub kind: String,
    /// A ticket's unique id (each ticket is accepted once).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub jti: String,
}

/// A random id (hex).
pub fn random_id() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut bytes);
    hex(&bytes)
}

/// Checks a user-facing text field: length and no control characters.
pub fn check_text(field: &str, v: &str, min: usize, max: usize) -> Result<(), String> {
    let n = v.chars().count();
    if n < min || n > max || v.chars().any(char::is_control) {
        return Err(format!("invalid {field}: must be {min} to {max} printable characters (got {n})"));
    }
    Ok(())
}

const PREFIX: &str = "lu1.";

/// Signs claims with the app secret.
pub fn sign(secret: &str, claims: &Claims) -> String {
    let body = B64.encode(serde_json::to_vec(claims).expect("claims serialize"));
    let mut mac = hmac_sha256(secret);
    mac.update(body.as_bytes());
    format!("{PREFIX}{body}.{}", B64.encode(mac.finalize().into_bytes()))
}

/// Reads the claims without checking them (to learn the app), or says it's no token.
pub fn peek(token: &str) -> Result<Claims, WsError> {
    let not_token = || WsError::NotToken("not a Lineup token".to_string());
    let rest = token.strip_prefix(PREFIX).ok_or_else(not_token)?;
    let (body, _) = rest.split_once('.').ok_or_else(not_token)?;
    let json = B64.decode(body).map_err(|_| not_token())?;
    serde_json::from_slice(&json).map_err(|_| not_token())
}

/// Checks signature, kind and expiry.
pub fn verify(secret: &str, token: &str, kind: &str, now_s: u64) -> Result<Claims, WsError> {
    let claims = peek(token)?;
    let rest = &token[PREFIX.len()..];
    let (body, sig) = rest.split_once('.').expect("peek checked");
    let sig = B64.decode(sig).map_err(|_| WsError::BadSignature("bad token signature".to_string()))?;
    let mut mac = hmac_sha256(secret);
    mac.update(body.as_bytes());
    mac.verify_slice(&sig).map_err(|_| WsError::BadSignature("bad token signature".to_string()))?;
    if claims.kind != kind {
        return Err(WsError::NotToken(format!("a {} was given where a {kind} is needed", claims.kind)));
    }
    if claims.exp <= now_s {
        return Err(WsError::TokenExpired(format!("the {kind} expired")));
    }
    Ok(claims)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(exp: u64) -> Claims {
        Claims {
            app: "demo".into(),
            uid: "u1".into(),
            nick: "U".into(),
            roles: vec!["agent".into()],
            exp,
            kind: "token".into(),
            jti: String::new(),
        }
    }

    #[test]
    fn md5_of_demo_secret() {
        assert_eq!(md5_hex("demo"), "fe01ce2a7fbac8fafaed7c982a04e229");
    }

    #[test]
    fn token_round_trip_and_failures() {
        let t = sign("s3cret", &claims(100));
        assert_eq!(verify("s3cret", &t, "token", 99).unwrap(), claims(100));
        assert_eq!(verify("s3cret", &t, "token", 100).unwrap_err().code(), lineup_protocol::codes::TOKEN_TIMEOUT);
        assert_eq!(verify("other", &t, "token", 1).unwrap_err().code(), lineup_protocol::codes::TOKEN_AUTH_FAILED);
        assert_eq!(verify("s3cret", &t, "ticket", 1).unwrap_err().code(), lineup_protocol::codes::TOKEN_NOTTOKENTYPE);
        assert_eq!(
            verify("s3cret", "garbage", "token", 1).unwrap_err().code(),
            lineup_protocol::codes::TOKEN_NOTTOKENTYPE
        );
        let tampered = t.replacen("lu1.e", "lu1.f", 1);
        assert!(verify("s3cret", &tampered, "token", 1).is_err());
    }
}
