//! Staff credentials: argon2id password hashes and bearer tokens stored as SHA-256 hashes.

use crate::{AppError, random_bytes};
use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use sha2::{Digest, Sha256};

pub const MIN_PASSWORD_LENGTH: usize = 10;

pub fn hash_password(password: &str) -> Result<String, AppError> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| AppError::Internal(format!("password hashing: {e}")))
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    Argon2::default()
        .verify_password(password.as_bytes(), hash)
        .is_ok()
}

/// A new bearer token (shown once) and the hash that is stored.
pub fn new_token() -> Result<(String, String), AppError> {
    let token = format!("adn_{}", hex::encode(random_bytes::<32>()?));
    let hash = token_hash(&token);
    Ok((token, hash))
}

pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A random password for the first administrator, readable and typeable.
pub fn generate_password() -> Result<String, AppError> {
    let bytes = random_bytes::<8>()?;
    let a = aduan_domain::AccessCode::from_random(bytes).display();
    let b = aduan_domain::AccessCode::from_random(random_bytes::<8>()?).display();
    Ok(format!("{a}-{b}"))
}

pub fn check_password_strength(password: &str) -> Result<(), AppError> {
    if password.chars().count() < MIN_PASSWORD_LENGTH {
        return Err(AppError::Validation(vec![
            aduan_domain::intake::FieldError::new("password", "too_short"),
        ]));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_and_verify() {
        let hash = hash_password("kata-sandi-rahasia").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("kata-sandi-rahasia", &hash));
        assert!(!verify_password("kata-sandi-salah", &hash));
        assert!(!verify_password("x", "not a hash"));
    }

    #[test]
    fn tokens_are_random_and_stored_hashed() {
        let (a, hash_a) = new_token().unwrap();
        let (b, _) = new_token().unwrap();
        assert_ne!(a, b);
        assert_eq!(token_hash(&a), hash_a);
        assert!(!hash_a.contains(&a));
    }
}
