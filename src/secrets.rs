//! argon2id hashes of passwords and PINs, shared by the server (students) and the kiosk (staff PIN).

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use rand::Rng;

/// Cost settings for argon2 hashes of passwords and PINs.
#[derive(Debug, Clone, Copy)]
pub struct HashCost {
    pub memory_kib: u32,
    pub iterations: u32,
}

impl HashCost {
    /// argon2id defaults (OWASP's 19 MiB, 2 passes).
    pub const PRODUCTION: HashCost = HashCost { memory_kib: 19 * 1024, iterations: 2 };
    /// Cheap hashes for the demo seed and tests only.
    pub const DEMO: HashCost = HashCost { memory_kib: 1024, iterations: 1 };
}

fn argon(cost: HashCost) -> Argon2<'static> {
    let params = Params::new(cost.memory_kib, cost.iterations, 1, None).expect("valid argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// An argon2id PHC string for a password or PIN.
pub fn hash_password(secret: &str, cost: HashCost) -> String {
    let mut salt = [0u8; 16];
    rand::rng().fill(&mut salt);
    let salt = SaltString::encode_b64(&salt).expect("16 bytes is a valid salt");
    argon(cost)
        .hash_password(secret.as_bytes(), &salt)
        .expect("argon2 hashing does not fail on valid params")
        .to_string()
}

/// Whether `secret` matches a PHC string; a malformed stored hash never matches.
pub fn verify_password(secret: &str, phc: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(parsed) => Argon2::default().verify_password(secret.as_bytes(), &parsed).is_ok(),
        Err(_) => false,
    }
}
