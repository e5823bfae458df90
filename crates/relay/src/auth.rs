//! Access control: HS256 tokens whose claims name documents (exact or prefix), a scope
//! and an expiry.

use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::Scope;

/// A token's claims.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// Document names, exact, or prefixes written with a trailing `*`.
    pub docs: Vec<String>,
    /// Read or write.
    pub scope: Scope,
    /// Expiry, seconds since the Unix epoch.
    pub exp: u64,
}

impl Claims {
    /// Whether the claims cover document `doc`.
    pub fn covers(&self, doc: &str) -> bool {
        self.docs.iter().any(|d| match d.strip_suffix('*') {
            Some(prefix) => doc.starts_with(prefix),
            None => d == doc,
        })
    }
}

/// How the relay admits connections.
#[derive(Clone)]
pub struct Auth {
    key: Option<DecodingKey>,
    allow_anonymous: bool,
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Auth")
            .field("secret", &self.key.is_some())
            .field("allow_anonymous", &self.allow_anonymous)
            .finish()
    }
}

impl Auth {
    /// Tokens signed with `secret` (none: everyone gets write scope), and whether a
    /// connection without a token is admitted (with write scope) when a secret is set.
    pub fn new(secret: Option<&[u8]>, allow_anonymous: bool) -> Self {
        Auth {
            key: secret.map(DecodingKey::from_secret),
            allow_anonymous,
        }
    }

    /// Whether a secret is configured.
    pub fn has_secret(&self) -> bool {
        self.key.is_some()
    }

    /// The scope `token` grants on `doc`, or `None` when it is refused (missing,
    /// malformed, badly signed, expired, or not covering `doc`).
    pub fn admit(&self, token: Option<&str>, doc: &str) -> Option<Scope> {
        let Some(key) = &self.key else {
            return Some(Scope::Write);
        };
        let Some(token) = token.filter(|t| !t.is_empty()) else {
            return self.allow_anonymous.then_some(Scope::Write);
        };
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_required_spec_claims(&["exp"]);
        let claims = decode::<Claims>(token, key, &validation).ok()?.claims;
        claims.covers(doc).then_some(claims.scope)
    }
}

/// Signs `claims` with `secret` (HS256): for tests, tools and application servers that
/// mint tokens for their users.
pub fn sign_token(claims: &Claims, secret: &[u8]) -> Result<String, crate::Error> {
    encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(secret),
    )
    .map_err(|e| crate::Error::Config(format!("cannot sign token: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn in_an_hour() -> u64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs())
            + 3600
    }

    #[test]
    fn tokens_grant_scope_on_their_documents_only() -> Result<(), crate::Error> {
        let auth = Auth::new(Some(b"s3cret"), false);
        let claims = Claims {
            docs: vec!["board".into(), "team/*".into()],
            scope: Scope::Read,
            exp: in_an_hour(),
        };
        let token = sign_token(&claims, b"s3cret")?;
        assert_eq!(auth.admit(Some(&token), "board"), Some(Scope::Read));
        assert_eq!(auth.admit(Some(&token), "team/a/b"), Some(Scope::Read));
        assert_eq!(auth.admit(Some(&token), "board2"), None);
        assert_eq!(auth.admit(Some(&token), "other"), None);
        assert_eq!(auth.admit(None, "board"), None);
        assert_eq!(auth.admit(Some("garbage"), "board"), None);
        let forged = sign_token(&claims, b"other")?;
        assert_eq!(auth.admit(Some(&forged), "board"), None);
        let expired = sign_token(
            &Claims {
                exp: 1000,
                ..claims.clone()
            },
            b"s3cret",
        )?;
        assert_eq!(auth.admit(Some(&expired), "board"), None);
        let anonymous = Auth::new(Some(b"s3cret"), true);
        assert_eq!(anonymous.admit(None, "x"), Some(Scope::Write));
        assert_eq!(anonymous.admit(Some("garbage"), "x"), None);
        assert_eq!(Auth::new(None, false).admit(None, "x"), Some(Scope::Write));
        Ok(())
    }
}
