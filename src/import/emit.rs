//! Writing a [`Doc`] as block YAML, with comment lines above the keys that have a note.
//!
//! Strings are written plain only where YAML reads them back as the same string;
//! everything else is double-quoted with escapes, so the output always parses back to
//! the document it came from.

use std::fmt::Write;

use super::doc::Doc;

/// Width at which comment lines wrap.
const COMMENT_WIDTH: usize = 88;

/// Says which note, if any, goes above a key: called with the path of mapping keys and
/// list indexes leading to the value, the key, the value and the mapping holding it.
pub trait Annotate {
    /// The note above `key`, if any.
    fn note(&self, path: &[PathStep<'_>], key: &str, value: &Doc, map: &Doc) -> Option<String>;
}

/// One step from the document's root to a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathStep<'a> {
    /// Into a mapping, by key.
    Key(&'a str),
    /// Into a list, by index.
    Index(usize),
}

/// The document as YAML text; `annotate` says which keys get a comment, and keys whose
/// value is unrepresentable are written as comments only.
pub fn to_yaml(doc: &Doc, annotate: &dyn Annotate) -> String {
    let mut writer = Writer {
        out: String::new(),
        annotate,
    };
    match doc {
        Doc::Map(entries) if !entries.is_empty() => {
            writer.map(doc, entries, 0, false, &mut Vec::new())
        }
        Doc::Seq(items) if !items.is_empty() => writer.seq(items, 0, &mut Vec::new()),
        scalar => {
            writer.out.push_str(&inline(scalar));
            writer.out.push('\n');
        }
    }
    writer.out
}

struct Writer<'a> {
    out: String,
    annotate: &'a dyn Annotate,
}

impl<'p> Writer<'_> {
    /// Writes the entries of a mapping at `indent`; with `after_dash`, the first entry
    /// continues a `- ` already written.
    fn map(
        &mut self,
        map: &Doc,
        entries: &'p [(String, Doc)],
        indent: usize,
        mut after_dash: bool,
        path: &mut Vec<PathStep<'p>>,
    ) {
        for (key, value) in entries {
            let note = self.annotate.note(path, key, value, map);
            if let Some(note) = &note {
                if after_dash {
                    // The comment cannot share the dash's line: start the item below.
                    if self.out.ends_with(' ') {
                        self.out.pop();
                    }
                    self.out.push('\n');
                    after_dash = false;
                }
                self.comment(note, indent, key);
            }
            if value.unrepresentable().is_some() {
                continue;
            }
            if after_dash {
                after_dash = false;
            } else {
                self.pad(indent);
            }
            self.out.push_str(&key_text(key));
            self.out.push(':');
            path.push(PathStep::Key(key));
            self.value(value, indent + 2, path);
            path.pop();
        }
        if after_dash {
            // Every entry was left out: the item is an empty mapping.
            self.out.push_str("{}\n");
        }
    }

    /// Writes the items of a list at `indent`.
    fn seq(&mut self, items: &'p [Doc], indent: usize, path: &mut Vec<PathStep<'p>>) {
        for (index, item) in items.iter().enumerate() {
            path.push(PathStep::Index(index));
            self.pad(indent);
            self.out.push('-');
            match item {
                Doc::Map(entries) if !entries.is_empty() => {
                    self.out.push(' ');
                    self.map(item, entries, indent + 2, true, path);
                }
                Doc::Seq(inner) if !inner.is_empty() => {
                    self.out.push('\n');
                    self.seq(inner, indent + 2, path);
                }
                scalar => {
                    self.out.push(' ');
                    self.out.push_str(&inline(scalar));
                    self.out.push('\n');
                }
            }
            path.pop();
        }
    }

    /// Writes a value after `key:`.
    fn value(&mut self, value: &'p Doc, indent: usize, path: &mut Vec<PathStep<'p>>) {
        match value {
            Doc::Map(entries) if !entries.is_empty() => {
                self.out.push('\n');
                self.map(value, entries, indent, false, path);
            }
            Doc::Seq(items) if !items.is_empty() => {
                self.out.push('\n');
                self.seq(items, indent, path);
            }
            scalar => {
                self.out.push(' ');
                self.out.push_str(&inline(scalar));
                self.out.push('\n');
            }
        }
    }

    /// Writes `note` as comment lines at `indent`, the first naming `key`.
    fn comment(&mut self, note: &str, indent: usize, key: &str) {
        let mut line = format!("# {key}: ");
        for word in note.split_whitespace() {
            if line.len() + word.len() + indent > COMMENT_WIDTH && line.len() > 2 {
                self.pad(indent);
                self.out.push_str(line.trim_end());
                self.out.push('\n');
                line = "#   ".to_owned();
            }
            line.push_str(word);
            line.push(' ');
        }
        self.pad(indent);
        self.out.push_str(line.trim_end());
        self.out.push('\n');
    }

    fn pad(&mut self, indent: usize) {
        self.out.extend(std::iter::repeat_n(' ', indent));
    }
}

/// A scalar or empty collection on one line.
fn inline(doc: &Doc) -> String {
    match doc {
        Doc::Null => "null".to_owned(),
        Doc::Bool(value) => value.to_string(),
        Doc::Number(text) => text.clone(),
        Doc::Str(text) => string(text),
        Doc::Seq(_) => "[]".to_owned(),
        Doc::Map(_) => "{}".to_owned(),
    }
}

/// A mapping key: plain when it is a simple identifier, else quoted.
fn key_text(key: &str) -> String {
    let simple = key
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        && !is_reserved_word(key);
    if simple { key.to_owned() } else { quoted(key) }
}

/// A string value: plain where YAML reads it back as this same string, else quoted.
pub fn string(text: &str) -> String {
    if is_plain_safe(text) {
        text.to_owned()
    } else {
        quoted(text)
    }
}

/// Whether `text` can be written unquoted: starts with a letter, `/` or `_`, holds
/// only characters without YAML meaning (a `:` only when not followed by a space),
/// no leading or trailing space, and is no word YAML reads as a boolean or null.
fn is_plain_safe(text: &str) -> bool {
    let Some(first) = text.chars().next() else {
        return false;
    };
    if first.is_ascii_digit() {
        return is_size_or_duration(text);
    }
    let relative_path = text.starts_with("./") || text.starts_with("../");
    if !(first.is_ascii_alphabetic() || first == '/' || first == '_' || relative_path)
        || text.ends_with([' ', ':'])
    {
        return false;
    }
    let allowed = |c: char| c.is_ascii_alphanumeric() || " _./@+=,-:".contains(c);
    text.chars().all(allowed)
        && !text.contains(": ")
        && !text.contains("  ")
        && !is_reserved_word(text)
}

/// Whether `text` is a size or duration such as `300M` or `1.5h`: digits with a unit,
/// which YAML reads as a string (hexadecimal, octal and binary forms excluded).
fn is_size_or_duration(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    text.chars().all(|c| c.is_ascii_alphanumeric() || c == '.')
        && text.ends_with(|c: char| c.is_ascii_alphabetic())
        && !["0x", "0o", "0b"]
            .iter()
            .any(|prefix| lower.starts_with(prefix))
}

/// Words some YAML readers take for booleans or null.
fn is_reserved_word(text: &str) -> bool {
    const WORDS: &[&str] = &[
        "true", "false", "yes", "no", "on", "off", "y", "n", "null", "~",
    ];
    WORDS.iter().any(|word| word.eq_ignore_ascii_case(text))
}

/// `text` double-quoted, with every character YAML could misread escaped.
fn quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if is_printable(c) => out.push(c),
            c if (c as u32) <= 0xff => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if (c as u32) <= 0xffff => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => {
                let _ = write!(out, "\\U{:08x}", c as u32);
            }
        }
    }
    out.push('"');
    out
}

/// YAML's printable characters (YAML 1.2, `c-printable`), less the byte-order mark.
fn is_printable(c: char) -> bool {
    matches!(c as u32, 0x20..=0x7e | 0x85 | 0xa0..=0xd7ff | 0xe000..=0xfefe | 0xff00..=0xfffd | 0x10000..=0x10ffff)
}

#[cfg(test)]
mod tests {
    use super::*;

    struct NoNotes;

    impl Annotate for NoNotes {
        fn note(&self, _: &[PathStep<'_>], _: &str, _: &Doc, _: &Doc) -> Option<String> {
            None
        }
    }

    struct NoteOn(&'static str);

    impl Annotate for NoteOn {
        fn note(&self, _: &[PathStep<'_>], key: &str, _: &Doc, _: &Doc) -> Option<String> {
            (key == self.0).then(|| "a note".to_owned())
        }
    }

    fn round_trip(doc: &Doc) {
        let yaml = to_yaml(doc, &NoNotes);
        let back: Doc = serde_saphyr::from_str(&yaml).unwrap_or_else(|e| panic!("{e}\n{yaml}"));
        assert_eq!(&back, doc, "\n{yaml}");
    }

    fn s(text: &str) -> Doc {
        Doc::Str(text.to_owned())
    }

    #[test]
    fn tricky_strings_read_back_the_same() {
        for text in [
            "",
            " lead",
            "trail ",
            "3000",
            "1e3",
            "0x10",
            "true",
            "No",
            "null",
            "~",
            "- dash",
            "a: b",
            "a #b",
            "#c",
            "x:",
            "npm run start:prod",
            "--port=3000",
            "50% of $HOME",
            "quote \" and \\ back",
            "line\nbreak",
            "tab\there",
            "\u{7f}del",
            "\u{85}nel",
            "\u{feff}bom",
            "ünïcødé ✓",
            "{braces}",
            "[brackets]",
            "*star",
            "&amp",
            "!bang",
            "|pipe",
            ">gt",
            "'single'",
            "@at",
            "`tick`",
            "%percent",
            "a,b",
            "?",
            "2001-12-14",
            ".inf",
            "-1",
            "+1",
            "1_000",
        ] {
            round_trip(&Doc::Map(vec![("value".into(), s(text))]));
        }
    }

    #[test]
    fn nested_structures_read_back_the_same() {
        let doc = Doc::Map(vec![
            (
                "apps".into(),
                Doc::Seq(vec![
                    Doc::Map(vec![
                        ("name".into(), s("api")),
                        (
                            "args".into(),
                            Doc::Seq(vec![s("--port"), Doc::Number("3000".into())]),
                        ),
                        (
                            "env".into(),
                            Doc::Map(vec![("NODE_ENV".into(), s("production"))]),
                        ),
                        ("empty".into(), Doc::Map(vec![])),
                        ("none".into(), Doc::Seq(vec![])),
                        ("nothing".into(), Doc::Null),
                        ("on".into(), Doc::Bool(true)),
                        ("weird key: #1".into(), Doc::Number("1.5".into())),
                    ]),
                    Doc::Seq(vec![s("nested"), Doc::Seq(vec![Doc::Bool(false)])]),
                    s("scalar item"),
                ]),
            ),
            ("deploy".into(), Doc::Map(vec![])),
        ]);
        round_trip(&doc);
        round_trip(&Doc::Seq(vec![Doc::Map(vec![("name".into(), s("a"))])]));
    }

    #[test]
    fn notes_are_comments_above_their_key() {
        let doc = Doc::Seq(vec![Doc::Map(vec![
            ("name".into(), s("api")),
            ("max_memory_restart".into(), s("300M")),
        ])]);
        assert_eq!(
            to_yaml(&doc, &NoteOn("name")),
            "-\n  # name: a note\n  name: api\n  max_memory_restart: 300M\n"
        );
        assert_eq!(
            to_yaml(&doc, &NoteOn("max_memory_restart")),
            "- name: api\n  # max_memory_restart: a note\n  max_memory_restart: 300M\n"
        );
    }
}
