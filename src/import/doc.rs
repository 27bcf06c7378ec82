//! An ordered document tree: what an imported file holds, keys in file order.
//!
//! `serde_json::Value` sorts object keys; an imported ecosystem must keep the order
//! its author chose, so the tree is deserialised through its own visitor, from JSON
//! (what Node.js prints) and YAML alike.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::ecosystem::{Node, Value};

/// The key the evaluation script puts in place of a value JSON cannot hold; its value
/// says what it was (`undefined`, `function`, ...).
pub const UNREPRESENTABLE: &str = "\u{0}ecosystemd-unrepresentable";

/// One value of an imported document.
#[derive(Debug, Clone, PartialEq)]
pub enum Doc {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number, spelled as its source had it (or as Node.js printed it).
    Number(String),
    /// A string.
    Str(String),
    /// A list.
    Seq(Vec<Doc>),
    /// A mapping, in file order.
    Map(Vec<(String, Doc)>),
}

impl Doc {
    /// The value under `key`, if this is a mapping that has it.
    pub fn get(&self, key: &str) -> Option<&Doc> {
        match self {
            Doc::Map(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Doc::Str(text) => Some(text),
            _ => None,
        }
    }

    /// What JavaScript value stood here, if JSON could not hold it (`undefined`,
    /// `function`, ...).
    pub fn unrepresentable(&self) -> Option<&str> {
        match self {
            Doc::Map(entries) if entries.len() == 1 && entries[0].0 == UNREPRESENTABLE => {
                entries[0].1.as_str()
            }
            _ => None,
        }
    }
}

impl From<&Node> for Doc {
    /// The document a located tree holds (what the ecosystem readers produce).
    fn from(node: &Node) -> Self {
        match &node.value {
            Value::Null => Doc::Null,
            Value::Bool(value) => Doc::Bool(*value),
            Value::Int(_) | Value::Float(_) => Doc::Number(number_text(node)),
            Value::Str(text) => Doc::Str(text.clone()),
            Value::Seq(items) => Doc::Seq(items.iter().map(Doc::from).collect()),
            // A repeated key holds its last value at its first place, as in a
            // JavaScript object (how PM2 reads a JSON file).
            Value::Map(entries) => {
                let mut map: Vec<(String, Doc)> = Vec::with_capacity(entries.len());
                for entry in entries {
                    let value = Doc::from(&entry.value);
                    match map.iter_mut().find(|(key, _)| *key == entry.key) {
                        Some(slot) => slot.1 = value,
                        None => map.push((entry.key.clone(), value)),
                    }
                }
                Doc::Map(map)
            }
        }
    }
}

/// A number as its file spelled it (`1.10` stays `1.10`) where that spelling is a plain
/// decimal every YAML reader agrees on, else its value.
fn number_text(node: &Node) -> String {
    match (&node.written, &node.value) {
        (Some(written), _) if is_plain_decimal(written) => written.clone(),
        (_, Value::Int(value)) => value.to_string(),
        (_, Value::Float(value)) => value.to_string(),
        _ => String::new(),
    }
}

/// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?`: JSON's number syntax.
fn is_plain_decimal(text: &str) -> bool {
    let unsigned = text.strip_prefix('-').unwrap_or(text);
    let (mantissa, exponent) = match unsigned.split_once(['e', 'E']) {
        Some((mantissa, exponent)) => (mantissa, Some(exponent)),
        None => (unsigned, None),
    };
    let (integer, fraction) = match mantissa.split_once('.') {
        Some((integer, fraction)) => (integer, Some(fraction)),
        None => (mantissa, None),
    };
    let digits = |part: &str| !part.is_empty() && part.chars().all(|c| c.is_ascii_digit());
    digits(integer)
        && (integer == "0" || !integer.starts_with('0'))
        && fraction.is_none_or(digits)
        && exponent.is_none_or(|e| digits(e.strip_prefix(['+', '-']).unwrap_or(e)))
}

impl<'de> Deserialize<'de> for Doc {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(DocVisitor)
    }
}

struct DocVisitor;

impl<'de> Visitor<'de> for DocVisitor {
    type Value = Doc;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON or YAML value")
    }

    fn visit_bool<E: de::Error>(self, value: bool) -> Result<Doc, E> {
        Ok(Doc::Bool(value))
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<Doc, E> {
        Ok(Doc::Number(value.to_string()))
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<Doc, E> {
        Ok(Doc::Number(value.to_string()))
    }

    fn visit_i128<E: de::Error>(self, value: i128) -> Result<Doc, E> {
        Ok(Doc::Number(value.to_string()))
    }

    fn visit_u128<E: de::Error>(self, value: u128) -> Result<Doc, E> {
        Ok(Doc::Number(value.to_string()))
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<Doc, E> {
        if value.is_finite() {
            Ok(Doc::Number(value.to_string()))
        } else {
            Err(E::custom(format!(
                "{value} is not a number JSON or YAML can hold"
            )))
        }
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<Doc, E> {
        Ok(Doc::Str(value.to_owned()))
    }

    fn visit_string<E: de::Error>(self, value: String) -> Result<Doc, E> {
        Ok(Doc::Str(value))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Doc, E> {
        Ok(Doc::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Doc, E> {
        Ok(Doc::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Doc, D::Error> {
        Doc::deserialize(deserializer)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Doc, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Doc::Seq(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Doc, A::Error> {
        let mut entries = Vec::new();
        while let Some((key, value)) = map.next_entry::<KeyText, Doc>()? {
            entries.push((key.0, value));
        }
        Ok(Doc::Map(entries))
    }
}

/// A mapping key as text: YAML allows numbers and booleans as keys.
struct KeyText(String);

impl<'de> Deserialize<'de> for KeyText {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match Doc::deserialize(deserializer)? {
            Doc::Str(text) | Doc::Number(text) => Ok(KeyText(text)),
            Doc::Bool(value) => Ok(KeyText(value.to_string())),
            Doc::Null => Ok(KeyText("null".to_owned())),
            Doc::Seq(_) | Doc::Map(_) => Err(de::Error::custom("a key must be a scalar")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_keeps_key_order() {
        let doc: Doc = serde_json::from_str(r#"{"z": 1, "a": [true, null, "x"], "m": 1.5}"#)
            .expect("valid JSON");
        assert_eq!(
            doc,
            Doc::Map(vec![
                ("z".into(), Doc::Number("1".into())),
                (
                    "a".into(),
                    Doc::Seq(vec![Doc::Bool(true), Doc::Null, Doc::Str("x".into())])
                ),
                ("m".into(), Doc::Number("1.5".into())),
            ])
        );
    }

    #[test]
    fn a_repeated_json_key_keeps_its_last_value_at_its_first_place() {
        let tree =
            crate::ecosystem::syntax_tree("{a: 1, b: 2, a: 3}", std::path::Path::new("pm2.json"))
                .expect("valid JSON5");
        assert_eq!(
            Doc::from(&tree),
            Doc::Map(vec![
                ("a".into(), Doc::Number("3".into())),
                ("b".into(), Doc::Number("2".into())),
            ])
        );
    }

    #[test]
    fn yaml_keeps_key_order() {
        let doc: Doc = serde_saphyr::from_str("b: 2\na: x\n").expect("valid YAML");
        assert_eq!(
            doc,
            Doc::Map(vec![
                ("b".into(), Doc::Number("2".into())),
                ("a".into(), Doc::Str("x".into())),
            ])
        );
    }

    #[test]
    fn numbers_keep_a_plain_decimal_spelling_only() {
        for (text, plain) in [
            ("1.10", true),
            ("-0.5", true),
            ("3000", true),
            ("1e3", true),
            ("2.5E-3", true),
            ("0x1F", false),
            ("+1", false),
            ("007", false),
            ("1_000", false),
            (".5", false),
            ("1.", false),
        ] {
            assert_eq!(is_plain_decimal(text), plain, "{text}");
        }
    }

    #[test]
    fn unrepresentable_values_are_recognised() {
        let doc: Doc = serde_json::from_str(&format!(
            r#"{{"{}": "undefined"}}"#,
            "\\u0000ecosystemd-unrepresentable"
        ))
        .expect("valid JSON");
        assert_eq!(doc.unrepresentable(), Some("undefined"));
        assert_eq!(Doc::Str("x".into()).unrepresentable(), None);
    }
}
