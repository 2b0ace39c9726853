//! Secrets at rest: Kleer tokens are stored encrypted (AES-256-GCM) under a key that lives
//! outside the database, so a copy of the database alone does not give access to Kleer.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::rand::{SecureRandom, SystemRandom};
use std::path::Path;

const PREFIX: &str = "v1:";

#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("the secret key must be 32 bytes, base64-encoded")]
    BadKey,
    #[error("a stored secret could not be decrypted: is this the secret key it was stored with?")]
    Undecryptable,
    #[error("secret key file {0}: {1}")]
    File(String, std::io::Error),
}

/// Encrypts and decrypts secrets with one key.
pub struct SecretBox {
    key: LessSafeKey,
}

impl SecretBox {
    /// From a base64-encoded 32-byte key (as `KLEER_SYNC_SECRET_KEY` holds it).
    pub fn from_base64(key: &str) -> Result<Self, SecretError> {
        let bytes = STANDARD
            .decode(key.trim())
            .map_err(|_| SecretError::BadKey)?;
        let key = UnboundKey::new(&AES_256_GCM, &bytes).map_err(|_| SecretError::BadKey)?;
        Ok(SecretBox {
            key: LessSafeKey::new(key),
        })
    }

    /// A new random key, base64-encoded.
    pub fn generate_key() -> String {
        let mut bytes = [0u8; 32];
        SystemRandom::new()
            .fill(&mut bytes)
            .expect("the system random source works");
        STANDARD.encode(bytes)
    }

    /// Reads the key from `path`, creating the file (readable by its owner only) when it does
    /// not exist. Answers the box and whether the key was just created.
    pub fn from_file(path: &Path) -> Result<(Self, bool), SecretError> {
        let file_error = |e| SecretError::File(path.display().to_string(), e);
        match std::fs::read_to_string(path) {
            Ok(key) => Ok((Self::from_base64(&key)?, false)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key = Self::generate_key();
                write_private(path, &key).map_err(file_error)?;
                Ok((Self::from_base64(&key)?, true))
            }
            Err(e) => Err(file_error(e)),
        }
    }

    pub fn seal(&self, plain: &str) -> String {
        let mut nonce = [0u8; NONCE_LEN];
        SystemRandom::new()
            .fill(&mut nonce)
            .expect("the system random source works");
        let mut data = plain.as_bytes().to_vec();
        self.key
            .seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::empty(), &mut data)
            .expect("AES-GCM seals any input of this size");
        let mut out = nonce.to_vec();
        out.extend(data);
        format!("{PREFIX}{}", STANDARD.encode(out))
    }

    pub fn open(&self, sealed: &str) -> Result<String, SecretError> {
        let raw = sealed
            .strip_prefix(PREFIX)
            .ok_or(SecretError::Undecryptable)?;
        let mut bytes = STANDARD
            .decode(raw)
            .map_err(|_| SecretError::Undecryptable)?;
        if bytes.len() < NONCE_LEN {
            return Err(SecretError::Undecryptable);
        }
        let mut data = bytes.split_off(NONCE_LEN);
        let nonce =
            Nonce::try_assume_unique_for_key(&bytes).map_err(|_| SecretError::Undecryptable)?;
        let plain = self
            .key
            .open_in_place(nonce, Aad::empty(), &mut data)
            .map_err(|_| SecretError::Undecryptable)?;
        String::from_utf8(plain.to_vec()).map_err(|_| SecretError::Undecryptable)
    }
}

fn write_private(path: &Path, content: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(content.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_secrets_open_with_their_key_only() {
        let a = SecretBox::from_base64(&SecretBox::generate_key()).unwrap();
        let b = SecretBox::from_base64(&SecretBox::generate_key()).unwrap();
        let sealed = a.seal("kleer-token-123");
        assert!(!sealed.contains("kleer-token-123"));
        assert_ne!(sealed, a.seal("kleer-token-123"), "a fresh nonce each time");
        assert_eq!(a.open(&sealed).unwrap(), "kleer-token-123");
        assert!(b.open(&sealed).is_err());
        assert!(a.open("kleer-token-123").is_err());
        assert!(SecretBox::from_base64("c2hvcnQ=").is_err());
    }

    #[test]
    fn a_key_file_is_made_once_and_read_after() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kleer-sync.key");
        let (first, created) = SecretBox::from_file(&path).unwrap();
        assert!(created);
        let (second, created) = SecretBox::from_file(&path).unwrap();
        assert!(!created);
        assert_eq!(second.open(&first.seal("x")).unwrap(), "x");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
    }
}
