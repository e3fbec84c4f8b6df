//! Token verification and minting.
//!
//! The algorithm for each key is fixed by configuration and never taken from
//! the token header, so `alg: none` and HS256-signed-with-the-RSA-public-key
//! tokens fail before any signature math.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use jsonwebtoken::jwk::{AlgorithmParameters, JwkSet};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use moka::future::Cache;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::Role;
use crate::config::{Config, DEV_JWT_SECRET};

/// The claims this API reads. `exp`, `iss`, `aud` and `sub` are required.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub iss: String,
    pub aud: String,
    pub sub: String,
    pub exp: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<u64>,
    pub iat: u64,
    /// Tenant id.
    pub tid: Uuid,
    #[serde(default)]
    pub roles: Vec<Role>,
    /// Terminal id, on device tokens only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trm: Option<Uuid>,
    /// The terminal's location, on device tokens only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loc: Option<Uuid>,
}

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("invalid token: {0}")]
    Invalid(String),
    #[error("key configuration: {0}")]
    Config(String),
}

struct VerifyKey {
    alg: Algorithm,
    key: DecodingKey,
}

struct Signer {
    alg: Algorithm,
    kid: Option<String>,
    key: EncodingKey,
}

/// The configured verification keys and the optional signing key.
pub struct Keys {
    /// The HS256 secret, used for tokens without a `kid`.
    secret: Option<VerifyKey>,
    /// Public keys by `kid`.
    by_kid: HashMap<String, VerifyKey>,
    signer: Option<Signer>,
    issuer: String,
    audience: String,
    leeway: u64,
    /// True when running on the well-known development secret.
    pub uses_dev_secret: bool,
    /// Tokens already verified, by their exact text (see `verify_cached`).
    verified: Cache<String, Arc<Claims>>,
}

/// About this much memory for verified tokens, counting each at twice its
/// text plus its claims.
const VERIFIED_BYTES: u64 = 16 * 1024 * 1024;
/// A verified token is verified again at least this often, whatever its
/// expiry.
const VERIFIED_FOR: Duration = Duration::from_secs(300);

impl Keys {
    pub fn from_config(config: &Config) -> Result<Self, AuthError> {
        let by_kid = match &config.jwt_public_keys {
            Some(source) => load_jwks(source)?,
            None => HashMap::new(),
        };
        let (secret, uses_dev_secret) = match (&config.jwt_secret, by_kid.is_empty()) {
            (Some(s), _) if s.len() < 32 => {
                return Err(AuthError::Config(
                    "POS_JWT_SECRET must be at least 32 bytes".into(),
                ));
            }
            (Some(s), _) => (Some(s.clone()), s == DEV_JWT_SECRET),
            (None, true) => (Some(DEV_JWT_SECRET.to_owned()), true),
            (None, false) => (None, false),
        };
        if uses_dev_secret && config.is_production() {
            return Err(AuthError::Config(
                "POS_ENV=production refuses the development JWT secret: set POS_JWT_SECRET or POS_JWT_PUBLIC_KEYS".into(),
            ));
        }
        let signer = match (&secret, &config.jwt_signing_key) {
            (_, Some(path)) => Some(load_signer(
                path,
                config.jwt_signing_kid.as_deref(),
                &by_kid,
            )?),
            (Some(s), None) => Some(Signer {
                alg: Algorithm::HS256,
                kid: None,
                key: EncodingKey::from_secret(s.as_bytes()),
            }),
            (None, None) => None,
        };
        Ok(Self {
            secret: secret.map(|s| VerifyKey {
                alg: Algorithm::HS256,
                key: DecodingKey::from_secret(s.as_bytes()),
            }),
            by_kid,
            signer,
            issuer: config.jwt_issuer.clone(),
            audience: config.jwt_audience.clone(),
            leeway: config.jwt_leeway_secs.min(60),
            uses_dev_secret,
            verified: Cache::builder()
                .max_capacity(VERIFIED_BYTES)
                .weigher(|token: &String, _| {
                    u32::try_from(token.len().saturating_mul(2).saturating_add(512))
                        .unwrap_or(u32::MAX)
                })
                .time_to_live(VERIFIED_FOR)
                .build(),
        })
    }

    /// Unix seconds until which `claims` are honoured: their `exp` plus the
    /// clock leeway, as verification counts it.
    pub fn deadline(&self, claims: &Claims) -> u64 {
        claims.exp.saturating_add(self.leeway)
    }

    /// `verify`, remembering tokens that pass. A terminal or app sends the
    /// same token with every request until it expires, and checking it
    /// again costs a signature (an RSA one with public keys) and a JSON
    /// parse. A token is found only by its exact text, so a hit is the same
    /// bytes that verified before against the same keys (they are fixed for
    /// the life of the process); its expiry is checked again on each hit.
    pub async fn verify_cached(&self, token: &str) -> Result<Claims, AuthError> {
        if let Some(claims) = self.verified.get(token).await {
            let now = jsonwebtoken::get_current_timestamp();
            if claims.exp.saturating_add(self.leeway) >= now {
                return Ok(Claims::clone(&claims));
            }
            self.verified.invalidate(token).await;
        }
        let claims = self.verify(token)?;
        self.verified
            .insert(token.to_owned(), Arc::new(claims.clone()))
            .await;
        Ok(claims)
    }

    /// Verifies signature, algorithm, `exp`, `nbf`, `iss`, `aud` and `sub`.
    pub fn verify(&self, token: &str) -> Result<Claims, AuthError> {
        let header = jsonwebtoken::decode_header(token).map_err(invalid)?;
        let key = match &header.kid {
            Some(kid) => self.by_kid.get(kid),
            None => self.secret.as_ref(),
        }
        .ok_or_else(|| AuthError::Invalid("unknown signing key".into()))?;
        let mut validation = Validation::new(key.alg);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.set_issuer(&[&self.issuer]);
        validation.set_audience(&[&self.audience]);
        validation.validate_nbf = true;
        validation.leeway = self.leeway;
        let data = jsonwebtoken::decode::<Claims>(token, &key.key, &validation).map_err(invalid)?;
        if data.claims.sub.trim().is_empty() {
            return Err(AuthError::Invalid("empty subject".into()));
        }
        Ok(data.claims)
    }

    /// Mints a token for `claims`'s tenant and subject, valid for `ttl`.
    pub fn sign(
        &self,
        tid: Uuid,
        sub: &str,
        roles: Vec<Role>,
        terminal: Option<(Uuid, Uuid)>,
        ttl: std::time::Duration,
    ) -> Result<(String, Claims), AuthError> {
        let signer = self.signer.as_ref().ok_or_else(|| {
            AuthError::Config(
                "no signing key: set POS_JWT_SECRET, or POS_JWT_SIGNING_KEY and POS_JWT_SIGNING_KID"
                    .into(),
            )
        })?;
        let now = jsonwebtoken::get_current_timestamp();
        let claims = Claims {
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            sub: sub.to_owned(),
            exp: now.saturating_add(ttl.as_secs()),
            nbf: Some(now),
            iat: now,
            tid,
            roles,
            trm: terminal.map(|(t, _)| t),
            loc: terminal.map(|(_, l)| l),
        };
        let mut header = Header::new(signer.alg);
        header.kid = signer.kid.clone();
        let token = jsonwebtoken::encode(&header, &claims, &signer.key)
            .map_err(|e| AuthError::Config(e.to_string()))?;
        Ok((token, claims))
    }
}

fn invalid(err: jsonwebtoken::errors::Error) -> AuthError {
    AuthError::Invalid(err.to_string())
}

/// Reads a JWKS document (inline JSON or a file path) into keys by `kid`.
/// Only RS256 and EdDSA keys are accepted; each key's algorithm comes from
/// its `alg`, or from its key type when `alg` is absent.
fn load_jwks(source: &str) -> Result<HashMap<String, VerifyKey>, AuthError> {
    let text = if source.trim_start().starts_with('{') {
        source.to_owned()
    } else {
        std::fs::read_to_string(source)
            .map_err(|e| AuthError::Config(format!("POS_JWT_PUBLIC_KEYS: {source}: {e}")))?
    };
    let set: JwkSet = serde_json::from_str(&text)
        .map_err(|e| AuthError::Config(format!("POS_JWT_PUBLIC_KEYS is not a JWKS: {e}")))?;
    let mut keys = HashMap::new();
    for jwk in &set.keys {
        let kid = jwk.common.key_id.clone().ok_or_else(|| {
            AuthError::Config("every key in POS_JWT_PUBLIC_KEYS needs a kid".into())
        })?;
        let by_type = match &jwk.algorithm {
            AlgorithmParameters::RSA(_) => Algorithm::RS256,
            AlgorithmParameters::OctetKeyPair(_) => Algorithm::EdDSA,
            _ => {
                return Err(AuthError::Config(format!(
                    "key {kid}: only RSA (RS256) and Ed25519 (EdDSA) keys are supported"
                )));
            }
        };
        let alg = match jwk.common.key_algorithm {
            Some(declared) => Algorithm::try_from(declared)
                .map_err(|e| AuthError::Config(format!("key {kid}: {e}")))?,
            None => by_type,
        };
        if alg != by_type {
            return Err(AuthError::Config(format!(
                "key {kid}: alg {alg:?} does not match its key type"
            )));
        }
        let key =
            DecodingKey::from_jwk(jwk).map_err(|e| AuthError::Config(format!("key {kid}: {e}")))?;
        keys.insert(kid, VerifyKey { alg, key });
    }
    Ok(keys)
}

fn load_signer(
    path: &std::path::Path,
    kid: Option<&str>,
    by_kid: &HashMap<String, VerifyKey>,
) -> Result<Signer, AuthError> {
    let kid = kid
        .ok_or_else(|| AuthError::Config("POS_JWT_SIGNING_KEY needs POS_JWT_SIGNING_KID".into()))?;
    let alg = by_kid.get(kid).map(|k| k.alg).ok_or_else(|| {
        AuthError::Config(format!(
            "POS_JWT_SIGNING_KID {kid} is not in POS_JWT_PUBLIC_KEYS, so the server could not verify its own tokens"
        ))
    })?;
    let pem = std::fs::read(path)
        .map_err(|e| AuthError::Config(format!("POS_JWT_SIGNING_KEY {}: {e}", path.display())))?;
    let key = match alg {
        Algorithm::RS256 => EncodingKey::from_rsa_pem(&pem),
        _ => EncodingKey::from_ed_pem(&pem),
    }
    .map_err(|e| AuthError::Config(format!("POS_JWT_SIGNING_KEY: {e}")))?;
    Ok(Signer {
        alg,
        kid: Some(kid.to_owned()),
        key,
    })
}
