//! Typed, located reads from a [`Node`] tree. Every read that fails records a located
//! error and returns `None`, so one pass reports every problem of a file at once.

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use super::node::{Entry, Node, Value, shown};
use super::{duration, size, suggest, systemd_syntax, words};
use crate::diagnostic::{Diagnostic, Location};

/// Collects the diagnostics of one file while its tree is read.
pub struct Reader<'a> {
    file: &'a Path,
    /// Errors found so far.
    pub errors: Vec<Diagnostic>,
    /// Warnings found so far.
    pub warnings: Vec<Diagnostic>,
    /// The app being read, named by the warnings recorded meanwhile.
    app: Option<String>,
    /// Whether a repeated key is an error (YAML) rather than the last one winning.
    refuse_repeated_keys: bool,
}

impl<'a> Reader<'a> {
    /// A reader for `file`.
    pub fn new(file: &'a Path) -> Self {
        Self {
            file,
            errors: Vec::new(),
            warnings: Vec::new(),
            app: None,
            refuse_repeated_keys: false,
        }
    }

    /// Makes a repeated key an error, as PM2's YAML reader (js-yaml) has it; by
    /// default the last one wins, as when PM2 evaluates JSON as JavaScript.
    pub fn refuse_repeated_keys(&mut self, refuse: bool) {
        self.refuse_repeated_keys = refuse;
    }

    /// Names `app` in the warnings recorded from now on (`None`: about the file).
    pub fn set_app(&mut self, app: Option<String>) {
        self.app = app;
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

    /// Records a warning at `at`, with an optional hint, about the current app if any.
    /// The same warning about several apps is printed once, naming them all
    /// ([`crate::diagnostic::merge`]).
    pub fn warn(&mut self, at: Location, message: impl Into<String>, hint: Option<String>) {
        let mut warning = Diagnostic::warning(self.file, Some(at), message);
        warning.hint = hint;
        if let Some(app) = &self.app {
            warning = warning.for_app(app.clone());
        }
        self.warnings.push(warning);
    }

    /// Refuses a missing required key `wanted`. When a key of `entries` is a near miss
    /// of it (dropped as unknown, with a warning), the hint names that key instead.
    pub fn missing<'e>(
        &mut self,
        at: Location,
        message: &str,
        hint: &str,
        wanted: &str,
        entries: impl IntoIterator<Item = &'e Entry>,
    ) {
        let near_miss = entries
            .into_iter()
            .find(|entry| entry.key != wanted && suggest::closest(&entry.key, [wanted]).is_some());
        match near_miss {
            Some(entry) => self.error_hint(
                at,
                message,
                format!(
                    "`{}` (line {}) is not a key PM2 knows: did you mean `{wanted}`?",
                    shown(&entry.key),
                    entry.key_at.line
                ),
            ),
            None => self.error_hint(at, message, hint),
        }
    }

    /// Refuses an unknown key of one of ecosystemd's own sections (PM2 never reads
    /// them), with the closest known one as a hint.
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

    /// The entries of a mapping; anything else is an error. A repeated key is taken
    /// as PM2 takes it: in JSON (JavaScript) the last one wins, with a warning naming
    /// both places; in YAML it is an error (js-yaml refuses it). The entries come
    /// back in file order, each key once (its last occurrence).
    pub fn map<'n>(&mut self, node: &'n Node, what: &str) -> Option<Vec<&'n Entry>> {
        let Value::Map(entries) = &node.value else {
            self.expected(node, what, "a mapping");
            return None;
        };
        let mut last: HashMap<&str, usize> = HashMap::new();
        for (index, entry) in entries.iter().enumerate() {
            if let Some(previous) = last.insert(entry.key.as_str(), index) {
                self.repeated_key(&entries[previous], entry, what);
            }
        }
        Some(
            entries
                .iter()
                .enumerate()
                .filter(|(index, entry)| last.get(entry.key.as_str()) == Some(index))
                .map(|(_, entry)| entry)
                .collect(),
        )
    }

    fn repeated_key(&mut self, first: &Entry, again: &Entry, what: &str) {
        let key = shown(&again.key);
        if self.refuse_repeated_keys {
            self.error_hint(
                again.key_at,
                format!(
                    "duplicate key `{key}` in {what} (first at line {}, column {})",
                    first.key_at.line, first.key_at.column
                ),
                "PM2 refuses it too (its YAML reader does); remove all but one",
            );
        } else {
            self.warn(
                first.key_at,
                format!(
                    "`{key}` is repeated in {what} (again at line {}, column {}): PM2 takes the last value, and so does gen-units",
                    again.key_at.line, again.key_at.column
                ),
                Some("remove all but one".to_owned()),
            );
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

    /// A user or group name (or number) as systemd takes it in `User=`/`Group=`; an empty
    /// value is none.
    pub fn account_name(&mut self, node: &Node, what: &str) -> Option<String> {
        let name = self.optional_string(node, what)?;
        if systemd_syntax::user_name(&name) {
            return Some(name);
        }
        self.error_hint(
            node.at,
            format!("`{what}`: \"{}\" is not a user or group name", shown(&name)),
            "no `:`, `/`, control characters or surrounding spaces: e.g. www-data, or a number",
        );
        None
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
    fn repeated_keys_keep_the_last_value_and_warn_naming_both_places() {
        let mut reader = Reader::new(Path::new("f.yaml"));
        let entry = |key: &str, line| Entry {
            key: key.into(),
            key_at: at(line),
            value: node(Value::Int(line as i128)),
        };
        let map = node(Value::Map(vec![
            entry("a", 1),
            entry("b", 2),
            entry("a", 3),
        ]));
        let entries = reader.map(&map, "app").unwrap();
        let kept: Vec<(&str, usize)> = entries
            .iter()
            .map(|e| (e.key.as_str(), e.key_at.line))
            .collect();
        assert_eq!(kept, [("b", 2), ("a", 3)]);
        assert!(reader.errors.is_empty());
        assert_eq!(reader.warnings.len(), 1);
        assert_eq!(reader.warnings[0].location, Some(at(1)));
        assert!(reader.warnings[0].message.contains("again at line 3"));
        // YAML: refused, as js-yaml refuses it.
        let mut reader = Reader::new(Path::new("f.yaml"));
        reader.refuse_repeated_keys(true);
        reader.map(&map, "app");
        assert!(reader.warnings.is_empty());
        assert_eq!(reader.errors[0].location, Some(at(3)));
        assert!(reader.errors[0].message.contains("first at line 1"));
    }

    #[test]
    fn warnings_name_the_current_app() {
        let mut reader = Reader::new(Path::new("f.yaml"));
        reader.set_app(Some("api".into()));
        reader.warn(at(1), "ignored", None);
        reader.set_app(None);
        reader.warn(at(2), "file-wide", None);
        assert_eq!(*reader.warnings[0].apps, ["api"]);
        assert!(reader.warnings[1].apps.is_empty());
    }
}
