//! JSON read leniently, as PM2 reads `.json` files (it evaluates them as JavaScript):
//! the JSON5 syntax, so comments, unquoted keys, single-quoted strings, trailing
//! commas, hexadecimal numbers, leading `+`, `.5` and `5.` are all accepted. Every
//! node carries its line and column, and so does every error.

use std::path::Path;

use super::node::{Entry, MAX_DEPTH, Node, Value};
use crate::diagnostic::{Diagnostic, Location};

/// Reads one JSON5 document.
pub fn read(text: &str, file: &Path) -> Result<Node, Diagnostic> {
    let mut parser = Parser {
        chars: text.chars().collect(),
        position: 0,
        line: 1,
        column: 1,
    };
    let result = parser.document();
    result.map_err(|(at, message, hint)| {
        let diagnostic = Diagnostic::error(file, Some(at), format!("invalid JSON: {message}"));
        match hint {
            Some(hint) => diagnostic.with_hint(hint),
            None => diagnostic,
        }
    })
}

type ParseError = (Location, String, Option<String>);

struct Parser {
    chars: Vec<char>,
    position: usize,
    line: usize,
    column: usize,
}

impl Parser {
    fn here(&self) -> Location {
        Location::new(self.line, self.column)
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.position).copied()
    }

    fn peek_at(&self, offset: usize) -> Option<char> {
        self.chars.get(self.position + offset).copied()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.position += 1;
        if c == '\n' {
            self.line += 1;
            self.column = 1;
        } else {
            self.column += 1;
        }
        Some(c)
    }

    fn fail<T>(&self, at: Location, message: impl Into<String>) -> Result<T, ParseError> {
        Err((at, message.into(), None))
    }

    fn unexpected<T>(&self, expected: &str) -> Result<T, ParseError> {
        let found = match self.peek() {
            Some(c) => format!("`{}`", c.escape_default()),
            None => "the end of the file".to_owned(),
        };
        let hint = match self.peek() {
            Some('=') => Some("keys and values are separated by `:`".to_owned()),
            Some(';') => Some("entries are separated by `,`".to_owned()),
            None => Some("a bracket or brace is not closed".to_owned()),
            _ => None,
        };
        Err((
            self.here(),
            format!("expected {expected}, found {found}"),
            hint,
        ))
    }

    fn document(&mut self) -> Result<Node, ParseError> {
        self.skip_blank()?;
        if self.peek().is_none() {
            return Ok(Node::new(Value::Null, self.here()));
        }
        let node = self.value(0)?;
        self.skip_blank()?;
        if self.peek().is_some() {
            return self.unexpected("the end of the document");
        }
        Ok(node)
    }

    /// Skips whitespace and comments.
    fn skip_blank(&mut self) -> Result<(), ParseError> {
        loop {
            match (self.peek(), self.peek_at(1)) {
                (Some(c), _) if is_space(c) => {
                    self.bump();
                }
                (Some('/'), Some('/')) => {
                    while let Some(c) = self.peek() {
                        if matches!(c, '\n' | '\r' | '\u{2028}' | '\u{2029}') {
                            break;
                        }
                        self.bump();
                    }
                }
                (Some('/'), Some('*')) => {
                    let start = self.here();
                    self.bump();
                    self.bump();
                    loop {
                        match (self.peek(), self.peek_at(1)) {
                            (Some('*'), Some('/')) => {
                                self.bump();
                                self.bump();
                                break;
                            }
                            (Some(_), _) => {
                                self.bump();
                            }
                            (None, _) => return self.fail(start, "unterminated `/*` comment"),
                        }
                    }
                }
                _ => return Ok(()),
            }
        }
    }

    fn value(&mut self, depth: usize) -> Result<Node, ParseError> {
        if depth > MAX_DEPTH {
            return self.fail(
                self.here(),
                format!("nesting deeper than {MAX_DEPTH} levels"),
            );
        }
        let at = self.here();
        match self.peek() {
            Some('{') => self.object(depth),
            Some('[') => self.array(depth),
            Some(quote @ ('"' | '\'')) => Ok(Node::new(Value::Str(self.string(quote)?), at)),
            Some(c) if c.is_ascii_digit() || matches!(c, '-' | '+' | '.') => {
                let start = self.position;
                let node = self.number()?;
                let written: String = self.chars[start..self.position].iter().collect();
                Ok(node.written_as(&written))
            }
            Some(c) if is_identifier_start(c) => {
                let word = self.identifier();
                let value = match word.as_str() {
                    "true" => Value::Bool(true),
                    "false" => Value::Bool(false),
                    "null" => Value::Null,
                    "Infinity" => Value::Float(f64::INFINITY),
                    "NaN" => Value::Float(f64::NAN),
                    _ => {
                        return Err((
                            at,
                            format!("unexpected word `{word}`"),
                            Some("strings need quotes: \"...\" or '...'".to_owned()),
                        ));
                    }
                };
                Ok(Node::new(value, at))
            }
            _ => self.unexpected("a value"),
        }
    }

    fn object(&mut self, depth: usize) -> Result<Node, ParseError> {
        let at = self.here();
        self.bump();
        let mut entries = Vec::new();
        loop {
            self.skip_blank()?;
            if self.peek() == Some('}') {
                self.bump();
                return Ok(Node::new(Value::Map(entries), at));
            }
            let key_at = self.here();
            let key = match self.peek() {
                Some(quote @ ('"' | '\'')) => self.string(quote)?,
                Some(c) if is_identifier_start(c) || c.is_ascii_digit() => self.identifier(),
                _ => return self.unexpected("a key or `}`"),
            };
            self.skip_blank()?;
            if self.peek() != Some(':') {
                return self.unexpected("`:`");
            }
            self.bump();
            self.skip_blank()?;
            let value = self.value(depth + 1)?;
            entries.push(Entry { key, key_at, value });
            self.skip_blank()?;
            match self.peek() {
                Some(',') => {
                    self.bump();
                }
                Some('}') => {}
                _ => return self.unexpected("`,` or `}`"),
            }
        }
    }

    fn array(&mut self, depth: usize) -> Result<Node, ParseError> {
        let at = self.here();
        self.bump();
        let mut items = Vec::new();
        loop {
            self.skip_blank()?;
            if self.peek() == Some(']') {
                self.bump();
                return Ok(Node::new(Value::Seq(items), at));
            }
            items.push(self.value(depth + 1)?);
            self.skip_blank()?;
            match self.peek() {
                Some(',') => {
                    self.bump();
                }
                Some(']') => {}
                _ => return self.unexpected("`,` or `]`"),
            }
        }
    }

    fn identifier(&mut self) -> String {
        let mut word = String::new();
        while let Some(c) = self.peek() {
            if is_identifier_start(c) || c.is_ascii_digit() {
                word.push(c);
                self.bump();
            } else {
                break;
            }
        }
        word
    }

    fn string(&mut self, quote: char) -> Result<String, ParseError> {
        let start = self.here();
        self.bump();
        let mut text = String::new();
        loop {
            let Some(c) = self.bump() else {
                return self.fail(start, "unterminated string");
            };
            match c {
                c if c == quote => return Ok(text),
                '\n' | '\r' => {
                    return Err((
                        start,
                        "unterminated string (a line ends inside it)".to_owned(),
                        Some("write a line break inside a string as \\n".to_owned()),
                    ));
                }
                '\\' => self.escape(&mut text)?,
                other => text.push(other),
            }
        }
    }

    fn escape(&mut self, text: &mut String) -> Result<(), ParseError> {
        let at = self.here();
        let Some(c) = self.bump() else {
            return self.fail(at, "unterminated string");
        };
        match c {
            'n' => text.push('\n'),
            't' => text.push('\t'),
            'r' => text.push('\r'),
            'b' => text.push('\u{8}'),
            'f' => text.push('\u{c}'),
            'v' => text.push('\u{b}'),
            '0' if !self.peek().is_some_and(|d| d.is_ascii_digit()) => text.push('\0'),
            'x' => {
                let code = self.hex_digits(2, at)?;
                text.push(char::from_u32(code).unwrap_or('\u{fffd}'));
            }
            'u' => {
                let code = self.hex_digits(4, at)?;
                if (0xD800..0xDC00).contains(&code)
                    && self.peek() == Some('\\')
                    && self.peek_at(1) == Some('u')
                {
                    self.bump();
                    self.bump();
                    let low = self.hex_digits(4, at)?;
                    if (0xDC00..0xE000).contains(&low) {
                        let combined = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
                        text.push(char::from_u32(combined).unwrap_or('\u{fffd}'));
                    } else {
                        text.push('\u{fffd}');
                        text.push(char::from_u32(low).unwrap_or('\u{fffd}'));
                    }
                } else {
                    text.push(char::from_u32(code).unwrap_or('\u{fffd}'));
                }
            }
            // A backslash before a line break continues the string on the next line.
            '\n' | '\u{2028}' | '\u{2029}' => {}
            '\r' => {
                if self.peek() == Some('\n') {
                    self.bump();
                }
            }
            c if c.is_ascii_digit() => return self.fail(at, "octal escapes are not allowed"),
            other => text.push(other),
        }
        Ok(())
    }

    fn hex_digits(&mut self, count: usize, at: Location) -> Result<u32, ParseError> {
        let mut code = 0;
        for _ in 0..count {
            match self.peek().and_then(|c| c.to_digit(16)) {
                Some(digit) => {
                    code = code * 16 + digit;
                    self.bump();
                }
                None => {
                    return self.fail(
                        at,
                        format!("expected {count} hexadecimal digits after the escape"),
                    );
                }
            }
        }
        Ok(code)
    }

    fn number(&mut self) -> Result<Node, ParseError> {
        let at = self.here();
        let mut negative = false;
        if let Some(sign @ ('-' | '+')) = self.peek() {
            negative = sign == '-';
            self.bump();
        }
        if self.peek().is_some_and(is_identifier_start) {
            let word = self.identifier();
            return match word.as_str() {
                "Infinity" => Ok(Node::new(
                    Value::Float(if negative {
                        f64::NEG_INFINITY
                    } else {
                        f64::INFINITY
                    }),
                    at,
                )),
                "NaN" => Ok(Node::new(Value::Float(f64::NAN), at)),
                _ => self.fail(at, format!("invalid number `{word}`")),
            };
        }
        if self.peek() == Some('0') && matches!(self.peek_at(1), Some('x' | 'X')) {
            self.bump();
            self.bump();
            let mut digits = String::new();
            while let Some(c) = self.peek().filter(char::is_ascii_hexdigit) {
                digits.push(c);
                self.bump();
            }
            let value = i128::from_str_radix(&digits, 16)
                .map_err(|_| (at, "invalid hexadecimal number".to_owned(), None))?;
            return Ok(Node::new(
                Value::Int(if negative { -value } else { value }),
                at,
            ));
        }
        let mut literal = String::new();
        let mut is_float = false;
        while let Some(c) = self.peek() {
            match c {
                '0'..='9' => literal.push(c),
                '.' | 'e' | 'E' => {
                    is_float = true;
                    literal.push(c);
                }
                '+' | '-' if literal.ends_with(['e', 'E']) => literal.push(c),
                _ => break,
            }
            self.bump();
        }
        if self.peek().is_some_and(is_identifier_start) {
            return self.unexpected("a digit, `,` or a closing bracket");
        }
        let invalid = || (at, format!("invalid number `{literal}`"), None);
        if !literal.chars().any(|c| c.is_ascii_digit()) {
            return Err(invalid());
        }
        let value = if is_float {
            // JSON5 allows `.5` and `5.`; Rust's parser wants digits on both sides.
            let mut normalised = literal.clone();
            if normalised.starts_with('.') {
                normalised.insert(0, '0');
            }
            normalised = normalised.replace(".e", ".0e").replace(".E", ".0E");
            if normalised.ends_with('.') {
                normalised.push('0');
            }
            let parsed: f64 = normalised.parse().map_err(|_| invalid())?;
            Value::Float(if negative { -parsed } else { parsed })
        } else {
            let parsed: i128 = literal.parse().map_err(|_| invalid())?;
            Value::Int(if negative { -parsed } else { parsed })
        };
        Ok(Node::new(value, at))
    }
}

fn is_space(c: char) -> bool {
    c.is_whitespace() || c == '\u{feff}'
}

fn is_identifier_start(c: char) -> bool {
    c.is_alphabetic() || c == '_' || c == '$'
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Node {
        read(text, Path::new("f.json")).unwrap_or_else(|d| panic!("{d}"))
    }

    fn error(text: &str) -> Diagnostic {
        read(text, Path::new("f.json")).expect_err("accepted")
    }

    fn map(node: &Node) -> &[Entry] {
        match &node.value {
            Value::Map(entries) => entries,
            other => panic!("not a map: {other:?}"),
        }
    }

    #[test]
    fn plain_json() {
        let node = parse(
            r#"{"apps": [{"name": "a", "instances": 2, "ratio": 0.5, "on": true, "x": null}]}"#,
        );
        let apps = &map(&node)[0];
        assert_eq!(apps.key, "apps");
        let Value::Seq(items) = &apps.value.value else {
            panic!()
        };
        let app = map(&items[0]);
        assert_eq!(app[0].value.value, Value::Str("a".into()));
        assert_eq!(app[1].value.value, Value::Int(2));
        assert_eq!(app[2].value.value, Value::Float(0.5));
        assert_eq!(app[3].value.value, Value::Bool(true));
        assert_eq!(app[4].value.value, Value::Null);
    }

    #[test]
    fn lenient_syntax() {
        let text = "// ecosystem\n{\n  /* block\n comment */ apps: [\n    { name: 'web', script: \"a.js\", instances: +4, x: .5, y: 5., z: 0x1F, },\n  ],\n}\n";
        let node = parse(text);
        let apps = &map(&node)[0];
        assert_eq!((apps.key_at.line, apps.key_at.column), (4, 13));
        let Value::Seq(items) = &apps.value.value else {
            panic!()
        };
        let app = map(&items[0]);
        assert_eq!(app[0].key, "name");
        assert_eq!((app[0].key_at.line, app[0].key_at.column), (5, 7));
        assert_eq!(app[0].value.value, Value::Str("web".into()));
        assert_eq!(app[2].value.value, Value::Int(4));
        assert_eq!(app[3].value.value, Value::Float(0.5));
        assert_eq!(app[4].value.value, Value::Float(5.0));
        assert_eq!(app[5].value.value, Value::Int(31));
    }

    #[test]
    fn escapes() {
        let node = parse(
            r#"["a\nb", 'it\'s', "\u00e9\x41", "\ud83d\ude00", "line\
next"]"#,
        );
        let Value::Seq(items) = &node.value else {
            panic!()
        };
        let texts: Vec<&Value> = items.iter().map(|i| &i.value).collect();
        assert_eq!(texts[0], &Value::Str("a\nb".into()));
        assert_eq!(texts[1], &Value::Str("it's".into()));
        assert_eq!(texts[2], &Value::Str("éA".into()));
        assert_eq!(texts[3], &Value::Str("😀".into()));
        assert_eq!(texts[4], &Value::Str("linenext".into()));
    }

    #[test]
    fn errors_are_located() {
        let e = error("{\n  \"a\": 1\n  \"b\": 2\n}");
        assert_eq!(e.location, Some(Location::new(3, 3)));
        assert!(e.message.contains("expected `,` or `}`"), "{}", e.message);

        let e = error("{\"a\" = 1}");
        assert_eq!(e.location, Some(Location::new(1, 6)));
        assert_eq!(
            e.hint.as_deref(),
            Some("keys and values are separated by `:`")
        );

        let e = error("[1, 2");
        assert_eq!(e.location, Some(Location::new(1, 6)));

        let e = error("{a: 'open\n}");
        assert_eq!(e.location, Some(Location::new(1, 5)));

        let e = error("/* never closed");
        assert!(e.message.contains("unterminated"));

        let e = error("{a: yes}");
        assert!(e.message.contains("unexpected word `yes`"));

        let e = error("{} {}");
        assert!(e.message.contains("end of the document"));
    }

    #[test]
    fn columns_count_characters() {
        let e = error("{\"é\": @}");
        assert_eq!(e.location, Some(Location::new(1, 7)));
    }

    #[test]
    fn depth_is_limited() {
        let deep = "[".repeat(10_000);
        assert!(error(&deep).message.contains("nesting deeper"));
    }

    #[test]
    fn empty_text_is_null() {
        assert_eq!(parse("  // nothing\n").value, Value::Null);
    }

    #[test]
    fn numbers() {
        let node =
            parse("[-1, 1e3, -0x10, 1.5E-1, -Infinity, 170141183460469231731687303715884105727]");
        let Value::Seq(items) = &node.value else {
            panic!()
        };
        assert_eq!(items[0].value, Value::Int(-1));
        assert_eq!(items[1].value, Value::Float(1000.0));
        assert_eq!(items[2].value, Value::Int(-16));
        assert_eq!(items[3].value, Value::Float(0.15));
        assert_eq!(items[4].value, Value::Float(f64::NEG_INFINITY));
        assert_eq!(items[1].scalar_text().as_deref(), Some("1e3"));
        assert_eq!(items[2].scalar_text().as_deref(), Some("-0x10"));
        assert!(error("[1e]").message.contains("invalid number"));
        assert!(error("[.]").message.contains("invalid number"));
        assert!(error("[-]").message.contains("invalid number"));
        assert!(
            error("[99999999999999999999999999999999999999999999]")
                .message
                .contains("invalid number")
        );
        assert!(error("[12abc]").message.contains("expected a digit"));
    }
}
