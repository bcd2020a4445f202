//! The OAuth issuer's signing keys (JWKS): from the `oauth_jwks` variable, or fetched
//! from `oauth_jwks_url` and cached in the key-value store for every replica.
//!
//! The cache is refreshed when older than `oauth_jwks_ttl_secs` (default 3600) or
//! when a token names a key id the cache lacks (key rotation), but at most once per
//! `oauth_jwks_min_refetch_secs` (default 60), so tokens with made-up key ids
//! cannot make the server hammer the issuer.

use crate::platform::Platform;
use crate::store::decode_record;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rsa::traits::PublicKeyParts;
use rsa::{BigUint, Pkcs1v15Sign, RsaPublicKey};
use serde::{Deserialize, Serialize};

pub const CACHE_KEY: &str = "k/jwks";
const DEFAULT_TTL_SECS: u64 = 3600;
const DEFAULT_MIN_REFETCH_SECS: u64 = 60;
/// A JWKS document larger than this is refused.
const MAX_JWKS_BYTES: usize = 256 * 1024;
/// Smaller RSA keys are not used (RFC 7518, 3.3: 2048 bits or larger). rsa refuses
/// moduli over 4096 bits.
const MIN_RSA_BITS: usize = 2048;

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Jwk {
    kty: String,
    #[serde(default)]
    kid: Option<String>,
    #[serde(default)]
    alg: Option<String>,
    #[serde(default, rename = "use")]
    key_use: Option<String>,
    #[serde(default)]
    n: Option<String>,
    #[serde(default)]
    e: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct JwkSet {
    keys: Vec<Jwk>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Cached {
    fetched_at_ms: u64,
    keys: Vec<Jwk>,
}

/// The RSA signing keys of the issuer, ready to verify.
pub struct Jwks {
    keys: Vec<SigningKey>,
}

pub struct SigningKey {
    kid: Option<String>,
    /// A digest of the key material (modulus and exponent), so a remembered
    /// verification can name the very key that made it.
    pub fingerprint: String,
    key: RsaPublicKey,
}

impl SigningKey {
    /// Whether `signature` is this key's RSASSA-PKCS1-v1_5 signature with SHA-256
    /// (RS256) of `signing_input`.
    pub fn verifies(&self, signing_input: &str, signature: &[u8]) -> bool {
        let digest = hmac_sha256::Hash::hash(signing_input.as_bytes());
        self.key
            .verify(Pkcs1v15Sign::new::<rsa::sha2::Sha256>(), &digest, signature)
            .is_ok()
    }
}

impl Jwks {
    fn from_jwks(keys: &[Jwk]) -> Self {
        let keys = keys
            .iter()
            .filter(|k| k.kty == "RSA")
            .filter(|k| k.alg.as_deref().is_none_or(|a| a == "RS256"))
            .filter(|k| k.key_use.as_deref().is_none_or(|u| u == "sig"))
            .filter_map(|k| {
                let n = URL_SAFE_NO_PAD.decode(k.n.as_deref()?).ok()?;
                let e = URL_SAFE_NO_PAD.decode(k.e.as_deref()?).ok()?;
                let key = RsaPublicKey::new(BigUint::from_bytes_be(&n), BigUint::from_bytes_be(&e))
                    .ok()
                    .filter(|key| key.size() * 8 >= MIN_RSA_BITS)?;
                let mut h = hmac_sha256::Hash::new();
                h.update((n.len() as u64).to_be_bytes());
                h.update(&n);
                h.update(&e);
                Some(SigningKey {
                    kid: k.kid.clone(),
                    fingerprint: crate::encoding::base64url(&h.finalize()[..18]),
                    key,
                })
            })
            .collect();
        Self { keys }
    }

    /// The key for `kid`; a token without `kid` is only accepted when the issuer
    /// has exactly one key.
    pub fn find(&self, kid: Option<&str>) -> Option<&SigningKey> {
        match kid {
            Some(kid) => self.keys.iter().find(|k| k.kid.as_deref() == Some(kid)),
            None if self.keys.len() == 1 => self.keys.first(),
            None => None,
        }
    }

    fn has(&self, kid: Option<&str>) -> bool {
        self.find(kid).is_some()
    }
}

fn parse(bytes: &[u8]) -> Result<Vec<Jwk>, String> {
    serde_json::from_slice::<JwkSet>(bytes)
        .map(|s| s.keys)
        .map_err(|e| format!("the issuer's JWKS is not valid JSON Web Key Set ({e})"))
}

/// The keys to verify a token whose header names `kid`.
pub fn keys_for(platform: &dyn Platform, kid: Option<&str>) -> Result<Jwks, String> {
    if let Some(static_jwks) = platform.variable("oauth_jwks") {
        return Ok(Jwks::from_jwks(&parse(static_jwks.as_bytes())?));
    }
    let Some(url) = platform.variable("oauth_jwks_url") else {
        return Err("the server has no oauth_jwks_url or oauth_jwks configured".into());
    };
    let now = platform.now_ms();
    let secs = |name: &str, default: u64| {
        platform
            .variable(name)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(default)
            * 1000
    };
    let ttl_ms = secs("oauth_jwks_ttl_secs", DEFAULT_TTL_SECS);
    let min_refetch_ms = secs("oauth_jwks_min_refetch_secs", DEFAULT_MIN_REFETCH_SECS);
    let kv = platform.kv();
    let cached: Option<Cached> = kv
        .get(CACHE_KEY)
        .map_err(|e| e.to_string())?
        .and_then(|bytes| decode_record(CACHE_KEY, &bytes).ok());
    if let Some(c) = &cached {
        let keys = Jwks::from_jwks(&c.keys);
        let age = now.saturating_sub(c.fetched_at_ms);
        let fresh = age < ttl_ms;
        if (fresh && keys.has(kid)) || age < min_refetch_ms {
            return Ok(keys);
        }
    }
    match fetch(platform, &url) {
        Ok(keys) => {
            let record = Cached {
                fetched_at_ms: now,
                keys,
            };
            // A failed cache write only costs a refetch later.
            let _ = kv.set(CACHE_KEY, &serde_json::to_vec(&record).unwrap_or_default());
            Ok(Jwks::from_jwks(&record.keys))
        }
        // The issuer is down: keep verifying with the keys we had.
        Err(_) if cached.is_some() => {
            Ok(Jwks::from_jwks(&cached.map(|c| c.keys).unwrap_or_default()))
        }
        Err(e) => Err(e),
    }
}

fn fetch(platform: &dyn Platform, url: &str) -> Result<Vec<Jwk>, String> {
    let body = platform
        .http_get(url)
        .map_err(|e| format!("the issuer's keys could not be fetched ({e})"))?;
    if body.len() > MAX_JWKS_BYTES {
        return Err("the issuer's JWKS is too large".into());
    }
    parse(&body)
}
