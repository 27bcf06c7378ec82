//! A located, format-neutral document tree: what the YAML and JSON5 readers produce
//! and what the schema layer reads.

use crate::diagnostic::Location;

/// The deepest nesting a document may have. Ecosystem files need about six levels;
/// the limit keeps every reader's recursion far from the end of the stack.
pub const MAX_DEPTH: usize = 24;

/// One value of the document, with where it starts.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// The value.
    pub value: Value,
    /// Where the value starts (1-based line and column).
    pub at: Location,
    /// A number exactly as written (`1.10`, `0x1F`), where the reader kept it.
    pub written: Option<String>,
}

/// The kinds of value a document holds.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `null`, `~` or an empty value.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// An integer.
    Int(i128),
    /// A number with a fraction or exponent.
    Float(f64),
    /// A string.
    Str(String),
    /// A list.
    Seq(Vec<Node>),
    /// A mapping, in file order (duplicate keys kept; the schema layer keeps the last, as PM2 does).
    Map(Vec<Entry>),
}

/// One `key: value` pair of a mapping.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// The key, as text.
    pub key: String,
    /// Where the key starts.
    pub key_at: Location,
    /// The value.
    pub value: Node,
}

impl Node {
    /// A node holding `value` at `at`.
    pub fn new(value: Value, at: Location) -> Self {
        Self {
            value,
            at,
            written: None,
        }
    }

    /// The same node, remembering how a number was written (anything that does not
    /// look like a number literal, such as an alias or a tag, is not kept).
    pub fn written_as(mut self, text: &str) -> Self {
        let literal = !text.is_empty()
            && text
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '+' | '-'));
        if matches!(self.value, Value::Int(_) | Value::Float(_)) && literal {
            self.written = Some(text.to_owned());
        }
        self
    }

    /// What kind of value this is, for messages ("expected a string, found a list").
    pub fn kind(&self) -> &'static str {
        match self.value {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Int(_) => "an integer",
            Value::Float(_) => "a number",
            Value::Str(_) => "a string",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }

    /// The scalar as text (numbers as written where known, booleans spelled out),
    /// or `None` for null, lists and mappings.
    pub fn scalar_text(&self) -> Option<String> {
        if let Some(written) = &self.written {
            return Some(written.clone());
        }
        match &self.value {
            Value::Bool(b) => Some(b.to_string()),
            Value::Int(i) => Some(i.to_string()),
            Value::Float(f) => Some(f.to_string()),
            Value::Str(s) => Some(s.clone()),
            Value::Null | Value::Seq(_) | Value::Map(_) => None,
        }
    }
}

/// Text from the file as shown in a message: control characters escaped, so none
/// reaches the terminal, and cut to a readable length.
pub fn shown(text: &str) -> String {
    const LIMIT: usize = 60;
    let mut escaped = escape_controls(&text.chars().take(LIMIT).collect::<String>());
    if text.chars().nth(LIMIT).is_some() {
        escaped.push('…');
    }
    escaped
}

/// `text` with its control characters escaped (`\n`, `\u{1b}`), bidirectional and
/// zero-width formatting characters included.
pub fn escape_controls(text: &str) -> String {
    text.chars()
        .map(|c| {
            let formatting = matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
            if c.is_control() || formatting {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shown_text_is_escaped_and_cut() {
        assert_eq!(shown("a\nb\u{1b}[2J"), "a\\nb\\u{1b}[2J");
        assert_eq!(shown(&"x".repeat(100)).chars().count(), 61);
        assert_eq!(shown("max_memmory"), "max_memmory");
        assert_eq!(shown("café \"x\""), "café \"x\"");
        assert_eq!(shown("a\u{202e}b"), "a\\u{202e}b");
    }
}
