//! JSON read leniently, as PM2 reads `.json` files (it evaluates them as JavaScript):
//! the JSON5 syntax, so comments, unquoted keys, single-quoted strings, trailing
//! commas, hexadecimal numbers, leading `+`, `.5` and `5.` are all accepted. The
//! syntax is `jsonc-parser`'s; this module turns its tree into located [`Node`]s and
//! its errors into diagnostics with the line, column and a hint.

use std::path::Path;

use jsonc_parser::ast::{self, ObjectPropName};
use jsonc_parser::common::Range;
use jsonc_parser::errors::{ParseError as SyntaxError, ParseErrorKind as Kind};
use jsonc_parser::tokens::Token;
use jsonc_parser::{CollectOptions, ParseOptions, ParseStringErrorKind, Scanner, ScannerOptions};

use super::node::{Entry, MAX_DEPTH, Node, Value};
use crate::diagnostic::{Diagnostic, Location};

/// Reads one JSON5 document.
pub fn read(text: &str, file: &Path) -> Result<Node, Diagnostic> {
    let options = ParseOptions {
        // JavaScript needs the commas PM2's evaluation of the file needs.
        allow_missing_commas: false,
        ..ParseOptions::default()
    };
    let result = match jsonc_parser::parse_to_ast(text, &CollectOptions::default(), &options) {
        Ok(parsed) => match parsed.value {
            Some(value) => node(text, &value, 0),
            None => Ok(Node::new(Value::Null, locate(text, text.len()))),
        },
        Err(error) => Err(syntax(text, &error)),
    };
    result.map_err(|(offset, message, hint)| {
        let at = locate(text, offset);
        let diagnostic = Diagnostic::error(file, Some(at), format!("invalid JSON: {message}"));
        match hint {
            Some(hint) => diagnostic.with_hint(hint.to_owned()),
            None => diagnostic,
        }
    })
}

/// A refusal: the byte offset it is about, the message and a hint.
type Refusal = (usize, String, Option<&'static str>);

/// The line and column (in characters) of a byte offset.
fn locate(text: &str, offset: usize) -> Location {
    let before = &text[..offset.min(text.len())];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let line = before.matches('\n').count() + 1;
    Location::new(line, before[line_start..].chars().count() + 1)
}

fn node(text: &str, value: &ast::Value<'_>, depth: usize) -> Result<Node, Refusal> {
    let start = range_of(value).start;
    if depth > MAX_DEPTH {
        let message = format!("nesting deeper than {MAX_DEPTH} levels");
        return Err((start, message, None));
    }
    let at = locate(text, start);
    let value = match value {
        ast::Value::NullKeyword(_) => Value::Null,
        ast::Value::BooleanLit(b) => Value::Bool(b.value),
        ast::Value::StringLit(s) => Value::Str(string(text, s.range, &s.value)?),
        ast::Value::NumberLit(n) => {
            let number = number(n.value)
                .ok_or_else(|| (start, format!("invalid number `{}`", n.value), None))?;
            return Ok(Node::new(number, at).written_as(n.value));
        }
        ast::Value::Array(array) => Value::Seq(
            array
                .elements
                .iter()
                .map(|element| node(text, element, depth + 1))
                .collect::<Result<_, _>>()?,
        ),
        ast::Value::Object(object) => Value::Map(
            object
                .properties
                .iter()
                .map(|property| entry(text, property, depth))
                .collect::<Result<_, _>>()?,
        ),
    };
    Ok(Node::new(value, at))
}

fn entry(text: &str, property: &ast::ObjectProp<'_>, depth: usize) -> Result<Entry, Refusal> {
    let (key, key_range) = match &property.name {
        ObjectPropName::String(s) => (string(text, s.range, &s.value)?, s.range),
        ObjectPropName::Word(w) => (w.value.to_owned(), w.range),
    };
    Ok(Entry {
        key,
        key_at: locate(text, key_range.start),
        value: node(text, &property.value, depth + 1)?,
    })
}

fn range_of(value: &ast::Value<'_>) -> Range {
    match value {
        ast::Value::NullKeyword(v) => v.range,
        ast::Value::BooleanLit(v) => v.range,
        ast::Value::StringLit(v) => v.range,
        ast::Value::NumberLit(v) => v.range,
        ast::Value::Array(v) => v.range,
        ast::Value::Object(v) => v.range,
    }
}

/// A string's value; refused, as JavaScript refuses it, when a line ends inside it
/// (a backslash before the line break continues the string instead).
fn string(text: &str, range: Range, value: &str) -> Result<String, Refusal> {
    let mut chars = text[range.start..range.end].chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                chars.next();
            }
            '\n' | '\r' => return Err(line_in_string(range.start)),
            _ => {}
        }
    }
    Ok(value.to_owned())
}

fn line_in_string(start: usize) -> Refusal {
    (
        start,
        "unterminated string (a line ends inside it)".to_owned(),
        Some("write a line break inside a string as \\n"),
    )
}

/// A number literal's value: decimal, hexadecimal, `Infinity` or `NaN`, signed.
fn number(literal: &str) -> Option<Value> {
    let negative = literal.starts_with('-');
    let body = literal.trim_start_matches(['-', '+']);
    let sign: i8 = if negative { -1 } else { 1 };
    if let Some(hex) = body.strip_prefix("0x").or_else(|| body.strip_prefix("0X")) {
        return i128::from_str_radix(hex, 16)
            .ok()
            .map(|v| Value::Int(i128::from(sign) * v));
    }
    match body {
        "Infinity" => return Some(Value::Float(f64::from(sign) * f64::INFINITY)),
        "NaN" => return Some(Value::Float(f64::NAN)),
        _ => {}
    }
    if body.contains(['.', 'e', 'E']) {
        // JSON5 allows `.5` and `5.`; Rust's parser wants digits on both sides.
        let mut normalised = body.replace(".e", ".0e").replace(".E", ".0E");
        if normalised.starts_with('.') {
            normalised.insert(0, '0');
        }
        if normalised.ends_with('.') {
            normalised.push('0');
        }
        let parsed: f64 = normalised.parse().ok()?;
        Some(Value::Float(f64::from(sign) * parsed))
    } else {
        body.parse::<i128>()
            .ok()
            .map(|v| Value::Int(i128::from(sign) * v))
    }
}

/// A syntax error of the parser, told as this project tells them: what was expected,
/// what was found, where, and what was probably meant.
fn syntax(text: &str, error: &SyntaxError) -> Refusal {
    let start = error.range().start;
    match error.kind() {
        Kind::ExpectedComma => {
            let next = next_token(text, start);
            let close = match enclosing(text, next) {
                Some(Token::OpenBrace) => "`}`",
                _ => "`]`",
            };
            expected(text, next, &format!("`,` or {close}"))
        }
        Kind::UnterminatedArray | Kind::UnterminatedObject => {
            let close = if matches!(error.kind(), Kind::UnterminatedArray) {
                "`]`"
            } else {
                "`}`"
            };
            expected(text, text.len(), &format!("`,` or {close}"))
        }
        Kind::ExpectedColonAfterObjectKey => expected(text, next_token(text, start), "`:`"),
        Kind::UnexpectedTokenInObject => expected(text, start, "a key or `}`"),
        Kind::MultipleRootJsonValues => expected(text, start, "the end of the document"),
        Kind::UnexpectedToken if text[start..].starts_with('.') => {
            (start, "invalid number `.`".to_owned(), None)
        }
        Kind::UnexpectedToken | Kind::UnexpectedWord if starts_word(&text[start..]) => {
            word(text, start)
        }
        Kind::UnexpectedToken
        | Kind::UnexpectedWord
        | Kind::UnexpectedComma
        | Kind::UnexpectedColon
        | Kind::UnexpectedCloseBrace
        | Kind::UnexpectedCloseBracket
        | Kind::ExpectedObjectValue => expected(text, start, "a value"),
        Kind::UnterminatedCommentBlock => (start, "unterminated `/*` comment".to_owned(), None),
        Kind::NestingDepthExceeded => (
            start,
            format!("nesting deeper than {MAX_DEPTH} levels"),
            None,
        ),
        Kind::String(kind) => string_error(text, start, kind),
        Kind::ExpectedDigit
        | Kind::ExpectedDigitFollowingNegativeSign
        | Kind::ExpectedPlusMinusOrDigitInNumberLiteral => (
            start,
            format!("invalid number ({})", lowercase(&error.kind().to_string())),
            None,
        ),
        other => (start, lowercase(&other.to_string()), None),
    }
}

/// "expected X, found Y", with the hint for what was found.
fn expected(text: &str, offset: usize, what: &str) -> Refusal {
    let found = text.get(offset..).and_then(|rest| rest.chars().next());
    let shown = match found {
        Some(c) => format!("`{}`", c.escape_default()),
        None => "the end of the file".to_owned(),
    };
    let hint = match found {
        Some('=') => Some("keys and values are separated by `:`"),
        Some(';') => Some("entries are separated by `,`"),
        None => Some("a bracket or brace is not closed"),
        _ => None,
    };
    (offset, format!("expected {what}, found {shown}"), hint)
}

/// A bare word where a value belongs: a string without quotes, or letters stuck to a
/// number (`12abc`).
fn word(text: &str, start: usize) -> Refusal {
    let after_digit = text[..start]
        .chars()
        .next_back()
        .is_some_and(|c| c.is_ascii_digit());
    if after_digit {
        return expected(text, start, "a digit, `,` or a closing bracket");
    }
    let rest = &text[start..];
    let end = rest
        .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '$'))
        .unwrap_or(rest.len());
    let word = &rest[..end];
    (
        start,
        format!("unexpected word `{word}`"),
        Some("strings need quotes: \"...\" or '...'"),
    )
}

fn starts_word(text: &str) -> bool {
    text.chars()
        .next()
        .is_some_and(|c| c.is_alphabetic() || c == '_' || c == '$')
}

fn string_error(text: &str, start: usize, kind: &ParseStringErrorKind) -> Refusal {
    match kind {
        ParseStringErrorKind::UnterminatedStringLiteral => {
            if text[start..].contains(['\n', '\r']) {
                line_in_string(start)
            } else {
                (start, "unterminated string".to_owned(), None)
            }
        }
        other => (start, lowercase(&other.to_string()), None),
    }
}

fn lowercase(message: &str) -> String {
    let mut chars = message.chars();
    chars
        .next()
        .map(|first| first.to_lowercase().chain(chars).collect())
        .unwrap_or_default()
}

/// Where the next token after `offset` starts (past blanks and comments).
fn next_token(text: &str, offset: usize) -> usize {
    let mut scanner = Scanner::new(&text[offset..], &ScannerOptions::default());
    loop {
        match scanner.scan() {
            Ok(Some(Token::CommentLine(_) | Token::CommentBlock(_))) => {}
            Ok(Some(_)) => return offset + scanner.token_start(),
            Ok(None) | Err(_) => return offset + scanner.token_start(),
        }
    }
}

/// The innermost bracket or brace still open at `offset`.
fn enclosing(text: &str, offset: usize) -> Option<Token<'_>> {
    let mut scanner = Scanner::new(text, &ScannerOptions::default());
    let mut open = Vec::new();
    while let Ok(Some(token)) = scanner.scan() {
        if scanner.token_start() >= offset {
            break;
        }
        match token {
            Token::OpenBrace | Token::OpenBracket => open.push(token),
            Token::CloseBrace | Token::CloseBracket => {
                open.pop();
            }
            _ => {}
        }
    }
    open.pop()
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
