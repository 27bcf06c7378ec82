//! YAML into a [`Node`] tree through serde-saphyr, keeping every value's location.

use std::fmt;
use std::path::Path;

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::options::DuplicateKeyPolicy;
use serde_saphyr::{MessageFormatter, Spanned};

use super::node::{Entry, MAX_DEPTH, Node, Value, escape_controls};
use crate::diagnostic::{Diagnostic, Location};

/// Reads one YAML document. Syntax errors come back located.
pub fn read(text: &str, file: &Path) -> Result<Node, Diagnostic> {
    let options = serde_saphyr::options! {
        // `y`, `n`, `on`, `off`, `yes`, `no` stay strings here; the schema layer
        // accepts them where a boolean is expected, and nowhere else.
        strict_booleans: true,
        // Repeated keys reach the schema layer, which keeps the last and names both places.
        duplicate_keys: DuplicateKeyPolicy::PassThrough,
        with_snippet: false,
        budget: serde_saphyr::budget! { max_depth: MAX_DEPTH },
    };
    match serde_saphyr::from_str_with_options::<Spanned<YamlValue>>(text, options) {
        Ok(spanned) => Ok(into_node(spanned, text)),
        Err(error) => {
            let location = error.location().map(location_of);
            let message = serde_saphyr::DefaultMessageFormatter.format_message(&error);
            let message = if message.contains("recursion limit") {
                format!("nesting deeper than {MAX_DEPTH} levels")
            } else if message.contains("budget breached") {
                if message.contains("Depth") {
                    format!("nesting deeper than {MAX_DEPTH} levels")
                } else {
                    format!("the document exceeds a safety limit ({message})")
                }
            } else {
                escape_controls(&message)
            };
            Err(Diagnostic::error(
                file,
                location,
                format!("invalid YAML: {message}"),
            ))
        }
    }
}

fn location_of(location: serde_saphyr::Location) -> Location {
    Location::new(
        usize::try_from(location.line()).unwrap_or(usize::MAX),
        usize::try_from(location.column()).unwrap_or(usize::MAX),
    )
}

/// The source text a value was read from, where the parser kept its bytes.
fn source_of<'t>(location: &serde_saphyr::Location, text: &'t str) -> &'t str {
    let span = location.span();
    let (Some(start), Some(length)) = (span.byte_offset(), span.byte_len()) else {
        return "";
    };
    let (Ok(start), Ok(length)) = (usize::try_from(start), usize::try_from(length)) else {
        return "";
    };
    text.get(start..start.saturating_add(length)).unwrap_or("")
}

fn into_node(spanned: Spanned<YamlValue>, text: &str) -> Node {
    let at = location_of(spanned.referenced);
    let written = source_of(&spanned.defined, text);
    let value = match spanned.value {
        YamlValue::Null => Value::Null,
        YamlValue::Bool(b) => Value::Bool(b),
        YamlValue::Int(i) => Value::Int(i),
        YamlValue::Float(f) => Value::Float(f),
        YamlValue::Str(s) => Value::Str(s),
        YamlValue::Seq(items) => {
            Value::Seq(items.into_iter().map(|i| into_node(i, text)).collect())
        }
        YamlValue::Map(entries) => Value::Map(
            entries
                .into_iter()
                .map(|(key, value)| {
                    let key = into_node(key, text);
                    Entry {
                        key: key_text(&key),
                        key_at: key.at,
                        value: into_node(value, text),
                    }
                })
                .collect(),
        ),
    };
    Node::new(value, at).written_as(written.trim())
}

/// A mapping key as text; complex keys (lists, mappings) become a text that no
/// schema key matches, so they are reported as unknown fields.
fn key_text(key: &Node) -> String {
    key.scalar_text()
        .unwrap_or_else(|| format!("<{}>", key.kind()))
}

/// The untyped YAML value, deserialized with locations on every node.
enum YamlValue {
    Null,
    Bool(bool),
    Int(i128),
    Float(f64),
    Str(String),
    Seq(Vec<Spanned<YamlValue>>),
    Map(Vec<(Spanned<YamlValue>, Spanned<YamlValue>)>),
}

impl<'de> Deserialize<'de> for YamlValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(YamlValueVisitor)
    }
}

struct YamlValueVisitor;

impl<'de> Visitor<'de> for YamlValueVisitor {
    type Value = YamlValue;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any YAML value")
    }

    fn visit_unit<E>(self) -> Result<YamlValue, E> {
        Ok(YamlValue::Null)
    }

    fn visit_none<E>(self) -> Result<YamlValue, E> {
        Ok(YamlValue::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<YamlValue, D::Error> {
        YamlValue::deserialize(deserializer)
    }

    fn visit_bool<E>(self, value: bool) -> Result<YamlValue, E> {
        Ok(YamlValue::Bool(value))
    }

    fn visit_i64<E>(self, value: i64) -> Result<YamlValue, E> {
        Ok(YamlValue::Int(value.into()))
    }

    fn visit_u64<E>(self, value: u64) -> Result<YamlValue, E> {
        Ok(YamlValue::Int(value.into()))
    }

    fn visit_i128<E>(self, value: i128) -> Result<YamlValue, E> {
        Ok(YamlValue::Int(value))
    }

    fn visit_u128<E: serde::de::Error>(self, value: u128) -> Result<YamlValue, E> {
        i128::try_from(value)
            .map(YamlValue::Int)
            .map_err(|_| E::custom("integer too large"))
    }

    fn visit_f64<E>(self, value: f64) -> Result<YamlValue, E> {
        Ok(YamlValue::Float(value))
    }

    fn visit_str<E>(self, value: &str) -> Result<YamlValue, E> {
        Ok(YamlValue::Str(value.to_owned()))
    }

    fn visit_string<E>(self, value: String) -> Result<YamlValue, E> {
        Ok(YamlValue::Str(value))
    }

    fn visit_bytes<E>(self, value: &[u8]) -> Result<YamlValue, E> {
        Ok(YamlValue::Str(String::from_utf8_lossy(value).into_owned()))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<YamlValue, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Spanned<YamlValue>>()? {
            items.push(item);
        }
        Ok(YamlValue::Seq(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<YamlValue, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<Spanned<YamlValue>>()? {
            let value = map.next_value::<Spanned<YamlValue>>()?;
            entries.push((key, value));
        }
        Ok(YamlValue::Map(entries))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Node, Diagnostic> {
        read(text, Path::new("f.yaml"))
    }

    #[test]
    fn values_keep_their_locations() {
        let node = parse("apps:\n  - name: web\n    instances: 4\n").unwrap();
        let Value::Map(top) = &node.value else {
            panic!()
        };
        let Value::Seq(apps) = &top[0].value.value else {
            panic!()
        };
        let Value::Map(app) = &apps[0].value else {
            panic!()
        };
        assert_eq!(app[1].key, "instances");
        assert_eq!((app[1].key_at.line, app[1].key_at.column), (3, 5));
        assert_eq!(app[1].value.value, Value::Int(4));
        assert_eq!((app[1].value.at.line, app[1].value.at.column), (3, 16));
    }

    #[test]
    fn numbers_keep_their_spelling() {
        let node =
            parse("a: 1.10\nb: 0x1F\nc: &n 007\nd: *n\ne: !!int 5\nf: [1.50, -2]\ng: 1_000\n")
                .unwrap();
        let Value::Map(entries) = &node.value else {
            panic!()
        };
        let texts: Vec<Option<String>> = entries.iter().map(|e| e.value.scalar_text()).collect();
        assert_eq!(texts[0].as_deref(), Some("1.10"));
        assert_eq!(texts[1].as_deref(), Some("0x1F"));
        assert_eq!(texts[2].as_deref(), Some("007"));
        assert_eq!(texts[3].as_deref(), Some("007"));
        assert_eq!(texts[4].as_deref(), Some("5"));
        assert_eq!(texts[6].as_deref(), Some("1_000"));
        let Value::Seq(items) = &entries[5].value.value else {
            panic!()
        };
        assert_eq!(items[0].scalar_text().as_deref(), Some("1.50"));
        assert_eq!(items[1].scalar_text().as_deref(), Some("-2"));
    }

    #[test]
    fn yaml_1_1_booleans_stay_strings() {
        let node = parse("a: yes\nb: true\n").unwrap();
        let Value::Map(entries) = &node.value else {
            panic!()
        };
        assert_eq!(entries[0].value.value, Value::Str("yes".into()));
        assert_eq!(entries[1].value.value, Value::Bool(true));
    }

    #[test]
    fn repeated_keys_reach_the_schema_layer() {
        let node = parse("a: 1\na: 2\n").unwrap();
        let Value::Map(entries) = &node.value else {
            panic!()
        };
        assert_eq!(entries.len(), 2);
    }

    #[test]
    fn syntax_errors_are_located() {
        let error = parse("a: [1, 2\n").unwrap_err();
        assert_eq!(error.location, Some(Location::new(1, 4)));
        assert!(
            error.message.starts_with("invalid YAML: "),
            "{}",
            error.message
        );
    }

    #[test]
    fn depth_is_limited() {
        let error = parse(&"[".repeat(1000)).unwrap_err();
        assert!(
            error.message.contains("nesting deeper than"),
            "{}",
            error.message
        );
    }
}
