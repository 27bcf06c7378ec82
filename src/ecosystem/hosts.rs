//! Placement on more than one host: `hosts:` per app and as the file's default, and
//! the choice of one host's apps (`gen-units --host NAME`).
//!
//! Names are those of the user's Ansible inventory, hosts and groups alike: the
//! inventory stays the one list of hosts. An app without `hosts:` runs everywhere.
//! Selecting keeps the apps placed on one host, so everything planned afterwards
//! (ports, instances, the memory budget, lints) is that host's alone. With the
//! inventory ([`Inventory`]), names it does not hold and apps placed on no host are
//! errors, whichever host is rendered.

use std::collections::BTreeSet;

use super::inventory::Inventory;
use super::model::{App, Ecosystem, Placement};
use super::node::{Entry, Node, shown};
use super::reader::Reader;
use crate::diagnostic::{Diagnostic, Rejected};

/// Which host's bundle to render.
#[derive(Debug, Clone, Default)]
pub struct HostSelection {
    /// The host's name in the inventory (`--host`).
    pub host: String,
    /// Groups the host belongs to (`--host-group`), beside those the inventory says.
    pub groups: Vec<String>,
    /// The fleet's hosts and groups (`--inventory`), when known.
    pub inventory: Option<Inventory>,
}

/// Reads a `hosts:` value: one name, or a list of names.
pub(super) fn read(reader: &mut Reader<'_>, node: &Node) -> Option<Placement> {
    let written = reader.string_list(node, "hosts")?;
    if written.is_empty() {
        reader.error_hint(
            node.at,
            "`hosts` is empty: the app would run on no host",
            "name hosts or inventory groups, or remove `hosts` to run it on every host",
        );
        return None;
    }
    let mut names: Vec<String> = Vec::with_capacity(written.len());
    for name in written {
        let name = name.trim().to_owned();
        if name.is_empty() {
            reader.error(node.at, "`hosts`: a name is empty");
            return None;
        }
        if !names.contains(&name) {
            names.push(name);
        }
    }
    Some(Placement { names, at: node.at })
}

/// The top-level `hosts:` (the default of every app), if written.
pub(super) fn read_default(reader: &mut Reader<'_>, top: &[&Entry]) -> Option<Placement> {
    let entry = top.iter().find(|e| e.key == "hosts")?;
    read(reader, &entry.value)
}

/// An app's placement: its own `hosts:` if written, else the file's default.
pub(super) fn for_app(
    reader: &mut Reader<'_>,
    node: Option<&Node>,
    default: Option<&Placement>,
) -> Option<Placement> {
    match node {
        Some(node) => read(reader, node),
        None => default.cloned(),
    }
}

/// The apps of `ecosystem` for `selection`'s host; without a selection, every app
/// (with one warning when some are placed). Refused: a host or group, or a `hosts:`
/// name, the inventory does not hold; an app placed on no host; a `depends_on` on an
/// app of another host.
pub fn place(
    mut ecosystem: Ecosystem,
    selection: Option<&HostSelection>,
) -> Result<Ecosystem, Rejected> {
    let Some(selection) = selection else {
        if let Some(placement) = ecosystem.apps.iter().find_map(|app| app.hosts.as_ref()) {
            let warning = Diagnostic::warning(
                &ecosystem.source,
                Some(placement.at),
                "`hosts:` places apps on hosts, but no host was chosen: every app is rendered",
            )
            .with_hint("render one host's apps with --host NAME --inventory FILE");
            ecosystem.warnings.push(warning);
        }
        return Ok(ecosystem);
    };
    let mut errors = match &selection.inventory {
        Some(inventory) => check_selection(&ecosystem, selection, inventory),
        None => Vec::new(),
    };
    let names = selection_names(selection);
    let (kept, others): (Vec<App>, Vec<App>) = std::mem::take(&mut ecosystem.apps)
        .into_iter()
        .partition(|app| placed_on(app, &names));
    errors.extend(cross_host_dependencies(
        &ecosystem,
        &kept,
        &others,
        &selection.host,
    ));
    if !errors.is_empty() {
        return Err(Rejected(errors));
    }
    if kept.is_empty() {
        ecosystem.warnings.push(
            Diagnostic::warning(
                &ecosystem.source,
                None,
                format!("no app is placed on host `{}`", shown(&selection.host)),
            )
            .with_hint("the bundle holds the group's target and slice only; installing it removes the group's apps from this host"),
        );
    }
    keep_warnings_of(&mut ecosystem.warnings, &kept);
    ecosystem.apps = kept;
    Ok(ecosystem)
}

/// Warnings about apps name only the `kept` ones; those about none of them go.
fn keep_warnings_of(warnings: &mut Vec<Diagnostic>, kept: &[App]) {
    warnings.retain_mut(|warning| {
        if warning.apps.is_empty() {
            return true;
        }
        let apps = std::mem::take(&mut warning.apps).into_vec();
        warning.apps = apps
            .into_iter()
            .filter(|name| kept.iter().any(|app| &app.name == name))
            .collect();
        !warning.apps.is_empty()
    });
}

/// Whether `app` runs on a host known by `names` (its name and its groups).
pub fn placed_on(app: &App, names: &BTreeSet<&str>) -> bool {
    app.hosts
        .as_ref()
        .is_none_or(|placement| placement.names.iter().any(|n| names.contains(n.as_str())))
}

/// The names that place an app on the selected host: the host, the groups given and
/// the inventory's groups of the host.
fn selection_names(selection: &HostSelection) -> BTreeSet<&str> {
    let mut names: BTreeSet<&str> = BTreeSet::from([selection.host.as_str()]);
    names.extend(selection.groups.iter().map(String::as_str));
    if let Some(inventory) = &selection.inventory {
        names.extend(
            inventory
                .groups
                .iter()
                .filter(|(_, hosts)| hosts.contains(&selection.host))
                .map(|(group, _)| group.as_str()),
        );
    }
    names
}

/// The selected host and groups must be the inventory's, and so must every placement.
fn check_selection(
    ecosystem: &Ecosystem,
    selection: &HostSelection,
    inventory: &Inventory,
) -> Vec<Diagnostic> {
    let mut errors = Vec::new();
    if !inventory.hosts.contains(&selection.host) {
        errors.push(unknown(
            ecosystem,
            None,
            format!(
                "--host {}: the inventory holds no such host",
                shown(&selection.host)
            ),
            &selection.host,
            inventory.hosts.iter().map(String::as_str),
        ));
    }
    for group in &selection.groups {
        if !inventory.groups.contains_key(group) {
            errors.push(unknown(
                ecosystem,
                None,
                format!(
                    "--host-group {}: the inventory holds no such group",
                    shown(group)
                ),
                group,
                inventory.groups.keys().map(String::as_str),
            ));
        }
    }
    errors.extend(check_placement(ecosystem, inventory));
    errors
}

/// Every `hosts:` name must be a host or group of `inventory`, and every placed app
/// must land on at least one host.
pub fn check_placement(ecosystem: &Ecosystem, inventory: &Inventory) -> Vec<Diagnostic> {
    let mut errors = Vec::new();
    for app in &ecosystem.apps {
        let Some(placement) = &app.hosts else {
            continue;
        };
        let mut lands = false;
        for name in &placement.names {
            if inventory.knows(name) {
                lands |= !inventory.hosts_of(name).is_empty();
            } else {
                let message = format!(
                    "`hosts`: the inventory holds no host or group named `{}`",
                    shown(name)
                );
                errors.push(
                    unknown(ecosystem, Some(placement), message, name, inventory.names())
                        .for_app(app.name.clone()),
                );
            }
        }
        if !lands && placement.names.iter().all(|n| inventory.knows(n)) {
            errors.push(
                Diagnostic::error(
                    &ecosystem.source,
                    Some(placement.at),
                    format!(
                        "app `{}` is placed on no host: {} hold no host in the inventory",
                        shown(&app.name),
                        placement.names.join(", ")
                    ),
                )
                .with_hint("add hosts to the group in the inventory, or name other hosts")
                .for_app(app.name.clone()),
            );
        }
    }
    errors
}

/// An error about an unknown name, with the closest known one as a hint.
fn unknown<'a>(
    ecosystem: &Ecosystem,
    placement: Option<&Placement>,
    message: String,
    name: &str,
    known: impl Iterator<Item = &'a str>,
) -> Diagnostic {
    let known: Vec<&str> = known.collect();
    let hint = match super::suggest::closest(name, known.iter().copied()) {
        Some(near) => format!("did you mean `{near}`?"),
        None => format!("the inventory's names are: {}", known.join(", ")),
    };
    Diagnostic::error(&ecosystem.source, placement.map(|p| p.at), message).with_hint(hint)
}

/// A kept app may depend only on apps kept with it: systemd cannot order or start a
/// unit of another host.
fn cross_host_dependencies(
    ecosystem: &Ecosystem,
    kept: &[App],
    others: &[App],
    host: &str,
) -> Vec<Diagnostic> {
    let mut errors = Vec::new();
    for app in kept {
        for dependency in &app.systemd.depends_on {
            if others.iter().any(|other| &other.name == dependency) {
                errors.push(
                    Diagnostic::error(
                        &ecosystem.source,
                        Some(app.location),
                        format!(
                            "`depends_on`: `{}` is not placed on host `{}`, where `{}` runs",
                            shown(dependency),
                            shown(host),
                            shown(&app.name)
                        ),
                    )
                    .with_hint(format!(
                        "place `{}` on this host too, or remove the dependency",
                        shown(dependency)
                    ))
                    .for_app(app.name.clone()),
                );
            }
        }
    }
    errors
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use super::*;
    use crate::diagnostic::Location;
    use crate::ecosystem::{LoadOptions, Lookups, parse};

    const FLEET: &str = "
group: shop
hosts: [web]
apps:
  - name: api
    script: /srv/api.js
  - name: worker
    script: /srv/worker.js
    hosts: [h3]
  - name: cron
    script: /srv/cron.js
    hosts: h2
";

    fn ecosystem(text: &str) -> Ecosystem {
        let options = LoadOptions {
            lookups: Lookups::Portable,
            ..LoadOptions::default()
        };
        parse(text, Path::new("/srv/fleet.yaml"), &options).unwrap()
    }

    fn inventory() -> Inventory {
        Inventory::parse(
            r#"{"all": ["h1", "h2", "h3"], "web": ["h1", "h2"], "empty": []}"#,
            Path::new("inventory.json"),
        )
        .unwrap()
    }

    fn names_for(text: &str, selection: &HostSelection) -> Result<Vec<String>, Vec<String>> {
        match place(ecosystem(text), Some(selection)) {
            Ok(placed) => Ok(placed.apps.into_iter().map(|a| a.name).collect()),
            Err(Rejected(errors)) => Err(errors.into_iter().map(|e| e.message).collect()),
        }
    }

    fn host(name: &str, inventory: Option<Inventory>) -> HostSelection {
        HostSelection {
            host: name.into(),
            groups: Vec::new(),
            inventory,
        }
    }

    #[test]
    fn each_host_keeps_the_apps_placed_on_it_or_its_groups() {
        let bundle = |name| names_for(FLEET, &host(name, Some(inventory()))).unwrap();
        assert_eq!(bundle("h1"), ["api"]);
        assert_eq!(bundle("h2"), ["api", "cron"]);
        assert_eq!(bundle("h3"), ["worker"]);
    }

    #[test]
    fn warnings_about_apps_name_the_hosts_own_only() {
        let placed = place(ecosystem(FLEET), Some(&host("h3", Some(inventory())))).unwrap();
        let about_apps: Vec<&[String]> = placed
            .warnings
            .iter()
            .filter(|w| !w.apps.is_empty())
            .map(|w| &*w.apps)
            .collect();
        assert!(!about_apps.is_empty());
        assert!(
            about_apps.iter().all(|apps| apps == &["worker"]),
            "{about_apps:?}"
        );
    }

    #[test]
    fn without_an_inventory_the_given_groups_place_apps() {
        let mut selection = host("h3", None);
        assert_eq!(names_for(FLEET, &selection).unwrap(), ["worker"]);
        selection.groups = vec!["web".into()];
        assert_eq!(names_for(FLEET, &selection).unwrap(), ["api", "worker"]);
    }

    #[test]
    fn an_app_without_hosts_runs_everywhere() {
        let text = "apps:\n  - name: a\n    script: /srv/a.js\n  - name: b\n    script: /srv/b.js\n    hosts: [h2]\n";
        assert_eq!(
            names_for(text, &host("h1", Some(inventory()))).unwrap(),
            ["a"]
        );
    }

    #[test]
    fn unknown_names_and_apps_placed_nowhere_are_errors_on_every_host() {
        let text = "apps:\n  - name: a\n    script: /srv/a.js\n    hosts: [h1, web2]\n  - name: b\n    script: /srv/b.js\n    hosts: [empty]\n";
        let errors = names_for(text, &host("h1", Some(inventory()))).unwrap_err();
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert!(
            errors[0].contains("no host or group named `web2`"),
            "{errors:?}"
        );
        assert!(
            errors[1].contains("app `b` is placed on no host"),
            "{errors:?}"
        );
        let unknown_host = names_for(FLEET, &host("h9", Some(inventory()))).unwrap_err();
        assert!(unknown_host[0].contains("--host h9"), "{unknown_host:?}");
    }

    #[test]
    fn unknown_names_are_located_with_a_suggestion() {
        let text = "apps:\n  - name: a\n    script: /srv/a.js\n    hosts: [webb]\n";
        let Err(Rejected(errors)) = place(ecosystem(text), Some(&host("h1", Some(inventory()))))
        else {
            panic!("accepted");
        };
        assert_eq!(errors[0].location, Some(Location::new(4, 12)));
        assert_eq!(errors[0].hint.as_deref(), Some("did you mean `web`?"));
    }

    #[test]
    fn a_dependency_on_another_hosts_app_is_refused() {
        let text = "apps:\n  - name: a\n    script: /srv/a.js\n    hosts: [h1]\n    systemd: {depends_on: [b]}\n  - name: b\n    script: /srv/b.js\n    hosts: [h2]\n";
        let errors = names_for(text, &host("h1", Some(inventory()))).unwrap_err();
        assert!(
            errors[0].contains("`b` is not placed on host `h1`"),
            "{errors:?}"
        );
        assert_eq!(
            names_for(text, &host("h2", Some(inventory()))).unwrap(),
            ["b"]
        );
    }

    #[test]
    fn without_a_host_every_app_is_kept_with_one_warning() {
        let placed = place(ecosystem(FLEET), None).unwrap();
        assert_eq!(placed.apps.len(), 3);
        let warnings: Vec<_> = placed
            .warnings
            .iter()
            .filter(|w| w.message.contains("no host was chosen"))
            .collect();
        assert_eq!(warnings.len(), 1);
        let plain = place(ecosystem("apps:\n  - script: /srv/a.js\n"), None).unwrap();
        assert!(plain.warnings.iter().all(|w| !w.message.contains("hosts")));
    }

    #[test]
    fn an_empty_list_or_name_is_refused_and_repeats_are_dropped() {
        let options = LoadOptions {
            lookups: Lookups::Portable,
            ..LoadOptions::default()
        };
        let path = PathBuf::from("/srv/f.yaml");
        let empty = parse(
            "apps:\n  - script: /srv/a.js\n    hosts: []\n",
            &path,
            &options,
        );
        assert!(empty.is_err());
        let blank = parse(
            "apps:\n  - script: /srv/a.js\n    hosts: ['', h1]\n",
            &path,
            &options,
        );
        assert!(blank.is_err());
        let twice = ecosystem("apps:\n  - script: /srv/a.js\n    hosts: [h1, h1, web]\n");
        assert_eq!(
            twice.apps[0].hosts.as_ref().map(|p| p.names.clone()),
            Some(vec!["h1".to_owned(), "web".to_owned()])
        );
    }

    #[test]
    fn a_host_with_no_app_gets_a_warning() {
        let text = "apps:\n  - script: /srv/a.js\n    hosts: [h1]\n";
        let placed = place(ecosystem(text), Some(&host("h2", Some(inventory())))).unwrap();
        assert!(placed.apps.is_empty());
        assert!(
            placed
                .warnings
                .iter()
                .any(|w| w.message == "no app is placed on host `h2`")
        );
    }
}
