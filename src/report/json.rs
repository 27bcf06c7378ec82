//! `--format json`: the report as one JSON document (schema in the README; its version
//! is [`super::model::SCHEMA_VERSION`]).

use super::model::Report;

/// The report as pretty-printed JSON, ending with a newline.
pub fn render(report: &Report) -> String {
    // Serialising plain structs of strings and numbers cannot fail.
    let mut text = serde_json::to_string_pretty(report).unwrap_or_default();
    text.push('\n');
    text
}
