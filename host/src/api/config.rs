//! The service's configuration file (`payplan.toml`): where to listen, the store, limits, and the
//! bearer tokens (kept as SHA-256 hashes, never in clear) with their roles.

use crate::error::{Error, Located, Result};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;

/// What a token may do. `admin` may do everything.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Publishes plan versions and dry-runs them.
    Designer,
    /// Evaluates (recorded), reads runs, closes periods.
    Payroll,
    /// Reads runs, replays them, verifies the chain.
    Auditor,
    /// Everything.
    Admin,
    /// Reads one participant's statements: the token's `participant`.
    Participant,
}

impl Role {
    /// The role named `name` (as in the config file).
    pub fn from_name(name: &str) -> Option<Self> {
        [Self::Designer, Self::Payroll, Self::Auditor, Self::Admin, Self::Participant]
            .into_iter()
            .find(|r| r.name() == name)
    }

    /// The role's name, as in the config file.
    pub fn name(self) -> &'static str {
        match self {
            Self::Designer => "designer",
            Self::Payroll => "payroll",
            Self::Auditor => "auditor",
            Self::Admin => "admin",
            Self::Participant => "participant",
        }
    }
}

/// One `[[token]]` entry.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Token {
    /// Who holds it (kept as the caller of every run it records).
    pub name: String,
    /// What it may do.
    pub role: Role,
    /// `sha256:<hex>` of the token.
    pub sha256: String,
    /// The participant id a `participant` token reads the statements of (required for that
    /// role, refused for the others).
    #[serde(default)]
    pub participant: Option<String>,
}

/// The configuration file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Address to listen on.
    #[serde(default = "default_listen")]
    pub listen: String,
    /// The store (as `--store`); the command line's `--store` wins when given.
    pub store: Option<String>,
    /// Largest request body, in bytes.
    #[serde(default = "default_max_body")]
    pub max_body_bytes: usize,
    /// A request still running after this many seconds is answered 503 (and records nothing).
    #[serde(default = "default_timeout")]
    pub request_timeout_seconds: u64,
    /// Bearer tokens.
    #[serde(default, rename = "token")]
    pub tokens: Vec<Token>,
}

fn default_listen() -> String {
    "127.0.0.1:8080".into()
}

fn default_max_body() -> usize {
    256 << 20
}

fn default_timeout() -> u64 {
    120
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: default_listen(),
            store: None,
            max_body_bytes: default_max_body(),
            request_timeout_seconds: default_timeout(),
            tokens: Vec::new(),
        }
    }
}

impl Config {
    /// Reads and checks a config file; errors name the file, line and column.
    pub fn load(file: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(file).map_err(|source| Error::Io { path: file.into(), source })?;
        let invalid =
            |position, message: String| Error::Config { file: file.into(), problem: Located { position, message } };
        let config: Self = toml_edit::de::from_str(&text)
            .map_err(|e| invalid(e.span().map(|s| crate::plan::line_column(&text, s.start)), e.message().to_owned()))?;
        config.tokens_by_hash().map_err(|message| invalid(None, message))?;
        Ok(config)
    }

    /// The tokens by hash; a malformed hash or two entries with one hash are errors.
    pub fn tokens_by_hash(&self) -> std::result::Result<BTreeMap<String, Token>, String> {
        let mut tokens = BTreeMap::new();
        for token in &self.tokens {
            let hex = token.sha256.strip_prefix("sha256:").unwrap_or("");
            if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
                return Err(format!("token {:?}: sha256 must be \"sha256:\" and 64 lowercase hex digits", token.name));
            }
            match (token.role, &token.participant) {
                (Role::Participant, None) => {
                    return Err(format!("token {:?}: role participant needs participant = \"<id>\"", token.name));
                }
                (role, Some(_)) if role != Role::Participant => {
                    return Err(format!("token {:?}: only a participant token names a participant", token.name));
                }
                _ => {}
            }
            if tokens.insert(token.sha256.clone(), token.clone()).is_some() {
                return Err(format!("token {:?}: the same hash is listed twice", token.name));
            }
        }
        Ok(tokens)
    }
}

/// A new random token (32 bytes from the OS, hex) and its hash, for `payplan token`.
pub fn new_token() -> std::io::Result<(String, String)> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(std::io::Error::other)?;
    let token = format!("pp_{}", crate::hash::hex(&bytes));
    let hash = crate::hash::sha256(token.as_bytes());
    Ok((token, hash))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(entry: &str) -> std::result::Result<usize, String> {
        let hash = format!("sha256:{}", "a".repeat(64));
        let config: Config = toml_edit::de::from_str(&format!("[[token]]\nname = \"t\"\nsha256 = \"{hash}\"\n{entry}"))
            .map_err(|e| e.to_string())?;
        config.tokens_by_hash().map(|t| t.len())
    }

    #[test]
    fn a_participant_token_names_its_participant_and_no_other_token_does() {
        assert_eq!(tokens("role = \"participant\"\nparticipant = \"p001\""), Ok(1));
        let missing = tokens("role = \"participant\"").unwrap_err();
        assert!(missing.contains("role participant needs participant"), "{missing}");
        assert_eq!(tokens("role = \"payroll\""), Ok(1));
        let extra = tokens("role = \"payroll\"\nparticipant = \"p001\"").unwrap_err();
        assert!(extra.contains("only a participant token names a participant"), "{extra}");
    }
}
