//! Repeated app names. PM2 starts every app of a file, two with the same name too
//! (they share the name in `pm2 list`); units need distinct names, so a repeated name
//! gets a number, by file order: the second `api` becomes `api-2`, the third `api-3`.

use std::collections::{HashMap, HashSet};

use super::node::{Node, Value, shown};
use super::reader::Reader;
use crate::diagnostic::Location;

/// The name each app entry runs under: its declared name (`None` when it has none),
/// or for a repeat of an earlier entry's name, the first free `NAME-N` (N from 2,
/// skipping names the file gives to other apps), with a warning for each.
pub fn make_unique(
    reader: &mut Reader<'_>,
    nodes: &[&Node],
    declared: &[Option<String>],
) -> Vec<Option<String>> {
    let taken: HashSet<&str> = declared.iter().flatten().map(String::as_str).collect();
    let mut fresh: Vec<String> = Vec::new();
    let mut first: HashMap<&str, Location> = HashMap::new();
    let mut unique = Vec::with_capacity(declared.len());
    for (node, name) in nodes.iter().zip(declared) {
        let Some(name) = name else {
            unique.push(None);
            continue;
        };
        let at = name_location(node);
        let Some(first_at) = first.get(name.as_str()).copied() else {
            first.insert(name, at);
            unique.push(Some(name.clone()));
            continue;
        };
        let renamed = next_free(name, |candidate| {
            taken.contains(candidate) || fresh.iter().any(|f| f == candidate)
        });
        reader.warn(
            at,
            format!(
                "app name `{}` is used again (first at line {}, column {}): PM2 starts both under one name; this one becomes `{}`",
                shown(name),
                first_at.line,
                first_at.column,
                shown(&renamed)
            ),
            Some("give each app its own `name`: it becomes its unit's name".to_owned()),
        );
        fresh.push(renamed.clone());
        unique.push(Some(renamed));
    }
    unique
}

/// Where an app entry's name is written (the entry itself when it has no `name`).
fn name_location(node: &Node) -> Location {
    match &node.value {
        Value::Map(entries) => entries
            .iter()
            .rev()
            .find(|entry| entry.key == "name")
            .map_or(node.at, |entry| entry.value.at),
        _ => node.at,
    }
}

/// `name-2`, `name-3`, ...: the first that is not `taken`.
fn next_free(name: &str, taken: impl Fn(&str) -> bool) -> String {
    let mut n = 2u64;
    loop {
        let candidate = format!("{name}-{n}");
        if !taken(&candidate) {
            return candidate;
        }
        n += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeats_take_the_next_free_number() {
        let taken = ["api", "api-2"];
        assert_eq!(next_free("api", |c| taken.contains(&c)), "api-3");
        assert_eq!(next_free("web", |c| taken.contains(&c)), "web-2");
    }
}
