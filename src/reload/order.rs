//! Which units a reload restarts, and in what order: app by app (by name), each app's
//! instances by their number (`-0`, `-1`, ..., `-10`), as PM2 reloads its workers.

/// A service of the group as systemd lists it, with the app its unit file names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// The unit's name, such as `agents-api-2.service`.
    pub unit: String,
    /// The app (`App=` of its `[X-Ecosystemd]` section).
    pub app: String,
    /// Its `ActiveState` when listed.
    pub active_state: String,
}

/// The members to reload: those of `app` when given (else all), in reload order.
pub fn plan(mut members: Vec<Member>, app: Option<&str>) -> Vec<Member> {
    members.retain(|member| app.is_none_or(|app| member.app == app));
    members.sort_by(|a, b| {
        (&a.app, instance_number(&a.unit), &a.unit).cmp(&(
            &b.app,
            instance_number(&b.unit),
            &b.unit,
        ))
    });
    members
}

/// The apps among `members`, sorted, each once (to name them when an app is not found).
pub fn apps(members: &[Member]) -> Vec<String> {
    let mut apps: Vec<String> = members.iter().map(|m| m.app.clone()).collect();
    apps.sort();
    apps.dedup();
    apps
}

/// The cluster instance number at the end of a unit name (`2` for `agents-api-2.service`);
/// `None` for a unit without one.
fn instance_number(unit: &str) -> Option<u32> {
    let stem = unit.strip_suffix(".service").unwrap_or(unit);
    let (_, last) = stem.rsplit_once('-')?;
    last.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(unit: &str, app: &str) -> Member {
        Member {
            unit: unit.into(),
            app: app.into(),
            active_state: "active".into(),
        }
    }

    fn units(members: &[Member]) -> Vec<&str> {
        members.iter().map(|m| m.unit.as_str()).collect()
    }

    #[test]
    fn instances_go_by_number_not_by_text() {
        let members = ["g-api-10", "g-api-2", "g-api-0", "g-api-1"]
            .map(|stem| member(&format!("{stem}.service"), "api"))
            .to_vec();
        assert_eq!(
            units(&plan(members, Some("api"))),
            [
                "g-api-0.service",
                "g-api-1.service",
                "g-api-2.service",
                "g-api-10.service"
            ]
        );
    }

    #[test]
    fn the_whole_group_goes_app_by_app() {
        let members = vec![
            member("g-web-1.service", "web"),
            member("g-api.service", "api"),
            member("g-web-0.service", "web"),
            member("g-api-v2.service", "api-v2"),
        ];
        assert_eq!(
            units(&plan(members.clone(), None)),
            [
                "g-api.service",
                "g-api-v2.service",
                "g-web-0.service",
                "g-web-1.service"
            ]
        );
        assert_eq!(
            units(&plan(members.clone(), Some("api"))),
            ["g-api.service"]
        );
        assert!(plan(members.clone(), Some("nope")).is_empty());
        assert_eq!(apps(&members), ["api", "api-v2", "web"]);
    }
}
