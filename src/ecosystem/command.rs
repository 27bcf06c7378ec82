//! What to run: `script`, `interpreter`, `node_args` and `args` resolved the way PM2
//! resolves them (lib/Common.js `prepareAppConf` and `resolveInterpreter`, with
//! lib/API/interpreter.json), into a program and its arguments.
//!
//! - The interpreter comes from the script's extension (PM2's map: `.js`, `.cjs`,
//!   `.mjs` → node, `.ts`/`.tsx` → bun, `.py` → python (python3 where there is no
//!   `python`), `.sh` → bash, `.rb` → ruby, `.php` → php, `.pl` → perl, `.coffee` →
//!   coffee, `.ls` → lsc). `interpreter: none` (or null) runs the script itself.
//! - Without an extension, or with one PM2 does not know, PM2 runs native binaries
//!   directly (its `isBinaryFile` test of the first bytes) and everything else with
//!   node, `node_args` included: so does this, `#!/usr/bin/env node` scripts such as
//!   `bin/www` too. A `#!` line naming another program runs that program (node would
//!   fail on it).
//! - PM2 resolves `script` against `cwd`; a script that is no file there is looked up
//!   in `PATH` (`which`). A whole command line (`npm run start:prod`, `dotnet run`) is
//!   split like a shell: the first word is the program, the rest are arguments.
//! - Programs are resolved to absolute paths when the units are generated, through a
//!   [`SearchPath`] (see `host` for the app user's), then the project's
//!   `node_modules/.bin`: systemd itself only looks bare names up in a fixed path.

use std::ffi::OsStr;
use std::io::Read;
use std::path::{Path, PathBuf};

use super::host::Access;
use super::model::Command;

/// Directories searched for bare program names, each with where it comes from, and
/// optionally whose permissions a file must grant.
#[derive(Debug, Clone, Default)]
pub struct SearchPath {
    dirs: Vec<(PathBuf, String)>,
    access: Option<Access>,
}

/// A program found in a search path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// Its absolute path.
    pub path: PathBuf,
    /// Where its folder came from (`PATH`, `nvm's node v20.11.1`, `/usr/bin`).
    pub origin: String,
}

impl SearchPath {
    /// The directories of a `PATH`-style list (relative entries are skipped).
    pub fn new(path: &OsStr) -> Self {
        let dirs = std::env::split_paths(path)
            .filter(|dir| dir.is_absolute())
            .map(|dir| (dir, "PATH".to_owned()))
            .collect();
        Self { dirs, access: None }
    }

    /// These directories, in order; with `access`, a file counts only if that user
    /// may execute it.
    pub fn with_origins(dirs: Vec<(PathBuf, String)>, access: Option<Access>) -> Self {
        Self { dirs, access }
    }

    /// The directories searched, in order.
    pub fn dirs(&self) -> impl Iterator<Item = &Path> {
        self.dirs.iter().map(|(dir, _)| dir.as_path())
    }

    /// The first executable file called `name` in the search path.
    pub fn find(&self, name: &str) -> Option<PathBuf> {
        self.find_with_origin(name).map(|found| found.path)
    }

    /// Like [`SearchPath::find`], saying where the folder came from.
    pub fn find_with_origin(&self, name: &str) -> Option<Found> {
        if name.is_empty() || name.contains('/') {
            return None;
        }
        self.dirs.iter().find_map(|(dir, origin)| {
            let candidate = dir.join(name);
            let usable = match &self.access {
                Some(access) => access.may_execute(&candidate),
                None => is_executable(&candidate),
            };
            usable.then(|| Found {
                path: candidate,
                origin: origin.clone(),
            })
        })
    }
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .map(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

/// How the interpreter was given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Interpreter {
    /// Not given: chosen from the script as PM2 does.
    Default,
    /// `none` or null: the script runs by itself.
    None,
    /// A program name or path.
    Named(String),
}

/// Everything needed to build the command of one app.
#[derive(Debug, Clone)]
pub struct CommandSpec<'a> {
    /// `script`, as written.
    pub script: &'a str,
    /// The interpreter.
    pub interpreter: Interpreter,
    /// `node_args` / `interpreter_args`.
    pub interpreter_args: Vec<String>,
    /// `args`.
    pub args: Vec<String>,
    /// The app's absolute working directory.
    pub cwd: &'a Path,
}

/// The command, with what resolving it had to say.
#[derive(Debug, Clone, PartialEq)]
pub struct Resolved {
    /// The command.
    pub command: Command,
    /// The interpreter used, as named (`node`, `python3`, ...), if any.
    pub interpreter: Option<String>,
    /// Things worth a warning about this app, with a hint.
    pub notes: Vec<(String, Option<String>)>,
    /// Program names not found in the search path, kept bare.
    pub not_found: Vec<String>,
    /// Program names found, with where.
    pub found: Vec<(String, Found)>,
    /// Whether the script is a command (a whole command line, or a program found in
    /// the search path), not a file of the project.
    pub is_command: bool,
}

/// The programs looked up while resolving one command.
#[derive(Debug, Default)]
struct Trace {
    found: Vec<(String, Found)>,
    not_found: Vec<String>,
}

/// What a file looks like from its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Probe {
    Missing,
    Binary,
    /// A `#!` line naming node (`#!/usr/bin/env node`) or not.
    Shebang {
        node: bool,
    },
    Text,
}

fn probe(path: &Path) -> Probe {
    // Only regular files are opened: a FIFO or a device could block or never end.
    if !path.is_file() {
        return Probe::Missing;
    }
    let Ok(mut file) = std::fs::File::open(path) else {
        return Probe::Missing;
    };
    let mut head = [0_u8; 512];
    let length = file.read(&mut head).unwrap_or(0);
    let head = &head[..length];
    if let Some(line) = head.strip_prefix(b"#!") {
        let line = line.split(|b| *b == b'\n').next().unwrap_or_default();
        let line = String::from_utf8_lossy(line);
        let node = line
            .split_whitespace()
            .any(|word| word.rsplit('/').next() == Some("node"));
        Probe::Shebang { node }
    } else if head.starts_with(b"\x7fELF") || head.contains(&0) {
        Probe::Binary
    } else {
        Probe::Text
    }
}

/// PM2's interpreter for a script's extension.
fn interpreter_for_extension(script: &str) -> Option<&'static str> {
    let extension = Path::new(script).extension()?.to_str()?;
    Some(match extension {
        "js" | "cjs" | "mjs" => "node",
        "ts" | "tsx" => "bun",
        "py" => "python",
        "sh" => "bash",
        "rb" => "ruby",
        "php" => "php",
        "pl" => "perl",
        "coffee" => "coffee",
        "ls" => "lsc",
        _ => return None,
    })
}

/// Why a program name not found in `PATH` deserves a warning.
pub const NOT_IN_PATH: &str = "systemd looks bare names up only in its own fixed search path (/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin); give an absolute path";

/// Resolves the command of one app. `search` resolves bare program names.
pub fn resolve(spec: &CommandSpec<'_>, search: &SearchPath) -> Result<Resolved, String> {
    let script = spec.script.trim();
    if script.is_empty() {
        return Err("`script` is empty".to_owned());
    }
    let mut notes = Vec::new();
    let mut trace = Trace::default();
    let mut args = spec.args.clone();

    // A whole command line given as the script.
    let script_word = if script.contains(char::is_whitespace)
        && probe(&absolute(spec.cwd, script)) == Probe::Missing
    {
        let mut words =
            super::words::split(script).map_err(|message| format!("`script`: {message}"))?;
        if words.is_empty() {
            return Err("`script` is empty".to_owned());
        }
        let program = words.remove(0);
        words.append(&mut args);
        args = words;
        if spec.interpreter == Interpreter::Default {
            let program = resolve_program(&program, spec.cwd, search, &mut trace);
            return Ok(Resolved {
                command: Command {
                    program,
                    args,
                    script: None,
                },
                interpreter: None,
                notes: with_unused_interpreter_args(notes, spec),
                not_found: trace.not_found,
                found: trace.found,
                is_command: true,
            });
        }
        program
    } else {
        script.to_owned()
    };
    // The script: a file under cwd, else (a bare name) a program in PATH.
    let under_cwd = absolute(spec.cwd, &script_word);
    let bare = !script_word.contains('/');
    let (script_file, from_path) = match search.find_with_origin(&script_word) {
        Some(found) if bare && probe(&under_cwd) == Probe::Missing => {
            let path = found.path.clone();
            trace.found.push((script_word.clone(), found));
            (path, true)
        }
        _ => (under_cwd, false),
    };
    let kind = probe(&script_file);

    let interpreter = match &spec.interpreter {
        Interpreter::Named(name) => Some(name.clone()),
        Interpreter::None => None,
        Interpreter::Default => match interpreter_for_extension(&script_word) {
            Some("python") if search.find("python").is_none() => Some("python3".to_owned()),
            Some(by_extension) => Some(by_extension.to_owned()),
            None => match kind {
                // PM2 runs every file that is not binary with node (its `#!` line
                // is a comment to node); a `#!` naming another program runs that
                // program here, where node would fail on it.
                Probe::Binary | Probe::Shebang { node: false } => None,
                Probe::Shebang { node: true } => Some("node".to_owned()),
                Probe::Text => Some("node".to_owned()),
                // Not there (yet): a file name means node, as in PM2; a bare word
                // is a command.
                Probe::Missing if !bare || script_word.contains('.') => Some("node".to_owned()),
                Probe::Missing => None,
            },
        },
    };

    let command = match &interpreter {
        Some(name) => {
            let program = resolve_program(name, spec.cwd, search, &mut trace);
            let mut all_args = spec.interpreter_args.clone();
            all_args.push(script_file.to_string_lossy().into_owned());
            all_args.extend(args);
            Command {
                program,
                args: all_args,
                script: Some(script_file),
            }
        }
        None => {
            notes = with_unused_interpreter_args(notes, spec);
            if from_path {
                Command {
                    program: script_file.to_string_lossy().into_owned(),
                    args,
                    script: None,
                }
            } else if kind == Probe::Missing && bare && !script_word.contains('.') {
                Command {
                    program: resolve_program(&script_word, spec.cwd, search, &mut trace),
                    args,
                    script: None,
                }
            } else {
                Command {
                    program: script_file.to_string_lossy().into_owned(),
                    args,
                    script: Some(script_file),
                }
            }
        }
    };
    let is_command = from_path || command.script.is_none();
    Ok(Resolved {
        command,
        interpreter,
        notes,
        not_found: trace.not_found,
        found: trace.found,
        is_command,
    })
}

fn with_unused_interpreter_args(
    mut notes: Vec<(String, Option<String>)>,
    spec: &CommandSpec<'_>,
) -> Vec<(String, Option<String>)> {
    if !spec.interpreter_args.is_empty() {
        notes.push((
            "`node_args`/`interpreter_args` are not used: the script runs without an interpreter"
                .to_owned(),
            Some("put them in `args`, or set `interpreter`".to_owned()),
        ));
    }
    notes
}

/// A program as an absolute path: paths resolve against `cwd`, bare names through
/// the search path, then the project's `node_modules/.bin` (as `npm run` would find
/// them); a name not found stays bare and is added to the trace's `not_found`.
fn resolve_program(name: &str, cwd: &Path, search: &SearchPath, trace: &mut Trace) -> String {
    if name.contains('/') {
        return absolute(cwd, name).to_string_lossy().into_owned();
    }
    let local = cwd.join("node_modules/.bin").join(name);
    let found = search.find_with_origin(name).or_else(|| {
        is_executable(&local).then(|| Found {
            path: local,
            origin: "the project's node_modules/.bin".to_owned(),
        })
    });
    match found {
        Some(found) => {
            let path = found.path.to_string_lossy().into_owned();
            trace.found.push((name.to_owned(), found));
            path
        }
        None => {
            trace.not_found.push(name.to_owned());
            name.to_owned()
        }
    }
}

/// `path` made absolute against `base`, with a leading `~/` taken as `$HOME`.
pub fn absolute(base: &Path, path: &str) -> PathBuf {
    let expanded = match (path.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => PathBuf::from(home).join(rest),
        _ => PathBuf::from(path),
    };
    let joined = base.join(expanded);
    normalize(&joined)
}

/// Removes `.` and resolves `..` lexically (no symlinks are followed).
fn normalize(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;
    use std::os::unix::fs::PermissionsExt;

    /// A scratch directory under the target dir, removed on drop.
    struct Scratch(PathBuf);

    impl Scratch {
        fn new(name: &str) -> Self {
            let dir = std::env::temp_dir()
                .join(format!("ecosystemd-command-{name}-{}", std::process::id()));
            let _ = fs::remove_dir_all(&dir);
            fs::create_dir_all(dir.join("bin")).unwrap();
            Self(dir)
        }

        fn file(&self, name: &str, content: &[u8], executable: bool) -> PathBuf {
            let path = self.0.join(name);
            fs::write(&path, content).unwrap();
            if executable {
                fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
            }
            path
        }

        fn search(&self) -> SearchPath {
            SearchPath::new(self.0.join("bin").as_os_str())
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    fn spec<'a>(script: &'a str, cwd: &'a Path) -> CommandSpec<'a> {
        CommandSpec {
            script,
            interpreter: Interpreter::Default,
            interpreter_args: Vec::new(),
            args: Vec::new(),
            cwd,
        }
    }

    #[test]
    fn javascript_runs_with_node_from_path() {
        let scratch = Scratch::new("js");
        let node = scratch.file("bin/node", b"\x7fELF", true);
        let mut spec = spec("server.js", &scratch.0);
        spec.interpreter_args = vec!["--max-old-space-size=200".into()];
        spec.args = vec!["--port".into(), "3000".into()];
        let resolved = resolve(&spec, &scratch.search()).unwrap();
        assert_eq!(resolved.command.program, node.to_string_lossy());
        let script = scratch.0.join("server.js").to_string_lossy().into_owned();
        assert_eq!(
            resolved.command.args,
            ["--max-old-space-size=200", &script, "--port", "3000"]
        );
        assert_eq!(resolved.interpreter.as_deref(), Some("node"));
        assert!(resolved.notes.is_empty());
        assert!(resolved.not_found.is_empty());
        assert!(!resolved.is_command);
    }

    #[test]
    fn interpreters_by_extension() {
        let cwd = Path::new("/srv/app");
        let search = SearchPath::default();
        for (script, interpreter) in [
            ("a.cjs", "node"),
            ("a.mjs", "node"),
            ("a.ts", "bun"),
            ("a.py", "python3"),
            ("a.sh", "bash"),
            ("a.rb", "ruby"),
            ("a.php", "php"),
            ("a.pl", "perl"),
        ] {
            let resolved = resolve(&spec(script, cwd), &search).unwrap();
            assert_eq!(
                resolved.interpreter.as_deref(),
                Some(interpreter),
                "{script}"
            );
            // Not in the (empty) search path: kept bare, with a note.
            assert_eq!(resolved.command.program, interpreter);
            assert_eq!(resolved.not_found, [interpreter]);
        }
    }

    #[test]
    fn python_is_preferred_where_it_exists() {
        let scratch = Scratch::new("python");
        scratch.file("bin/python", b"\x7fELF", true);
        let resolved = resolve(&spec("a.py", &scratch.0), &scratch.search()).unwrap();
        assert_eq!(resolved.interpreter.as_deref(), Some("python"));
    }

    #[test]
    fn whole_command_lines_are_split() {
        let scratch = Scratch::new("cmdline");
        let npm = scratch.file("bin/npm", b"#!/usr/bin/env node\n", true);
        let mut spec = spec("npm run start:prod", &scratch.0);
        spec.args = vec!["--".into(), "--verbose".into()];
        let resolved = resolve(&spec, &scratch.search()).unwrap();
        assert_eq!(resolved.command.program, npm.to_string_lossy());
        assert_eq!(
            resolved.command.args,
            ["run", "start:prod", "--", "--verbose"]
        );
        assert_eq!(resolved.command.script, None);
        assert_eq!(resolved.interpreter, None);
        assert!(resolved.is_command);
    }

    #[test]
    fn quoted_command_lines_keep_their_words() {
        let resolved = resolve(
            &spec("npx knex 'migrate:latest' \"a b\"", Path::new("/srv")),
            &SearchPath::default(),
        )
        .unwrap();
        assert_eq!(resolved.command.program, "npx");
        assert_eq!(resolved.command.args, ["knex", "migrate:latest", "a b"]);
        assert_eq!(resolved.not_found, ["npx"]);
    }

    #[test]
    fn native_binaries_and_shebang_scripts_run_directly() {
        let scratch = Scratch::new("native");
        let binary = scratch.file("server", b"\x7fELF\x02\x01\x01\0\0", true);
        let resolved = resolve(&spec("./server", &scratch.0), &scratch.search()).unwrap();
        assert_eq!(resolved.command.program, binary.to_string_lossy());
        assert!(resolved.command.args.is_empty());
        assert_eq!(resolved.interpreter, None);

        let shell = scratch.file("start", b"#!/bin/sh\nexec true\n", true);
        let resolved = resolve(&spec("start", &scratch.0), &scratch.search()).unwrap();
        assert_eq!(resolved.command.program, shell.to_string_lossy());
    }

    #[test]
    fn node_shebangs_and_unknown_extensions_run_with_node_and_node_args_as_in_pm2() {
        let scratch = Scratch::new("www");
        let node = scratch.file("bin/node", b"\x7fELF", true);
        fs::create_dir_all(scratch.0.join("app/bin")).unwrap();
        let www = scratch.file(
            "app/bin/www",
            b"#!/usr/bin/env node\nrequire('../app')\n",
            true,
        );
        scratch.file("app/server.es6", b"console.log(1)\n", false);
        for script in ["app/bin/www", "app/server.es6"] {
            let mut spec = spec(script, &scratch.0);
            spec.interpreter_args = vec!["--inspect".into()];
            let resolved = resolve(&spec, &scratch.search()).unwrap();
            assert_eq!(resolved.command.program, node.to_string_lossy(), "{script}");
            assert_eq!(resolved.command.args[0], "--inspect", "{script}");
            assert!(resolved.notes.is_empty(), "{script}");
        }
        let resolved = resolve(&spec("app/bin/www", &scratch.0), &scratch.search()).unwrap();
        assert_eq!(resolved.command.args, [www.to_string_lossy()]);
        assert_eq!(resolved.found[0].0, "node");
        assert_eq!(resolved.found[0].1.origin, "PATH");
    }

    #[test]
    fn project_commands_are_found_in_node_modules_bin() {
        let scratch = Scratch::new("localbin");
        fs::create_dir_all(scratch.0.join("node_modules/.bin")).unwrap();
        let ts_node = scratch.file("node_modules/.bin/ts-node", b"#!/usr/bin/env node\n", true);
        scratch.file("main.ts", b"let a = 1\n", false);
        let mut spec = spec("main.ts", &scratch.0);
        spec.interpreter = Interpreter::Named("ts-node".into());
        let resolved = resolve(&spec, &scratch.search()).unwrap();
        assert_eq!(resolved.command.program, ts_node.to_string_lossy());
        assert_eq!(
            resolved.found[0].1.origin,
            "the project's node_modules/.bin"
        );
        assert!(resolved.not_found.is_empty());
    }

    #[test]
    fn text_without_extension_runs_with_node_as_in_pm2() {
        let scratch = Scratch::new("text");
        scratch.file("app", b"console.log(1)\n", false);
        let resolved = resolve(&spec("app", &scratch.0), &scratch.search()).unwrap();
        assert_eq!(resolved.interpreter.as_deref(), Some("node"));
    }

    #[test]
    fn interpreter_none_runs_the_script_and_notes_unused_node_args() {
        let mut spec = spec("bin/worker", Path::new("/srv/app"));
        spec.interpreter = Interpreter::None;
        spec.interpreter_args = vec!["--inspect".into()];
        let resolved = resolve(&spec, &SearchPath::default()).unwrap();
        assert_eq!(resolved.command.program, "/srv/app/bin/worker");
        assert_eq!(resolved.notes.len(), 1);
    }

    #[test]
    fn missing_scripts_without_an_interpreter_stay_files_under_cwd() {
        let mut spec = spec("worker.bin", Path::new("/srv/app"));
        spec.interpreter = Interpreter::None;
        let resolved = resolve(&spec, &SearchPath::default()).unwrap();
        assert_eq!(resolved.command.program, "/srv/app/worker.bin");
        assert!(resolved.not_found.is_empty());
    }

    #[test]
    fn bare_commands_are_found_in_path() {
        let scratch = Scratch::new("dotnet");
        let dotnet = scratch.file("bin/dotnet", b"\x7fELF", true);
        let resolved = resolve(&spec("dotnet run", &scratch.0), &scratch.search()).unwrap();
        assert_eq!(resolved.command.program, dotnet.to_string_lossy());
        assert_eq!(resolved.command.args, ["run"]);
        let mut single = spec("dotnet", &scratch.0);
        single.args = vec!["run".into()];
        let resolved = resolve(&single, &scratch.search()).unwrap();
        assert_eq!(resolved.command.program, dotnet.to_string_lossy());
        assert_eq!(resolved.interpreter, None);
    }

    #[test]
    fn javascript_programs_found_in_path_run_with_node_from_there() {
        let scratch = Scratch::new("pathjs");
        let tool = scratch.file("bin/tool", b"console.log(1)\n", true);
        let resolved = resolve(&spec("tool", &scratch.0), &scratch.search()).unwrap();
        assert_eq!(resolved.interpreter.as_deref(), Some("node"));
        assert_eq!(resolved.command.args, [tool.to_string_lossy()]);
        assert!(
            resolved.is_command,
            "found in PATH, not a file of the project"
        );
    }

    #[test]
    fn explicit_interpreters_resolve_relative_to_cwd() {
        let mut spec = spec("src/main.ts", Path::new("/srv/app"));
        spec.interpreter = Interpreter::Named("./node_modules/.bin/ts-node".into());
        let resolved = resolve(&spec, &SearchPath::default()).unwrap();
        assert_eq!(
            resolved.command.program,
            "/srv/app/node_modules/.bin/ts-node"
        );
        assert_eq!(resolved.command.args, ["/srv/app/src/main.ts"]);
    }

    #[test]
    fn devices_are_not_read() {
        assert_eq!(probe(Path::new("/dev/zero")), Probe::Missing);
        assert_eq!(probe(Path::new("/")), Probe::Missing);
    }

    #[test]
    fn paths_are_normalised() {
        assert_eq!(
            absolute(Path::new("/a/b"), "../c/./d"),
            PathBuf::from("/a/c/d")
        );
        assert_eq!(absolute(Path::new("/a"), "/abs"), PathBuf::from("/abs"));
    }

    #[test]
    fn empty_scripts_and_bad_quotes_are_errors() {
        assert!(resolve(&spec("  ", Path::new("/")), &SearchPath::default()).is_err());
        assert!(resolve(&spec("npm 'run", Path::new("/")), &SearchPath::default()).is_err());
    }
}
