//! The group's `.target` (wants every agent, timer and path unit, so one
//! `systemctl start agents.target` starts the fleet) and `.slice` (holds every agent;
//! its `MemoryMax=` is the group's memory budget).

use crate::bundle::Scope;
use crate::diagnostic::Diagnostic;
use crate::ecosystem::Ecosystem;

use super::{PlanOptions, Section, Unit, Value, absolute_source, names};

/// Refuses group, target, slice and prefix names that cannot form unit names.
pub fn check_names(ecosystem: &Ecosystem, errors: &mut Vec<Diagnostic>) {
    let settings = &ecosystem.settings;
    let checks = [
        format!("{}.target", settings.target),
        format!("{}.slice", settings.slice),
        format!("{}x.service", settings.prefix),
    ];
    for unit in checks {
        if let Err(message) = names::check_unit_name(&unit) {
            errors.push(Diagnostic::error(&ecosystem.source, None, message));
        }
    }
    let group = &settings.group;
    if group.is_empty() || group.chars().any(|c| c.is_whitespace() || c.is_control()) {
        errors.push(Diagnostic::error(
            &ecosystem.source,
            None,
            format!("the group name {group:?} must be one word"),
        ));
    }
}

/// The group's target, wanting `units`.
pub fn target(ecosystem: &Ecosystem, units: &[String], options: &PlanOptions) -> Unit {
    let settings = &ecosystem.settings;
    let mut unit = Section::new("Unit");
    unit.push(
        "Description",
        Value::Text(format!("Agents of the {} ecosystem", settings.group)),
    );
    unit.push("SourcePath", Value::Path(absolute_source(ecosystem)));
    for name in units {
        unit.plain("Wants", name.clone());
    }
    let mut install = Section::new("Install");
    install.plain(
        "WantedBy",
        match options.scope {
            Scope::System => "multi-user.target",
            Scope::User => "default.target",
        },
    );
    Unit {
        name: format!("{}.target", settings.target),
        origin: None,
        notes: Vec::new(),
        sections: vec![unit, install],
    }
}

/// The group's slice, with the memory budget if one is set.
pub fn slice(ecosystem: &Ecosystem) -> Unit {
    let settings = &ecosystem.settings;
    let mut unit = Section::new("Unit");
    unit.push(
        "Description",
        Value::Text(format!("Slice of the {} ecosystem", settings.group)),
    );
    unit.push("SourcePath", Value::Path(absolute_source(ecosystem)));
    let mut slice = Section::new("Slice");
    if let Some(budget) = settings.memory_budget {
        slice.plain("MemoryMax", budget.to_string());
    }
    let mut sections = vec![unit];
    if !slice.directives.is_empty() {
        sections.push(slice);
    }
    Unit {
        name: format!("{}.slice", settings.slice),
        origin: None,
        notes: Vec::new(),
        sections,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::testing::ecosystem;

    #[test]
    fn target_wants_everything_and_installs_per_scope() {
        let eco = ecosystem(vec![]);
        let units = ["agents-a.service".to_string(), "agents-a-cron.timer".into()];
        let target = target(&eco, &units, &PlanOptions::default());
        assert_eq!(target.name, "agents.target");
        let wants: Vec<String> = target.sections[0]
            .directives
            .iter()
            .filter(|d| d.key == "Wants")
            .map(|d| d.value.display())
            .collect();
        assert_eq!(wants, units);
        assert_eq!(
            target.value("Install", "WantedBy").as_deref(),
            Some("multi-user.target")
        );
        let user = PlanOptions {
            scope: Scope::User,
            ..PlanOptions::default()
        };
        let target = super::target(&eco, &units, &user);
        assert_eq!(
            target.value("Install", "WantedBy").as_deref(),
            Some("default.target")
        );
    }

    #[test]
    fn slice_carries_the_memory_budget() {
        let mut eco = ecosystem(vec![]);
        assert!(slice(&eco).section("Slice").is_none());
        eco.settings.memory_budget = Some(8 << 30);
        assert_eq!(
            slice(&eco).value("Slice", "MemoryMax").as_deref(),
            Some("8589934592")
        );
    }

    #[test]
    fn bad_group_names_are_refused() {
        let mut eco = ecosystem(vec![]);
        eco.settings.slice = "my slice".into();
        eco.settings.group = "a b".into();
        let mut errors = Vec::new();
        check_names(&eco, &mut errors);
        assert_eq!(errors.len(), 2);
    }
}
