//! Typed, located reads from a [`Node`] tree. Every read that fails records a located
//! error and returns `None`, so one pass reports every problem of a file at once.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::time::Duration;

use super::node::{Entry, Node, Value, shown};
use super::{duration, size, suggest, words};
use crate::diagnostic::{Diagnostic, Location};

/// Collects the diagnostics of one file while its tree is read.
pub struct Reader<'a> {
    file: &'a Path,
    /// Errors found so far.
    pub errors: Vec<Diagnostic>,
    /// Warnings found so far.
    pub warnings: Vec<Diagnostic>,
    /// Names already warned about, so each is reported once per file.
    warned_once: HashSet<String>,
}

impl<'a> Reader<'a> {
    /// A reader for `file`.
    pub fn new(file: &'a Path) -> Self {
        Self {
            file,
            errors: Vec::new(),
            warnings: Vec::new(),
            warned_once: HashSet::new(),
        }
    }

    /// Records an error at `at`.
    pub fn error(&mut self, at: Location, message: impl Into<String>) {
        self.errors
            .push(Diagnostic::error(self.file, Some(at), message));
    }

    /// Records an error at `at` with a hint.
    pub fn error_hint(
        &mut self,
        at: Location,
        message: impl Into<String>,
        hint: impl Into<String>,
    ) {
        self.errors
            .push(Diagnostic::error(self.file, Some(at), message).with_hint(hint));
    }

    /// Records a warning at `at`, with an optional hint.
    pub fn warn(&mut self, at: Location, message: impl Into<String>, hint: Option<String>) {
        let mut warning = Diagnostic::warning(self.file, Some(at), message);
        warning.hint = hint;
        self.warnings.push(warning);
    }

    /// Records a warning once per `topic` and file, at its first occurrence.
    pub fn warn_once(&mut self, topic: &str, at: Location, message: String, hint: Option<String>) {
        if self.warned_once.insert(topic.to_owned()) {
            self.warn(at, message, hint);
        }
    }

    /// Refuses an unknown key, with the closest known one as a hint.
    pub fn unknown_key<'k>(
        &mut self,
        entry: &Entry,
        context: &str,
        known: impl IntoIterator<Item = &'k str>,
    ) {
        let message = format!("unknown field `{}` in {context}", shown(&entry.key));
        match suggest::closest(&entry.key, known) {
            Some(near) => self.error_hint(entry.key_at, message, format!("did you mean `{near}`?")),
            None => self.error(entry.key_at, message),
        }
    }

    /// The entries of a mapping; anything else is an error. Repeated keys are errors
    /// naming both places.
    pub fn map<'n>(&mut self, node: &'n Node, what: &str) -> Option<&'n [Entry]> {
        match &node.value {
            Value::Map(entries) => {
                let mut seen: HashMap<&str, Location> = HashMap::new();
                for entry in entries {
                    if let Some(first) = seen.get(entry.key.as_str()) {
                        self.error(
                            entry.key_at,
                            format!(
                                "duplicate key `{}` (first at line {}, column {})",
                                shown(&entry.key),
                                first.line,
                                first.column
                            ),
                        );
                    } else {
                        seen.insert(&entry.key, entry.key_at);
                    }
                }
                Some(entries)
            }
            _ => {
                self.expected(node, what, "a mapping");
                None
            }
        }
    }

    /// Records "`what`: expected X, found Y".
    pub fn expected(&mut self, node: &Node, what: &str, expected: &str) {
        let found = match &node.value {
            Value::Str(s) => format!("the string \"{}\"", shown(s)),
            _ => node.kind().to_owned(),
        };
        self.error(
            node.at,
            format!("`{what}`: expected {expected}, found {found}"),
        );
    }

    /// A string; numbers are taken as written. Null is an error.
    pub fn string(&mut self, node: &Node, what: &str) -> Option<String> {
        match &node.value {
            Value::Str(s) => Some(s.clone()),
            Value::Int(_) | Value::Float(_) => node.scalar_text(),
            _ => {
                self.expected(node, what, "a string");
                None
            }
        }
    }

    /// A string, or `None` for null or an empty string (an unset optional value).
    pub fn optional_string(&mut self, node: &Node, what: &str) -> Option<String> {
        match &node.value {
            Value::Null => None,
            Value::Str(s) if s.trim().is_empty() => None,
            _ => self.string(node, what),
        }
    }

    /// A boolean; `yes`/`no`, `on`/`off`, `y`/`n` and `true`/`false` in any case are
    /// accepted too, as YAML 1.1 and PM2's CLI do.
    pub fn bool(&mut self, node: &Node, what: &str) -> Option<bool> {
        let value = as_bool(node);
        if value.is_none() {
            self.expected(node, what, "true or false");
        }
        value
    }

    /// An integer, also written as a numeric string.
    pub fn integer(&mut self, node: &Node, what: &str) -> Option<i128> {
        match &node.value {
            Value::Int(i) => Some(*i),
            Value::Float(f) if f.fract() == 0.0 && f.abs() < 1e18 => Some(*f as i128),
            Value::Str(s) => match s.trim().parse::<i128>() {
                Ok(i) => Some(i),
                Err(_) => {
                    self.expected(node, what, "an integer");
                    None
                }
            },
            _ => {
                self.expected(node, what, "an integer");
                None
            }
        }
    }

    /// An integer in `min..=max`.
    pub fn ranged<T: TryFrom<i128>>(
        &mut self,
        node: &Node,
        what: &str,
        min: i128,
        max: i128,
    ) -> Option<T> {
        let value = self.integer(node, what)?;
        if value < min || value > max {
            let message = if value < 0 && min >= 0 {
                format!("`{what}` must not be negative, found {value}")
            } else {
                format!("`{what}` must be between {min} and {max}, found {value}")
            };
            self.error(node.at, message);
            return None;
        }
        T::try_from(value).ok()
    }

    /// A size in bytes: a number of bytes or text such as `100M`.
    pub fn size(&mut self, node: &Node, what: &str) -> Option<u64> {
        let parsed = match &node.value {
            Value::Int(i) if *i >= 0 => {
                u64::try_from(*i).map_err(|_| format!("`{what}`: size too large"))
            }
            Value::Float(f) => {
                size::from_float(*f).ok_or_else(|| format!("`{what}`: invalid size {f}"))
            }
            Value::Str(s) => size::parse(s).map_err(|message| format!("`{what}`: {message}")),
            Value::Int(i) => Err(format!("`{what}` must not be negative, found {i}")),
            _ => {
                self.expected(node, what, "a size such as 512M");
                return None;
            }
        };
        self.located(node.at, parsed)
    }

    /// A duration: a number of milliseconds or text such as `60s`.
    pub fn duration(&mut self, node: &Node, what: &str) -> Option<Duration> {
        let parsed = match &node.value {
            Value::Int(i) if *i >= 0 => duration::from_millis(*i as f64)
                .ok_or_else(|| format!("`{what}`: duration too large")),
            Value::Float(f) => duration::from_millis(*f)
                .ok_or_else(|| format!("`{what}` must be a non-negative number of milliseconds")),
            Value::Str(s) => duration::parse(s).map_err(|message| format!("`{what}`: {message}")),
            Value::Int(i) => Err(format!("`{what}` must not be negative, found {i}")),
            _ => {
                self.expected(node, what, "milliseconds or a duration such as \"60s\"");
                return None;
            }
        };
        self.located(node.at, parsed)
    }

    /// A size in bytes that must not be zero.
    pub fn nonzero_size(&mut self, node: &Node, what: &str) -> Option<u64> {
        let bytes = self.size(node, what)?;
        if bytes == 0 {
            self.error(node.at, format!("`{what}` must be larger than zero"));
            return None;
        }
        Some(bytes)
    }

    /// A list of strings: a list, or one string split into words like a shell would.
    pub fn words(&mut self, node: &Node, what: &str) -> Option<Vec<String>> {
        match &node.value {
            Value::Null => Some(Vec::new()),
            Value::Str(s) => {
                let split = words::split(s).map_err(|message| format!("`{what}`: {message}"));
                self.located(node.at, split)
            }
            Value::Int(_) | Value::Float(_) => node.scalar_text().map(|text| vec![text]),
            Value::Seq(items) => {
                let mut list = Vec::with_capacity(items.len());
                for item in items {
                    list.push(self.string(item, what)?);
                }
                Some(list)
            }
            _ => {
                self.expected(node, what, "a string or a list of strings");
                None
            }
        }
    }

    /// A list of strings; a single string is a list of one.
    pub fn string_list(&mut self, node: &Node, what: &str) -> Option<Vec<String>> {
        match &node.value {
            Value::Null => Some(Vec::new()),
            Value::Seq(items) => {
                let mut list = Vec::with_capacity(items.len());
                for item in items {
                    list.push(self.string(item, what)?);
                }
                Some(list)
            }
            _ => self.string(node, what).map(|s| vec![s]),
        }
    }

    fn located<T>(&mut self, at: Location, result: Result<T, String>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(message) => {
                self.error(at, message);
                None
            }
        }
    }
}

/// A boolean in any of the spellings [`Reader::bool`] accepts, without reporting.
pub fn as_bool(node: &Node) -> Option<bool> {
    match &node.value {
        Value::Bool(b) => Some(*b),
        Value::Str(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "yes" | "y" | "on" => Some(true),
            "false" | "no" | "n" | "off" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(line: usize) -> Location {
        Location::new(line, 1)
    }

    fn node(value: Value) -> Node {
        Node::new(value, at(3))
    }

    #[test]
    fn booleans_accept_yaml_1_1_spellings() {
        let mut reader = Reader::new(Path::new("f.yaml"));
        assert_eq!(
            reader.bool(&node(Value::Str("Yes".into())), "watch"),
            Some(true)
        );
        assert_eq!(
            reader.bool(&node(Value::Str("off".into())), "watch"),
            Some(false)
        );
        assert_eq!(reader.bool(&node(Value::Int(1)), "watch"), None);
        assert_eq!(reader.errors.len(), 1);
        assert_eq!(reader.errors[0].location, Some(at(3)));
    }

    #[test]
    fn ranged_reports_negative_values() {
        let mut reader = Reader::new(Path::new("f.yaml"));
        assert_eq!(
            reader.ranged::<u32>(&node(Value::Int(-3)), "max_restarts", 0, 1000),
            None
        );
        assert!(reader.errors[0].message.contains("must not be negative"));
    }

    #[test]
    fn duplicate_keys_name_both_places() {
        let mut reader = Reader::new(Path::new("f.yaml"));
        let entry = |line| Entry {
            key: "a".into(),
            key_at: at(line),
            value: node(Value::Null),
        };
        let map = node(Value::Map(vec![entry(1), entry(2)]));
        assert!(reader.map(&map, "app").is_some());
        assert_eq!(reader.errors[0].location, Some(at(2)));
        assert!(reader.errors[0].message.contains("first at line 1"));
    }

    #[test]
    fn warn_once_reports_a_topic_once() {
        let mut reader = Reader::new(Path::new("f.yaml"));
        reader.warn_once("vizion", at(1), "ignored".into(), None);
        reader.warn_once("vizion", at(5), "ignored".into(), None);
        assert_eq!(reader.warnings.len(), 1);
    }
}
