//! The bundle: every file of a rendered ecosystem in one stream.
//!
//! `gen-units FILE` writes a bundle to stdout and `gen-units install` reads it back, so
//! the format must be readable in a pager, parse back byte for byte, and make a
//! truncated or empty stream detectable (a failed `gen-units` piped into `install`
//! must never read as "the ecosystem is now empty"). It looks like this:
//!
//! ```text
//! # ecosystemd bundle 1 scope=system ecosystem=agents
//! #--- unit agents-email.service 0644 412
//! <exactly 412 bytes>
//! #--- env agents-email.env 0600 57
//! <exactly 57 bytes>
//! #--- end 2 files
//! ```
//!
//! Each header gives the file's kind (where it goes), its name, its mode and its exact
//! length in bytes; the trailer repeats the file count.

use std::fmt::{self, Write as _};

use thiserror::Error;

use crate::unit_file::UnitFile;

const MAGIC: &str = "# ecosystemd bundle 1";
const HEADER: &str = "#--- ";

/// Where a bundled file goes once installed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FileKind {
    /// A unit file, into the unit directory (`/etc/systemd/system`, `--runtime`, `--user`).
    Unit,
    /// A 0600 environment file, into `%E/ecosystemd/env/` (`/etc` or `~/.config`).
    Env,
    /// journald configuration, relative to `/etc/systemd/`.
    Journald,
    /// Code the units load (the Node preload), into `%E/ecosystemd/lib/`.
    Lib,
}

impl FileKind {
    /// The word used for this kind in bundle headers and `--output-dir` folders.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unit => "unit",
            Self::Env => "env",
            Self::Journald => "journald",
            Self::Lib => "lib",
        }
    }

    fn parse(word: &str) -> Option<Self> {
        match word {
            "unit" => Some(Self::Unit),
            "env" => Some(Self::Env),
            "journald" => Some(Self::Journald),
            "lib" => Some(Self::Lib),
            _ => None,
        }
    }
}

impl fmt::Display for FileKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which systemd manager a bundle was rendered for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    /// The system manager (PID 1).
    System,
    /// A user's manager (`systemctl --user`).
    User,
}

impl Scope {
    /// The word used for this scope in the bundle's first line.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::System => "system",
            Self::User => "user",
        }
    }
}

/// One file of a bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BundleFile {
    /// Where it goes.
    pub kind: FileKind,
    /// Its name relative to the kind's directory: `name.service`, or for journald
    /// `journald@ns.conf` or `journald.conf.d/name.conf`.
    pub name: String,
    /// Permission bits (`0o644`, `0o600`).
    pub mode: u32,
    /// The exact contents.
    pub contents: String,
    /// A unit's `[Install]` section, if it has one (`None` for other kinds): what
    /// `install` enables and the generator links, taken from the plan when rendered.
    pub install: Option<Install>,
}

impl BundleFile {
    /// A file read from its text alone (a bundle stream): a unit's `[Install]` section
    /// is read back from `contents`.
    pub fn new(kind: FileKind, name: String, mode: u32, contents: String) -> Self {
        let install = (kind == FileKind::Unit)
            .then(|| UnitFile::parse(&contents))
            .and_then(|unit| {
                let section = unit.section("Install")?;
                Some(Install::from_entries(
                    section
                        .entries
                        .iter()
                        .map(|(k, v)| (k.as_str(), v.as_str())),
                ))
            });
        Self {
            kind,
            name,
            mode,
            contents,
            install,
        }
    }
}

/// What a unit's `[Install]` section asks for, as far as ecosystemd acts on it: the
/// units that want or require it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Install {
    /// `WantedBy=`, as systemd builds the list.
    pub wanted_by: Vec<String>,
    /// `RequiredBy=`, as systemd builds the list.
    pub required_by: Vec<String>,
}

impl Install {
    /// The section from its `Key=value` lines in order, values as written in the file:
    /// each assignment adds its words, an empty one clears the list.
    pub fn from_entries<'a>(entries: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        let mut install = Self::default();
        for (key, value) in entries {
            let list = match key {
                "WantedBy" => &mut install.wanted_by,
                "RequiredBy" => &mut install.required_by,
                _ => continue,
            };
            if value.is_empty() {
                list.clear();
            }
            list.extend(value.split_whitespace().map(str::to_owned));
        }
        install
    }

    /// The `(wants|requires, unit)` links a generator makes for it: `unit.wants/` or
    /// `unit.requires/` holding a link to the unit.
    pub fn links(&self) -> impl Iterator<Item = (&'static str, &str)> {
        let wants = self.wanted_by.iter().map(|u| ("wants", u.as_str()));
        wants.chain(self.required_by.iter().map(|u| ("requires", u.as_str())))
    }
}

/// A whole rendered ecosystem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bundle {
    /// The manager the units were rendered for.
    pub scope: Scope,
    /// The ecosystem's group name, as in the ownership marker.
    pub ecosystem: String,
    /// Every file, in a stable order.
    pub files: Vec<BundleFile>,
}

/// Why a stream is not a valid bundle. Every variant means: change nothing.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum BundleError {
    /// Nothing at all was read.
    #[error("the bundle is empty (did the command before the pipe fail?)")]
    Empty,
    /// The first line is not a bundle's.
    #[error("line 1: not an ecosystemd bundle (expected `{MAGIC} scope=... ecosystem=...`)")]
    NotABundle,
    /// A header or the trailer is malformed.
    #[error("line {line}: {message}")]
    Malformed {
        /// 1-based line of the offending header.
        line: usize,
        /// What was wrong with it.
        message: String,
    },
    /// The stream ended before the trailer.
    #[error("the bundle is truncated: it ends before its `#--- end` trailer")]
    Truncated,
}

/// Whether `name` is safe as a file name of `kind`: no path tricks, no odd bytes.
pub fn is_valid_name(kind: FileKind, name: &str) -> bool {
    let component_ok = |c: &str| {
        !c.is_empty()
            && !c.starts_with('.')
            && c.chars()
                .all(|ch| ch.is_ascii_alphanumeric() || "@._:-\\".contains(ch))
    };
    match kind {
        FileKind::Unit | FileKind::Env | FileKind::Lib => component_ok(name),
        FileKind::Journald => {
            let parts: Vec<&str> = name.split('/').collect();
            parts.len() <= 2 && parts.iter().all(|p| component_ok(p))
        }
    }
}

impl Bundle {
    /// The bundle as text, ready for stdout.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{MAGIC} scope={} ecosystem={}",
            self.scope.as_str(),
            self.ecosystem
        );
        for file in &self.files {
            let _ = writeln!(
                out,
                "{HEADER}{} {} {:04o} {}",
                file.kind,
                file.name,
                file.mode,
                file.contents.len()
            );
            out.push_str(&file.contents);
        }
        let _ = writeln!(out, "{HEADER}end {} files", self.files.len());
        out
    }

    /// Parses a bundle, refusing anything empty, truncated or malformed.
    pub fn parse(text: &str) -> Result<Self, BundleError> {
        if text.is_empty() {
            return Err(BundleError::Empty);
        }
        let (first, mut rest) = split_line(text).ok_or(BundleError::Truncated)?;
        let (scope, ecosystem) = parse_magic(first).ok_or(BundleError::NotABundle)?;
        let mut line = 2;
        let mut files = Vec::new();
        loop {
            let (header, after) = split_line(rest).ok_or(BundleError::Truncated)?;
            let malformed = |message: String| BundleError::Malformed { line, message };
            let fields = header.strip_prefix(HEADER).ok_or_else(|| {
                malformed(format!("expected a `{HEADER}` header, found {header:?}"))
            })?;
            let words: Vec<&str> = fields.split(' ').collect();
            if let ["end", count, "files"] = words.as_slice() {
                let count: usize = count
                    .parse()
                    .map_err(|_| malformed(format!("bad file count {count:?} in trailer")))?;
                if count != files.len() {
                    return Err(malformed(format!(
                        "trailer says {count} files, the bundle holds {}",
                        files.len()
                    )));
                }
                if !after.is_empty() {
                    return Err(malformed("text after the trailer".into()));
                }
                return Ok(Self {
                    scope,
                    ecosystem,
                    files,
                });
            }
            let [kind, name, mode, length] = words.as_slice() else {
                return Err(malformed(format!(
                    "expected `{HEADER}KIND NAME MODE BYTES`, found {header:?}"
                )));
            };
            let kind = FileKind::parse(kind)
                .ok_or_else(|| malformed(format!("unknown file kind {kind:?}")))?;
            if !is_valid_name(kind, name) {
                return Err(malformed(format!("unsafe file name {name:?}")));
            }
            let mode = u32::from_str_radix(mode, 8)
                .ok()
                .filter(|m| *m <= 0o777)
                .ok_or_else(|| malformed(format!("bad mode {mode:?}")))?;
            let length: usize = length
                .parse()
                .map_err(|_| malformed(format!("bad length {length:?}")))?;
            if after.len() < length || !after.is_char_boundary(length) {
                return Err(BundleError::Truncated);
            }
            let (contents, next) = after.split_at(length);
            line += 1 + contents.matches('\n').count();
            files.push(BundleFile::new(
                kind,
                (*name).to_string(),
                mode,
                contents.to_string(),
            ));
            rest = next;
        }
    }
}

fn split_line(text: &str) -> Option<(&str, &str)> {
    text.split_once('\n')
}

fn parse_magic(line: &str) -> Option<(Scope, String)> {
    let rest = line.strip_prefix(MAGIC)?.strip_prefix(' ')?;
    let (scope, ecosystem) = rest.split_once(' ')?;
    let scope = match scope.strip_prefix("scope=")? {
        "system" => Scope::System,
        "user" => Scope::User,
        _ => return None,
    };
    let ecosystem = ecosystem.strip_prefix("ecosystem=")?;
    (!ecosystem.is_empty() && !ecosystem.contains(' ')).then(|| (scope, ecosystem.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Bundle {
        Bundle {
            scope: Scope::System,
            ecosystem: "agents".into(),
            files: vec![
                BundleFile::new(
                    FileKind::Unit,
                    "agents-email.service".into(),
                    0o644,
                    "[Unit]\n#--- end 0 files\nDescription=x\n".into(),
                ),
                BundleFile::new(
                    FileKind::Env,
                    "agents-email.env".into(),
                    0o600,
                    "A=\"b\"\n".into(),
                ),
                BundleFile::new(
                    FileKind::Journald,
                    "journald@agents.conf".into(),
                    0o644,
                    "[Journal]\nSystemMaxUse=1G".into(),
                ),
            ],
        }
    }

    #[test]
    fn round_trips_exactly_even_with_header_like_contents() {
        let bundle = sample();
        assert_eq!(Bundle::parse(&bundle.to_text()), Ok(bundle));
    }

    #[test]
    fn install_sections_become_links() {
        let unit = "[Unit]\nWantedBy=ignored.target\n[Install]\nWantedBy=a.target b.target\nRequiredBy=c.service\nAlias=x.service\n";
        let file = BundleFile::new(FileKind::Unit, "u.service".into(), 0o644, unit.into());
        let links: Vec<_> = file.install.iter().flat_map(|i| i.links()).collect();
        assert_eq!(
            links,
            [
                ("wants", "a.target"),
                ("wants", "b.target"),
                ("requires", "c.service")
            ]
        );
        let cleared = Install::from_entries([("WantedBy", "a.target"), ("WantedBy", "")]);
        assert!(cleared.wanted_by.is_empty());
        let env = BundleFile::new(FileKind::Env, "u.env".into(), 0o600, unit.into());
        assert_eq!(env.install, None);
    }

    #[test]
    fn empty_stream_is_refused() {
        assert_eq!(Bundle::parse(""), Err(BundleError::Empty));
    }

    #[test]
    fn every_truncation_is_refused() {
        let text = sample().to_text();
        for cut in 1..text.len() {
            if text.is_char_boundary(cut) {
                assert!(
                    Bundle::parse(&text[..cut]).is_err(),
                    "cut at {cut} accepted"
                );
            }
        }
    }

    #[test]
    fn path_tricks_in_names_are_refused() {
        for name in [
            "../x.service",
            "/etc/passwd",
            ".hidden",
            "a/b.service",
            "a b",
        ] {
            assert!(!is_valid_name(FileKind::Unit, name), "{name}");
        }
        assert!(is_valid_name(
            FileKind::Journald,
            "journald.conf.d/agents.conf"
        ));
        assert!(!is_valid_name(FileKind::Journald, "../journald.conf"));
    }

    #[test]
    fn wrong_trailer_count_is_refused() {
        let text = sample().to_text().replace("end 3 files", "end 2 files");
        assert!(matches!(
            Bundle::parse(&text),
            Err(BundleError::Malformed { .. })
        ));
    }
}
