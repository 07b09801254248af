//! The engine's one error type.

use std::fmt;
use std::path::PathBuf;

/// A result with the engine's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// One problem found in an input document, at a path in it (`deals[17].amount`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputProblem {
    /// Where: a path in the data, or `line L, column C` for text that does not parse.
    pub path: String,
    /// For text that does not parse (as JSON, as CSV): where in the text.
    pub position: Option<Position>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for InputProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() { f.write_str(&self.message) } else { write!(f, "{}: {}", self.path, self.message) }
    }
}

/// A place in a text file: 1-based line and column (in characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// Where a policy failed: the script file and the line and column in it, when known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The script or plugin file.
    pub file: PathBuf,
    /// Where in it, when the runtime knows.
    pub position: Option<Position>,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(position) = self.position {
            write!(f, ":{position}")?;
        }
        Ok(())
    }
}

/// One problem in a text file (a plan, a config), at its line and column when known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located {
    /// Where.
    pub position: Option<Position>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for Located {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.position {
            Some(position) => write!(f, "{position}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

/// Located problems, one per line.
fn lines(problems: &[Located]) -> String {
    problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n")
}

/// A limit a policy may break (host config or the plan's `[limits]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// Script operations in one call.
    Operations,
    /// Depth of nested function calls (closures' calls included) or expressions.
    CallDepth,
    /// Bytes in one string.
    StringSize,
    /// Elements in one array, nested arrays' elements included.
    ArraySize,
    /// Entries in one map, nested maps' entries included.
    MapSize,
    /// WASM fuel.
    Fuel,
    /// WASM linear memory, in bytes.
    Memory,
    /// Size of a plugin's reply, in bytes.
    OutputSize,
    /// The wall-clock backstop, in milliseconds (0: the caller stopped waiting); see `halt`.
    WallClock,
}

impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Operations => "operations",
            Self::CallDepth => "call depth",
            Self::StringSize => "string size",
            Self::ArraySize => "array size",
            Self::MapSize => "map size",
            Self::Fuel => "fuel",
            Self::Memory => "memory",
            Self::OutputSize => "output size",
            Self::WallClock => "wall-clock (ms)",
        })
    }
}

/// Everything that can go wrong between reading the inputs and writing the result.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The period (or another input document) is invalid; every problem found is listed.
    #[error("{}: {} problem{} in the input\n{}", file.display(), problems.len(),
        if problems.len() == 1 { "" } else { "s" },
        problems.iter().map(|p| format!("  {p}")).collect::<Vec<_>>().join("\n"))]
    Input {
        /// The document.
        file: PathBuf,
        /// What is wrong, in document order.
        problems: Vec<InputProblem>,
    },

    /// The plan is invalid (syntax, a missing field, params that do not match a policy's, a
    /// currency that is not the period's).
    #[error("{}: {}", file.display(), lines(problems))]
    Plan {
        /// The plan file (or the file it names).
        file: PathBuf,
        /// What is wrong, each with its line and column when known.
        problems: Vec<Located>,
    },

    /// The service's configuration file is invalid.
    #[error("{}: {problem}", file.display())]
    Config {
        /// The file.
        file: PathBuf,
        /// What is wrong, with its line and column when known.
        problem: Located,
    },

    /// A policy script does not compile.
    #[error("policy `{policy}`: {location}: {message}")]
    Compile {
        /// Policy id.
        policy: String,
        /// Script and position.
        location: Location,
        /// The compiler's message.
        message: String,
    },

    /// A plan's params do not match what the policy declares (`fn params()`): each problem with
    /// the param it is about.
    #[error("policy `{policy}`: {}", problems.iter().map(|(_, m)| m.as_str()).collect::<Vec<_>>().join("; "))]
    Params {
        /// Policy id.
        policy: String,
        /// The param (`None`: the params as a whole) and what is wrong.
        problems: Vec<crate::plan::params::Mismatch>,
    },

    /// A policy failed while it ran: a runtime error, a `throw`, a bad line it emitted.
    #[error("policy `{policy}` failed: {location}: {message}")]
    Policy {
        /// Policy id.
        policy: String,
        /// Script and position.
        location: Location,
        /// The cause.
        message: String,
    },

    /// A policy broke a limit.
    #[error("policy `{policy}` broke the {limit} limit ({max}): {location}")]
    LimitExceeded {
        /// Policy id.
        policy: String,
        /// Which limit.
        limit: Limit,
        /// The limit in force.
        max: u64,
        /// Script and position.
        location: Location,
    },

    /// The store holds something it should not (a missing blob, a record that does not parse).
    #[error("store: {message}")]
    Store {
        /// What went wrong.
        message: String,
    },

    /// The database under the store failed.
    #[error("store: {doing}: {source}")]
    Database {
        /// What the store was doing.
        doing: String,
        /// The database's error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },

    /// The period is closed: only an adjustment may be recorded.
    #[error("period {period} is closed (final run {run}); record an adjustment (--adjust) instead")]
    PeriodClosed {
        /// Period id.
        period: String,
        /// Its final run.
        run: i64,
    },

    /// A run that the store does not hold.
    #[error("no run {0} in the store")]
    NoRun(i64),

    /// Something else the store does not hold (a plan version, a participant of a run).
    #[error("{what} not found")]
    NotFound {
        /// What was asked for.
        what: String,
    },

    /// The request contradicts what the store holds (a period closed already, a run of another
    /// period).
    #[error("{message}")]
    Conflict {
        /// Why.
        message: String,
    },

    /// An idempotency key sent again with a different request.
    #[error("idempotency key {key:?} was already used for a different request")]
    KeyReused {
        /// The key.
        key: String,
    },

    /// A file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}

impl Error {
    /// True for errors in what the caller gave (exit status 2); false for a failure while
    /// evaluating (exit status 1).
    pub fn is_input(&self) -> bool {
        match self {
            Self::Input { .. }
            | Self::Plan { .. }
            | Self::Config { .. }
            | Self::Params { .. }
            | Self::Compile { .. }
            | Self::Io { .. }
            | Self::PeriodClosed { .. }
            | Self::NoRun(_)
            | Self::NotFound { .. }
            | Self::Conflict { .. }
            | Self::KeyReused { .. } => true,
            Self::Policy { .. } | Self::LimitExceeded { .. } | Self::Store { .. } | Self::Database { .. } => false,
        }
    }

    /// A plan error of one problem.
    pub fn plan(file: impl Into<PathBuf>, position: Option<Position>, message: impl Into<String>) -> Self {
        Self::Plan { file: file.into(), problems: vec![Located { position, message: message.into() }] }
    }

    /// The line and column the error points at, in the script, the plan or the config, when
    /// known (a plan's first problem).
    pub fn position(&self) -> Option<Position> {
        match self {
            Self::Compile { location, .. } | Self::Policy { location, .. } | Self::LimitExceeded { location, .. } => {
                location.position
            }
            Self::Plan { problems, .. } => problems.first().and_then(|p| p.position),
            Self::Config { problem, .. } => problem.position,
            _ => None,
        }
    }

    /// The file the error is in: the plan, or the policy's script or plugin.
    pub fn file(&self) -> Option<&std::path::Path> {
        match self {
            Self::Compile { location, .. } | Self::Policy { location, .. } | Self::LimitExceeded { location, .. } => {
                Some(&location.file)
            }
            Self::Plan { file, .. } | Self::Input { file, .. } | Self::Io { path: file, .. } => Some(file),
            _ => None,
        }
    }

    /// The policy that failed or does not compile.
    pub fn policy(&self) -> Option<&str> {
        match self {
            Self::Compile { policy, .. } | Self::Policy { policy, .. } | Self::LimitExceeded { policy, .. } => {
                Some(policy)
            }
            _ => None,
        }
    }

    /// A stable code for the error's kind, shared by the CLI and the HTTP problem type.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Input { .. } => "invalid_input",
            Self::Plan { .. } => "invalid_plan",
            Self::Config { .. } => "invalid_config",
            Self::Params { .. } => "invalid_params",
            Self::Compile { .. } => "compile_error",
            Self::Policy { .. } => "policy_failed",
            Self::LimitExceeded { .. } => "limit_exceeded",
            Self::Store { .. } | Self::Database { .. } => "store",
            Self::PeriodClosed { .. } => "period_closed",
            Self::NoRun(_) => "no_run",
            Self::NotFound { .. } => "not_found",
            Self::Conflict { .. } => "conflict",
            Self::KeyReused { .. } => "idempotency_key_reused",
            Self::Io { .. } => "io",
        }
    }
}
