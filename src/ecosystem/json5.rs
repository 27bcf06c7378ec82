//! JSON files. Strict JSON is valid YAML, so it goes through the YAML reader; the
//! lenient JSON5 syntax PM2 accepts (comments, unquoted keys, trailing commas) is
//! not read yet.

use std::path::Path;

use super::node::Node;
use crate::diagnostic::Diagnostic;

/// Reads one JSON document.
pub fn read(text: &str, file: &Path) -> Result<Node, Diagnostic> {
    super::yaml::read(text, file)
}
