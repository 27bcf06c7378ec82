//! Where an app's script and working folder are, and with which programs it runs:
//! relative paths tried against each base folder (see [`super::project`]; a command
//! without a script file runs from the last, the project root), bare program names
//! through the app user's search path (see [`super::host`]).
//!
//! Under [`Lookups::Host`] a script found nowhere, or a program not found, is an
//! error naming every place looked at; under the library's default it is a warning;
//! under [`Lookups::Portable`] nothing is checked.

use std::path::{Path, PathBuf};

use super::command::{self, CommandSpec, Interpreter, Resolved};
use super::host::{Access, Lookups, NOBODY, Who};
use super::reader::Reader;
use crate::diagnostic::Location;

/// What to run, as written in the app.
pub struct Written<'a> {
    /// `script`.
    pub script: &'a str,
    /// `cwd`, if written.
    pub cwd: Option<&'a str>,
    /// `interpreter`.
    pub interpreter: Interpreter,
    /// `node_args`.
    pub interpreter_args: Vec<String>,
    /// `args`.
    pub args: Vec<String>,
}

/// The resolved command, its working folder and what was found where.
pub struct Placed {
    /// The command.
    pub resolved: Resolved,
    /// The absolute working folder.
    pub cwd: PathBuf,
    /// One line per program found (`node: /usr/bin/node (/usr/bin)`).
    pub found: Vec<String>,
    /// The first folder above the working folder or script that a dynamic user (only
    /// "others" permission bits) cannot enter, when looked up.
    pub hidden_from_others: Option<PathBuf>,
}

/// Places one app: tries each base folder in turn; reports problems at `at`.
pub fn place(
    reader: &mut Reader<'_>,
    bases: &[PathBuf],
    lookups: &Lookups,
    who: &Who,
    written: &Written<'_>,
    at: Location,
) -> Option<Placed> {
    let mut tried: Vec<PathBuf> = Vec::new();
    let mut first: Option<(Resolved, PathBuf)> = None;
    let interpreter = nvm_interpreter(&written.interpreter, who);
    for (index, base) in bases.iter().enumerate() {
        let cwd = written
            .cwd
            .map_or_else(|| base.clone(), |cwd| command::absolute(base, cwd));
        let spec = CommandSpec {
            script: written.script,
            interpreter: interpreter.clone(),
            interpreter_args: written.interpreter_args.clone(),
            args: written.args.clone(),
            cwd: &cwd,
        };
        let resolved = match command::resolve(&spec, &who.search) {
            Ok(resolved) => resolved,
            Err(message) => {
                reader.error(at, message);
                return None;
            }
        };
        match resolved.command.script.as_ref().filter(|s| !s.exists()) {
            // A command (`npm start`) has no file to be found beside the ecosystem
            // file: it runs from the project root, the last base.
            None if resolved.is_command && index + 1 < bases.len() => continue,
            None => return finish(reader, lookups, who, resolved, cwd, at),
            Some(missing) if !tried.contains(missing) => tried.push(missing.clone()),
            Some(_) => {}
        }
        first.get_or_insert((resolved, cwd));
    }
    let (resolved, cwd) = first?;
    match lookups {
        Lookups::Host => {
            reader.error_hint(
                at,
                format!(
                    "script `{}` not found: looked for {}",
                    written.script,
                    list(&tried)
                ),
                "fix `script` or `cwd`, or give `--base-dir DIR` (the folder `pm2 start` ran in)"
                    .to_owned(),
            );
            None
        }
        Lookups::SearchPath(_) => {
            for missing in &tried[..1] {
                reader.warn(
                    at,
                    format!("script {} does not exist on this host", missing.display()),
                    Some("create it before starting the app, or fix `script` or `cwd`".to_owned()),
                );
            }
            finish(reader, lookups, who, resolved, cwd, at)
        }
        Lookups::Portable => finish(reader, lookups, who, resolved, cwd, at),
    }
}

/// PM2's `interpreter: node@VERSION`: nvm's `~/.nvm/versions/node/vVERSION/bin/node`
/// (lib/Common.js `resolveNodeInterpreter`) of the app's user; plain `node` when no
/// home is known. Any other interpreter is kept.
fn nvm_interpreter(interpreter: &Interpreter, who: &Who) -> Interpreter {
    let Interpreter::Named(name) = interpreter else {
        return interpreter.clone();
    };
    let Some(version) = name.strip_prefix("node@") else {
        return interpreter.clone();
    };
    match &who.account {
        Some(account) => {
            let version = version.trim_start_matches('v');
            let node = account
                .home
                .join(format!(".nvm/versions/node/v{version}/bin/node"));
            Interpreter::Named(node.display().to_string())
        }
        None => Interpreter::Named("node".to_owned()),
    }
}

fn finish(
    reader: &mut Reader<'_>,
    lookups: &Lookups,
    who: &Who,
    resolved: Resolved,
    cwd: PathBuf,
    at: Location,
) -> Option<Placed> {
    for (message, hint) in &resolved.notes {
        reader.warn(at, message.clone(), hint.clone());
    }
    for program in &resolved.not_found {
        match lookups {
            Lookups::Host => {
                let looked: Vec<PathBuf> = who.search.dirs().map(Path::to_path_buf).collect();
                reader.error_hint(
                    at,
                    format!(
                        "program `{program}` not found for user {}: looked in {}",
                        who.user.as_deref().unwrap_or("(dynamic)"),
                        list(&looked)
                    ),
                    "install it, give its absolute path, or make it executable for that user"
                        .to_owned(),
                );
            }
            Lookups::SearchPath(_) => reader.warn(
                at,
                format!("program `{program}` was not found in PATH"),
                Some(command::NOT_IN_PATH.to_owned()),
            ),
            Lookups::Portable => reader.warn(
                at,
                format!("`{program}` is left for the target host's systemd to find (--portable)"),
                Some(command::NOT_IN_PATH.to_owned()),
            ),
        }
    }
    if *lookups == Lookups::Host {
        check_program(reader, who, &resolved.command.program, at);
    }
    if *lookups == Lookups::Host
        && let Some(account) = &who.account
        && let Err(path) = first_closed(&Access::of(account), &resolved, &cwd)
    {
        let (verb, chmod) = closed_access(&path);
        reader.warn(
            at,
            format!("user {} cannot {verb} {}", account.name, path.display()),
            Some(format!(
                "let them in ({chmod}), or set `user:` to its owner"
            )),
        );
    }
    let hidden_from_others = (*lookups == Lookups::Host)
        .then(|| {
            let nobody = Access {
                uid: NOBODY,
                gids: Vec::new(),
            };
            first_closed(&nobody, &resolved, &cwd).err()
        })
        .flatten();
    let found = resolved
        .found
        .iter()
        .map(|(name, found)| format!("{name}: {} ({})", found.path.display(), found.origin))
        .collect();
    Some(Placed {
        resolved,
        cwd,
        found,
        hidden_from_others,
    })
}

/// The first folder closed to `access` above the working folder, the script or the
/// program, or the script itself when `access` may not read it (a project made under
/// umask `077` has only `0600` files).
fn first_closed(access: &Access, resolved: &Resolved, cwd: &Path) -> Result<(), PathBuf> {
    access.reach(&cwd.join("."))?;
    if let Some(script) = &resolved.command.script {
        access.reach(script)?;
        if !access.may_read(script) {
            return Err(script.clone());
        }
    }
    access.reach(Path::new(&resolved.command.program))
}

/// How to speak of a path closed to a user: what they cannot do (`enter` a folder,
/// `read` a file) and the `chmod` that lets others do it.
pub fn closed_access(path: &Path) -> (&'static str, String) {
    if path.is_file() {
        (
            "read",
            format!(
                "chmod o+r {}; a project made under umask 077 needs chmod -R o+rX",
                path.display()
            ),
        )
    } else {
        ("enter", format!("chmod o+x {}", path.display()))
    }
}

/// On this host, an absolute program must exist (PM2 refuses an interpreter it cannot
/// find) and should be executable by the app's user.
fn check_program(reader: &mut Reader<'_>, who: &Who, program: &str, at: Location) {
    let path = Path::new(program);
    if !path.is_absolute() {
        return;
    }
    if !path.exists() {
        reader.error_hint(
            at,
            format!("program {program} does not exist"),
            "install it, or fix `interpreter` or `script`".to_owned(),
        );
    } else if let Some(account) = &who.account
        && !Access::of(account).may_execute(path)
    {
        reader.warn(
            at,
            format!("user {} cannot execute {program}", account.name),
            Some("make it executable for that user, with every folder above it".to_owned()),
        );
    }
}

fn list(paths: &[PathBuf]) -> String {
    let shown: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    shown.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    struct Project(PathBuf);

    impl Project {
        fn new(name: &str) -> Self {
            let dir = std::env::temp_dir().join(format!(
                "ecosystemd-placement-{name}-{}",
                std::process::id()
            ));
            let _ = fs::remove_dir_all(&dir);
            fs::create_dir_all(dir.join("config")).unwrap();
            Self(dir)
        }
    }

    impl Drop for Project {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    fn who() -> Who {
        Who {
            user: Some("ana".into()),
            account: None,
            search: SearchPath::default(),
        }
    }

    fn written(script: &str) -> Written<'_> {
        Written {
            script,
            cwd: None,
            interpreter: Interpreter::Named("/usr/bin/node".into()),
            interpreter_args: Vec::new(),
            args: Vec::new(),
        }
    }

    fn run(
        project: &Project,
        lookups: &Lookups,
        script: &str,
    ) -> (Option<Placed>, Reader<'static>) {
        let mut reader = Reader::new(Path::new("ecosystem.yaml"));
        let bases = [project.0.join("config"), project.0.clone()];
        let placed = place(
            &mut reader,
            &bases,
            lookups,
            &who(),
            &written(script),
            Location::new(1, 1),
        );
        (placed, reader)
    }

    use super::super::command::SearchPath;

    #[test]
    fn a_script_missing_beside_the_file_is_found_at_the_project_root() {
        let project = Project::new("root");
        fs::write(project.0.join("server.js"), "").unwrap();
        let (placed, reader) = run(&project, &Lookups::Host, "server.js");
        let placed = placed.unwrap();
        assert_eq!(placed.cwd, project.0);
        assert_eq!(
            placed.resolved.command.script,
            Some(project.0.join("server.js"))
        );
        assert!(reader.errors.is_empty() && reader.warnings.is_empty());
    }

    #[test]
    fn a_command_runs_from_the_project_root() {
        let project = Project::new("command");
        let mut reader = Reader::new(Path::new("ecosystem.yaml"));
        let w = Written {
            interpreter: Interpreter::Default,
            ..written("/bin/sh -c true")
        };
        let bases = [project.0.join("config"), project.0.clone()];
        let placed = place(
            &mut reader,
            &bases,
            &Lookups::Host,
            &who(),
            &w,
            Location::new(1, 1),
        );
        assert_eq!(placed.unwrap().cwd, project.0);
        assert!(reader.errors.is_empty(), "{:?}", reader.errors);
    }

    #[test]
    fn the_file_folder_wins_when_the_script_is_there() {
        let project = Project::new("beside");
        fs::write(project.0.join("server.js"), "").unwrap();
        fs::write(project.0.join("config/server.js"), "").unwrap();
        let (placed, _) = run(&project, &Lookups::Host, "server.js");
        assert_eq!(placed.unwrap().cwd, project.0.join("config"));
    }

    #[test]
    fn a_script_found_nowhere_names_every_place_looked_at() {
        let project = Project::new("missing");
        let (placed, reader) = run(&project, &Lookups::Host, "ghost.js");
        assert!(placed.is_none());
        let message = &reader.errors[0].message;
        assert!(
            message.contains(&project.0.join("config/ghost.js").display().to_string()),
            "{message}"
        );
        assert!(
            message.contains(&project.0.join("ghost.js").display().to_string()),
            "{message}"
        );
        // The library's default warns; a portable render says nothing per app.
        let path = Lookups::SearchPath(Default::default());
        let (placed, reader) = run(&project, &path, "ghost.js");
        assert!(placed.is_some() && reader.errors.is_empty());
        assert_eq!(reader.warnings.len(), 1);
        let (placed, reader) = run(&project, &Lookups::Portable, "ghost.js");
        assert!(placed.is_some() && reader.warnings.is_empty());
    }

    #[test]
    fn a_program_not_found_for_the_user_is_an_error_on_this_host_only() {
        let project = Project::new("program");
        let mut reader = Reader::new(Path::new("ecosystem.yaml"));
        let w = Written {
            interpreter: Interpreter::Default,
            ..written("no-such-tool-here --flag")
        };
        let bases = [project.0.clone()];
        assert!(
            place(
                &mut reader,
                &bases,
                &Lookups::Host,
                &who(),
                &w,
                Location::new(1, 1)
            )
            .is_some()
        );
        assert!(
            reader.errors[0]
                .message
                .contains("program `no-such-tool-here` not found for user ana")
        );
        let mut reader = Reader::new(Path::new("ecosystem.yaml"));
        place(
            &mut reader,
            &bases,
            &Lookups::Portable,
            &who(),
            &w,
            Location::new(1, 1),
        );
        assert!(reader.errors.is_empty());
        assert!(
            reader.warnings[0]
                .message
                .contains("`no-such-tool-here` is left for the target host")
        );
    }

    #[test]
    fn a_script_others_may_not_read_is_hidden_from_them() {
        use std::os::unix::fs::PermissionsExt as _;
        let project = Project::new("closed-script");
        for dir in [&project.0, &project.0.join("config")] {
            fs::set_permissions(dir, fs::Permissions::from_mode(0o755)).unwrap();
        }
        let script = project.0.join("server.js");
        fs::write(&script, "").unwrap();
        // What `git clone` under umask 077 leaves.
        fs::set_permissions(&script, fs::Permissions::from_mode(0o600)).unwrap();
        let (placed, _) = run(&project, &Lookups::Host, "server.js");
        assert_eq!(placed.unwrap().hidden_from_others, Some(script.clone()));
        assert_eq!(closed_access(&script).0, "read");
        assert!(closed_access(&script).1.contains("chmod -R o+rX"));
        fs::set_permissions(&script, fs::Permissions::from_mode(0o644)).unwrap();
        let (placed, _) = run(&project, &Lookups::Host, "server.js");
        assert_eq!(placed.unwrap().hidden_from_others, None);
        assert_eq!(closed_access(&project.0).0, "enter");
    }

    #[test]
    fn node_at_a_version_is_nvms_node_of_the_user() {
        let mut ana = who();
        ana.account = Some(super::super::account::Account {
            name: "ana".into(),
            uid: 1000,
            gid: 1000,
            groups: vec![1000],
            home: PathBuf::from("/home/ana"),
        });
        let named = |n: &str| Interpreter::Named(n.into());
        assert_eq!(
            nvm_interpreter(&named("node@18.19.0"), &ana),
            named("/home/ana/.nvm/versions/node/v18.19.0/bin/node")
        );
        assert_eq!(nvm_interpreter(&named("node@18"), &who()), named("node"));
        assert_eq!(nvm_interpreter(&named("python3"), &ana), named("python3"));
        assert_eq!(nvm_interpreter(&Interpreter::None, &ana), Interpreter::None);
    }

    #[test]
    fn an_absolute_interpreter_must_exist_on_this_host() {
        let project = Project::new("absolute");
        fs::write(project.0.join("server.js"), "").unwrap();
        let mut reader = Reader::new(Path::new("ecosystem.yaml"));
        let w = Written {
            interpreter: Interpreter::Named("/opt/no-such-node/bin/node".into()),
            ..written("server.js")
        };
        let bases = [project.0.clone()];
        place(
            &mut reader,
            &bases,
            &Lookups::Host,
            &who(),
            &w,
            Location::new(1, 1),
        );
        assert!(
            reader.errors[0]
                .message
                .contains("/opt/no-such-node/bin/node does not exist")
        );
    }
}
