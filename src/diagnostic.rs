//! Located diagnostics: what every error and warning about user input looks like.
//!
//! A [`Diagnostic`] names the file, line and column, says what was wrong and, where
//! possible, what was probably meant. Its `Display` form is the one printed to users:
//!
//! ```text
//! ecosystem.yaml:12:5: error: unknown field `max_memmory_restart`
//!   hint: did you mean `max_memory_restart`?
//! ```

use std::fmt;
use std::path::{Path, PathBuf};

/// Exit status for a run that succeeded.
pub const EXIT_OK: i32 = 0;
/// Exit status for a runtime failure (systemd unreachable, I/O error, ...).
pub const EXIT_FAILURE: i32 = 1;
/// Exit status for bad input or bad usage: nothing was written or changed.
pub const EXIT_BAD_INPUT: i32 = 2;

/// How serious a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Worth knowing; the output is still produced.
    Warning,
    /// The input is refused.
    Error,
}

/// A 1-based position in a source file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Location {
    /// 1-based line; 0 when unknown.
    pub line: usize,
    /// 1-based column in characters; 0 when unknown.
    pub column: usize,
}

impl Location {
    /// A location at `line` and `column` (both 1-based).
    pub const fn new(line: usize, column: usize) -> Self {
        Self { line, column }
    }
}

/// One message about the user's input, with where it applies and a hint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// The file the message is about.
    pub file: PathBuf,
    /// Where in that file; `None` when the message is about the file as a whole.
    pub location: Option<Location>,
    /// What was wrong, in one sentence.
    pub message: String,
    /// What to do about it, or what was probably meant.
    pub hint: Option<String>,
    /// The apps the message applies to, in file order (empty when it is about the file
    /// or the group as a whole). [`merge`] joins the same message about several apps.
    /// (A boxed slice: a diagnostic is returned by value often, so it stays small.)
    pub apps: Box<[String]>,
}

impl Diagnostic {
    /// An error at `location` in `file`.
    pub fn error(file: &Path, location: Option<Location>, message: impl Into<String>) -> Self {
        Self {
            severity: Severity::Error,
            file: file.to_path_buf(),
            location,
            message: message.into(),
            hint: None,
            apps: Box::default(),
        }
    }

    /// A warning at `location` in `file`.
    pub fn warning(file: &Path, location: Option<Location>, message: impl Into<String>) -> Self {
        Self {
            severity: Severity::Warning,
            ..Self::error(file, location, message)
        }
    }

    /// The same diagnostic with a hint attached.
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// The same diagnostic about app `name` (added to the apps it names already).
    pub fn for_app(mut self, name: impl Into<String>) -> Self {
        self.add_apps([name.into()]);
        self
    }

    fn add_apps(&mut self, names: impl IntoIterator<Item = String>) {
        let mut apps = std::mem::take(&mut self.apps).into_vec();
        for name in names {
            if !apps.contains(&name) {
                apps.push(name);
            }
        }
        self.apps = apps.into_boxed_slice();
    }

    /// Whether this diagnostic refuses the input.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// How many apps a printed diagnostic names in full; beyond, the first few and a count.
const SHOWN_APPS: usize = 12;

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(location) = self.location.filter(|l| l.line > 0) {
            write!(f, ":{}", location.line)?;
            if location.column > 0 {
                write!(f, ":{}", location.column)?;
            }
        }
        let label = match self.severity {
            Severity::Warning => "warning",
            Severity::Error => "error",
        };
        write!(f, ": {label}: {}", self.message)?;
        match &*self.apps {
            [] => {}
            [app] => write!(f, " (app {app})")?,
            apps if apps.len() > SHOWN_APPS => write!(
                f,
                " ({} apps: {} and {} more)",
                apps.len(),
                apps[..SHOWN_APPS - 2].join(", "),
                apps.len() - (SHOWN_APPS - 2)
            )?,
            apps => write!(f, " (apps {})", apps.join(", "))?,
        }
        if let Some(hint) = &self.hint {
            write!(f, "\n  hint: {hint}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Diagnostic {}

/// One diagnostic per cause: those saying the same thing (severity, file, message and
/// hint) become one, at the first one's place, naming every app they were about.
/// The order is that of each cause's first appearance.
pub fn merge(diagnostics: Vec<Diagnostic>) -> Vec<Diagnostic> {
    let mut merged: Vec<Diagnostic> = Vec::with_capacity(diagnostics.len());
    let mut index: std::collections::HashMap<CauseKey, usize> = std::collections::HashMap::new();
    for diagnostic in diagnostics {
        let key = CauseKey::of(&diagnostic);
        match index.get(&key) {
            Some(&at) => merged[at].add_apps(diagnostic.apps.into_vec()),
            None => {
                index.insert(key, merged.len());
                merged.push(diagnostic);
            }
        }
    }
    merged
}

/// What makes two diagnostics the same cause.
#[derive(PartialEq, Eq, Hash)]
struct CauseKey {
    severity: Severity,
    file: PathBuf,
    message: String,
    hint: Option<String>,
}

impl CauseKey {
    fn of(diagnostic: &Diagnostic) -> Self {
        Self {
            severity: diagnostic.severity,
            file: diagnostic.file.clone(),
            message: diagnostic.message.clone(),
            hint: diagnostic.hint.clone(),
        }
    }
}

/// One or more errors that refuse an input; printed one per block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected(pub Vec<Diagnostic>);

impl fmt::Display for Rejected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, diagnostic) in self.0.iter().enumerate() {
            if index > 0 {
                writeln!(f)?;
            }
            write!(f, "{diagnostic}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Rejected {}

/// A runtime error and its causes on one line, as `{:#}` prints an [`anyhow::Error`], but
/// leaving out a cause whose text the line already ends with: zbus, for one, puts an I/O
/// error's text in its own message and gives the same error again as its source.
pub struct Causes<'a>(pub &'a anyhow::Error);

impl fmt::Display for Causes<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut line = String::new();
        for cause in self.0.chain() {
            let text = cause.to_string();
            if line.is_empty() {
                line = text;
            } else if !line.ends_with(&text) {
                line.push_str(": ");
                line.push_str(&text);
            }
        }
        f.write_str(&line)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn causes_are_joined_without_repeating_one_already_said() {
        let io = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        let io_text = io.to_string();
        let zbus = zbus::Error::InputOutput(std::sync::Arc::new(io));
        let error = anyhow::Error::new(zbus).context("cannot reach systemd");
        let line = Causes(&error).to_string();
        assert_eq!(line.matches(&io_text).count(), 1, "{line}");
        assert!(line.starts_with("cannot reach systemd: "), "{line}");
        let error = anyhow::anyhow!("disk full").context("cannot write the file");
        assert_eq!(
            Causes(&error).to_string(),
            "cannot write the file: disk full"
        );
    }

    #[test]
    fn display_names_file_line_column_and_hint() {
        let diagnostic = Diagnostic::error(
            Path::new("ecosystem.yaml"),
            Some(Location::new(12, 5)),
            "unknown field `max_memmory_restart`",
        )
        .with_hint("did you mean `max_memory_restart`?");
        assert_eq!(
            diagnostic.to_string(),
            "ecosystem.yaml:12:5: error: unknown field `max_memmory_restart`\n  hint: did you mean `max_memory_restart`?"
        );
    }

    #[test]
    fn merge_keeps_one_line_per_cause_naming_every_app() {
        let file = Path::new("e.yaml");
        let watch = |app: &str, line| {
            Diagnostic::warning(
                file,
                Some(Location::new(line, 5)),
                "`watch` is not recursive",
            )
            .for_app(app)
        };
        let other = Diagnostic::warning(file, Some(Location::new(2, 1)), "something else");
        let merged = merge(vec![
            watch("api", 3),
            other.clone(),
            watch("web", 9),
            watch("api", 12),
        ]);
        assert_eq!(merged.len(), 2, "{merged:#?}");
        assert_eq!(*merged[0].apps, ["api", "web"]);
        assert_eq!(merged[0].location, Some(Location::new(3, 5)));
        assert_eq!(merged[1], other);
        assert_eq!(
            merged[0].to_string(),
            "e.yaml:3:5: warning: `watch` is not recursive (apps api, web)"
        );
        let many = (0..20).fold(watch("a0", 3), |w, i| w.for_app(format!("a{i}")));
        assert_eq!(
            many.to_string(),
            "e.yaml:3:5: warning: `watch` is not recursive (20 apps: a0, a1, a2, a3, a4, a5, a6, a7, a8, a9 and 10 more)"
        );
        let hinted = watch("db", 4).with_hint("a hint");
        assert_eq!(merge(vec![watch("a", 1), hinted]).len(), 2);
    }

    #[test]
    fn display_without_location_names_only_the_file() {
        let diagnostic = Diagnostic::warning(Path::new("a.json"), None, "empty file");
        assert_eq!(diagnostic.to_string(), "a.json: warning: empty file");
    }
}
