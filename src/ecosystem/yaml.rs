//! YAML into a [`Node`] tree through serde-saphyr, keeping every value's location.

use std::fmt;
use std::path::Path;

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::options::DuplicateKeyPolicy;
use serde_saphyr::{MessageFormatter, Spanned};

use super::node::{Entry, Node, Value};
use crate::diagnostic::{Diagnostic, Location};

/// Reads one YAML document. Syntax errors come back located.
pub fn read(text: &str, file: &Path) -> Result<Node, Diagnostic> {
    let options = serde_saphyr::options! {
        // `y`, `n`, `on`, `off`, `yes`, `no` stay strings here; the schema layer
        // accepts them where a boolean is expected, and nowhere else.
        strict_booleans: true,
        // Repeated keys reach the schema layer, which names both places.
        duplicate_keys: DuplicateKeyPolicy::PassThrough,
        with_snippet: false,
    };
    match serde_saphyr::from_str_with_options::<Spanned<YamlValue>>(text, options) {
        Ok(spanned) => Ok(into_node(spanned)),
        Err(error) => {
            let location = error.location().map(location_of);
            let message = serde_saphyr::DefaultMessageFormatter.format_message(&error);
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

fn into_node(spanned: Spanned<YamlValue>) -> Node {
    let at = location_of(spanned.referenced);
    let value = match spanned.value {
        YamlValue::Null => Value::Null,
        YamlValue::Bool(b) => Value::Bool(b),
        YamlValue::Int(i) => Value::Int(i),
        YamlValue::Float(f) => Value::Float(f),
        YamlValue::Str(s) => Value::Str(s),
        YamlValue::Seq(items) => Value::Seq(items.into_iter().map(into_node).collect()),
        YamlValue::Map(entries) => Value::Map(
            entries
                .into_iter()
                .map(|(key, value)| {
                    let key = into_node(key);
                    Entry {
                        key: key_text(&key),
                        key_at: key.at,
                        value: into_node(value),
                    }
                })
                .collect(),
        ),
    };
    Node::new(value, at)
}

/// A mapping key as text; complex keys (lists, mappings) become a text that no
/// schema key matches, so they are refused as unknown fields.
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
