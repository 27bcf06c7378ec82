//! The fleet's host and group names, from the user's Ansible inventory as Ansible
//! itself prints it.
//!
//! Inventories are INI or YAML files with host patterns (`web[01:20]`), nested groups
//! and variables, or dynamic sources (cloud plugins, scripts). Rather than read those
//! formats a second time, and differently, gen-units reads the JSON Ansible prints for
//! any of them: `ansible-inventory -i INVENTORY --list` (`{"web": {"hosts": [...],
//! "children": [...]}, "_meta": ...}`), or the `groups` variable of a play
//! (`{"all": [...], "web": [...]}`), which is what the Ansible role passes.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde_json::Value;

use crate::diagnostic::{Diagnostic, Location};

/// Every host of the fleet and every group with the hosts it holds (its children's
/// included).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Inventory {
    /// Every host name.
    pub hosts: BTreeSet<String>,
    /// Each group with all its hosts.
    pub groups: BTreeMap<String, BTreeSet<String>>,
}

/// A group as written: its own hosts and its child groups.
#[derive(Default)]
struct Written {
    hosts: Vec<String>,
    children: Vec<String>,
}

impl Inventory {
    /// Reads the JSON at `path` (see the module documentation).
    pub fn load(path: &Path) -> Result<Self, Diagnostic> {
        let text = std::fs::read_to_string(path).map_err(|error| {
            Diagnostic::error(path, None, format!("cannot read the inventory: {error}"))
        })?;
        Self::parse(&text, path)
    }

    /// Reads inventory JSON `text`; `path` names it in diagnostics.
    pub fn parse(text: &str, path: &Path) -> Result<Self, Diagnostic> {
        let hint = "write it with `ansible-inventory -i INVENTORY --list > inventory.json`";
        let value: Value = serde_json::from_str(text).map_err(|error| {
            Diagnostic::error(
                path,
                Some(Location::new(error.line(), error.column())),
                format!("the inventory is not JSON: {error}"),
            )
            .with_hint(hint)
        })?;
        let Value::Object(top) = value else {
            return Err(
                Diagnostic::error(path, None, "the inventory is not a mapping of groups")
                    .with_hint(hint),
            );
        };
        let mut written = BTreeMap::new();
        let mut hosts = BTreeSet::new();
        for (name, group) in &top {
            if name == "_meta" {
                let vars = group.get("hostvars").and_then(Value::as_object);
                hosts.extend(vars.into_iter().flat_map(|v| v.keys().cloned()));
                continue;
            }
            let group = read_group(group).ok_or_else(|| {
                Diagnostic::error(
                    path,
                    None,
                    format!("inventory group `{name}`: expected a list of hosts, or `hosts` and `children` lists"),
                )
                .with_hint(hint)
            })?;
            hosts.extend(group.hosts.iter().cloned());
            written.insert(name.clone(), group);
        }
        let groups = written
            .keys()
            .map(|name| (name.clone(), members(&written, name)))
            .collect();
        Ok(Self { hosts, groups })
    }

    /// Whether `name` is a host or a group of the inventory.
    pub fn knows(&self, name: &str) -> bool {
        self.hosts.contains(name) || self.groups.contains_key(name)
    }

    /// The groups `host` belongs to, directly or through a child group.
    pub fn groups_of(&self, host: &str) -> Vec<String> {
        self.groups
            .iter()
            .filter(|(_, hosts)| hosts.contains(host))
            .map(|(name, _)| name.clone())
            .collect()
    }

    /// The hosts a host or group name stands for.
    pub fn hosts_of(&self, name: &str) -> BTreeSet<String> {
        match self.groups.get(name) {
            Some(hosts) => hosts.clone(),
            None if self.hosts.contains(name) => BTreeSet::from([name.to_owned()]),
            None => BTreeSet::new(),
        }
    }

    /// Every host and group name.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.hosts
            .iter()
            .chain(self.groups.keys())
            .map(String::as_str)
    }
}

/// A group as `ansible-inventory --list` writes it (`{"hosts": [...], "children":
/// [...]}`), or as the `groups` variable holds it (a list of hosts).
fn read_group(value: &Value) -> Option<Written> {
    let names = |value: Option<&Value>| -> Option<Vec<String>> {
        match value {
            None | Some(Value::Null) => Some(Vec::new()),
            Some(Value::Array(items)) => items
                .iter()
                .map(|i| i.as_str().map(str::to_owned))
                .collect(),
            // `hosts` as a mapping of host to variables (the YAML inventory's shape).
            Some(Value::Object(map)) => Some(map.keys().cloned().collect()),
            Some(_) => None,
        }
    };
    match value {
        Value::Array(_) => Some(Written {
            hosts: names(Some(value))?,
            children: Vec::new(),
        }),
        Value::Object(group) => Some(Written {
            hosts: names(group.get("hosts"))?,
            children: names(group.get("children"))?,
        }),
        _ => None,
    }
}

/// Every host of group `name`, through its children (a cycle is followed once).
fn members(written: &BTreeMap<String, Written>, name: &str) -> BTreeSet<String> {
    let mut hosts = BTreeSet::new();
    let mut seen = BTreeSet::new();
    let mut todo = vec![name.to_owned()];
    while let Some(group) = todo.pop() {
        if !seen.insert(group.clone()) {
            continue;
        }
        if let Some(group) = written.get(&group) {
            hosts.extend(group.hosts.iter().cloned());
            todo.extend(group.children.iter().cloned());
        }
    }
    hosts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Inventory {
        Inventory::parse(text, Path::new("inventory.json")).unwrap()
    }

    #[test]
    fn ansible_inventory_list_output_with_nested_groups() {
        let inventory = parse(
            r#"{"_meta": {"hostvars": {"db1": {"x": 1}}},
                "all": {"children": ["ungrouped", "eu"]},
                "eu": {"children": ["web"], "hosts": ["db1"]},
                "web": {"hosts": ["web1", "web2"]},
                "ungrouped": {}}"#,
        );
        assert_eq!(
            inventory.hosts_of("eu").into_iter().collect::<Vec<_>>(),
            ["db1", "web1", "web2"]
        );
        assert_eq!(inventory.hosts_of("all").len(), 3);
        assert_eq!(inventory.groups_of("web2"), ["all", "eu", "web"]);
        assert!(inventory.knows("db1") && inventory.knows("ungrouped"));
        assert!(!inventory.knows("web3"));
        assert_eq!(inventory.hosts_of("web1").len(), 1);
    }

    #[test]
    fn the_groups_variable_of_a_play() {
        let inventory = parse(r#"{"all": ["a", "b"], "ungrouped": [], "web": ["b"]}"#);
        assert_eq!(inventory.groups_of("b"), ["all", "web"]);
        assert_eq!(inventory.hosts.len(), 2);
    }

    #[test]
    fn a_cycle_of_children_ends() {
        let inventory = parse(
            r#"{"a": {"children": ["b"], "hosts": ["h1"]}, "b": {"children": ["a"], "hosts": ["h2"]}}"#,
        );
        assert_eq!(inventory.hosts_of("b").len(), 2);
    }

    #[test]
    fn bad_json_is_located_and_a_bad_group_named() {
        let error = Inventory::parse("{\n  \"web\": [1,", Path::new("i.json")).unwrap_err();
        assert_eq!(error.location.map(|l| l.line), Some(2));
        let error = Inventory::parse(r#"{"web": 3}"#, Path::new("i.json")).unwrap_err();
        assert!(error.message.contains("`web`"), "{}", error.message);
    }
}
