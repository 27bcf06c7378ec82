//! The fleet the rendering benchmarks render: 10,000 agents (or any number), as a parsed
//! ecosystem and as an ecosystem file. Shared by `render.rs` (criterion, time) and
//! `render_instructions.rs` (instruction counts under callgrind).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use ecosystemd::diagnostic::Location;
use ecosystemd::ecosystem::{App, Command, Ecosystem, LogSettings, RestartPolicy, Settings};

/// One agent of the fleet, as the planner receives it.
fn agent(index: usize) -> App {
    let name = format!("agent {index}/{}", ["email", "prices", "sms"][index % 3]);
    let mut env = BTreeMap::new();
    env.insert("PORT".to_string(), (10_000 + index).to_string());
    env.insert("AGENT_NAME".to_string(), name.clone());
    env.insert("PRICE_FORMAT".to_string(), "$%.2f \"USD\"".to_string());
    App {
        location: Location::new(index + 1, 5),
        env,
        port: Some((10_000 + index) as u16),
        max_memory: Some(128 << 20),
        restart: RestartPolicy {
            stop_exit_codes: vec![0],
            delay: Some(Duration::from_millis(3000)),
            max_restarts: 10,
            ..RestartPolicy::default()
        },
        cron_restart: index
            .is_multiple_of(50)
            .then(|| ("0 3 * * *".to_string(), Location::new(1, 1))),
        ..App::new(
            name,
            Command {
                program: "/usr/bin/node".into(),
                args: vec![
                    "--max-old-space-size=128".into(),
                    "/srv/agents/agent.js".into(),
                    "--label=50% off".into(),
                ],
                script: None,
            },
            PathBuf::from("/srv/agents"),
        )
    }
}

/// The same kind of fleet as an ecosystem file, for the parser.
pub fn ecosystem_yaml(count: usize) -> String {
    let mut text = String::from("group: agents\nmemory_budget: 2T\napps:\n");
    for index in 0..count {
        let name = format!("agent {index}/{}", ["email", "prices", "sms"][index % 3]);
        text.push_str(&format!(
            "  - name: \"{name}\"\n    script: /srv/agents/agent.js\n    \
             node_args: --max-old-space-size=128\n    args: \"--label=50% off\"\n    \
             max_memory_restart: 128M\n    restart_delay: 3000\n    max_restarts: 10\n    \
             stop_exit_codes: [0]\n    env:\n      PORT: {}\n      \
             PRICE_FORMAT: '$%.2f \"USD\"'\n",
            10_000 + index
        ));
    }
    text
}

/// `count` agents, as the parser would hand them to the planner.
pub fn ecosystem(count: usize) -> Ecosystem {
    Ecosystem {
        source: PathBuf::from("/srv/agents/ecosystem.yaml"),
        base_dir: PathBuf::from("/srv/agents"),
        settings: Settings {
            group: "agents".into(),
            prefix: "agents-".into(),
            target: "agents".into(),
            slice: "agents".into(),
            memory_budget: Some(2 << 40),
            logs: LogSettings::default(),
        },
        apps: (0..count).map(agent).collect(),
        warnings: Vec::new(),
    }
}
