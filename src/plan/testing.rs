//! Ecosystems built in Rust for the planner's unit tests.

use std::path::PathBuf;

use crate::diagnostic::Location;
use crate::ecosystem::{App, Command, Ecosystem, LogSettings, Settings};

/// An app with PM2's defaults, running `node /srv/agents/<name>.js`.
pub fn app(name: &str) -> App {
    let script = format!("/srv/agents/{name}.js");
    App {
        location: Location::new(3, 5),
        ..App::new(
            name,
            Command {
                program: "/usr/bin/node".into(),
                args: vec![script.clone()],
                script: Some(PathBuf::from(script)),
            },
            PathBuf::from("/srv/agents"),
        )
    }
}

/// An ecosystem `agents` at `/srv/agents/ecosystem.yaml` holding `apps`.
pub fn ecosystem(apps: Vec<App>) -> Ecosystem {
    Ecosystem {
        source: PathBuf::from("/srv/agents/ecosystem.yaml"),
        base_dir: PathBuf::from("/srv/agents"),
        settings: Settings {
            group: "agents".into(),
            prefix: "agents-".into(),
            target: "agents".into(),
            slice: "agents".into(),
            memory_budget: None,
            logs: LogSettings::default(),
        },
        apps,
        warnings: Vec::new(),
    }
}
