//! Secrets: random tokens, SHA-256 for high-entropy secrets, argon2id for passwords and PINs.

use rand::Rng;
use sha2::{Digest, Sha256};

#[cfg(test)]
use super::store::HashCost;
pub use crate::secrets::{hash_password, verify_password};

/// A random URL-safe token of `bytes` random bytes, hex-encoded.
pub fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rng().fill(&mut buf[..]);
    hex::encode(buf)
}

/// A short one-time enrollment code people can type: 10 characters without look-alikes, grouped.
pub fn enrollment_code() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    let raw: String = (0..10).map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char).collect();
    format!("{}-{}", &raw[..5], &raw[5..])
}

/// Normalise a typed enrollment code: case and separators do not matter.
pub fn normalize_code(code: &str) -> String {
    code.chars().filter(|c| c.is_ascii_alphanumeric()).map(|c| c.to_ascii_uppercase()).collect()
}

/// SHA-256 hex of a high-entropy secret (device secrets, session tokens, enrollment codes).
pub fn hash_secret(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_only_themselves() {
        let h = hash_password("4821", HashCost::DEMO);
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("4821", &h));
        assert!(!verify_password("4822", &h));
        assert!(!verify_password("4821", "not a hash"));
    }

    #[test]
    fn codes_are_typeable_and_forgiving() {
        let c = enrollment_code();
        assert_eq!(c.len(), 11);
        assert_eq!(normalize_code(&c.to_lowercase().replace('-', " ")), c.replace('-', ""));
        assert!(!c.contains('0') && !c.contains('O') && !c.contains('1') && !c.contains('I'));
    }
}
