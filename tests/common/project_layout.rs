//! The owner corpus (`tests/corpus/real/`): each fixture is one PM2 ecosystem file whose
//! header says how its project looks on its owner's machine. This module reads those
//! headers and lays the projects out inside a sandbox as their owners have them: a
//! normal user with a home of their own, node through nvm, tools in `~/.local/bin`, the
//! files owned by the user, and stand-in apps that serve a port and write beside their
//! code as the real ones do.
//!
//! Header directives, one per comment line (`#`, `//` or ` *`), are described in
//! `tests/corpus/real/README.md`.

#![allow(dead_code)] // each test crate uses a different part of the helpers

use std::fs;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::{Path, PathBuf};

use crate::common::sandbox::User;

/// The owner corpus folder.
pub fn real_corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/real")
}

/// One `@file` line: a file of the project, made from a template.
#[derive(Debug, Clone, PartialEq)]
pub struct FileSpec {
    /// Path under the project root.
    pub path: String,
    /// Template name (`node-http`, `py-http`, `node-job`, `venv`, `text`, ...).
    pub kind: String,
    /// `key=value` options after the kind; for `text`, the content (with `\n` escapes).
    pub options: Vec<(String, String)>,
    /// The literal rest of the line, for `text`.
    pub rest: String,
}

impl FileSpec {
    /// The value of option `key`.
    pub fn option(&self, key: &str) -> Option<&str> {
        self.options
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// What one app should do once installed (an `@expect` line).
#[derive(Debug, Clone, PartialEq)]
pub enum Check {
    /// Serves HTTP on this port; the answer contains the given text, if any.
    Http { port: u16, contains: Option<String> },
    /// At least `count` units of the app are active (and stay so).
    Active { count: usize },
    /// A job that ran (active, or exited with success).
    Ran,
}

/// One `@expect APP ...` line.
#[derive(Debug, Clone, PartialEq)]
pub struct Expect {
    /// The app's `name` in the ecosystem file.
    pub app: String,
    /// What it should do.
    pub check: Check,
}

/// A fixture: an ecosystem file and the project it belongs to.
#[derive(Debug, Clone)]
pub struct Project {
    /// The fixture's file name, e.g. `01-bin-www.config.js`.
    pub fixture: String,
    /// The fixture's text, copied as it is into the project.
    pub text: String,
    /// `@pattern`: which real-world pattern it reproduces.
    pub pattern: String,
    /// `@owner`: one of [`owners`].
    pub owner: String,
    /// `@root`: the project root (`~` is the owner's home).
    pub root: String,
    /// `@config`: where the file sits, relative to the root.
    pub config: String,
    /// `@start`: extra arguments of `pm2 start` (`--env production`), given to gen-units.
    pub start: Vec<String>,
    /// `@file` lines.
    pub files: Vec<FileSpec>,
    /// `@expect` lines.
    pub expects: Vec<Expect>,
    /// `@needs`: the features this fixture waits for (`lenient`, `identity`, `sockets`).
    pub needs: Vec<String>,
    /// `@strict`: what the strict profile is expected to do, in words.
    pub strict: String,
}

impl Project {
    /// The project root as an absolute path inside the sandbox.
    pub fn root_dir(&self) -> String {
        let home = owner(&self.owner).map(|o| o.home).unwrap_or_default();
        match self.root.strip_prefix("~/") {
            Some(rest) => format!("{home}/{rest}"),
            None => self.root.clone(),
        }
    }

    /// The ecosystem file as an absolute path inside the sandbox.
    pub fn config_path(&self) -> String {
        format!("{}/{}", self.root_dir(), self.config)
    }
}

/// Reads every fixture of the owner corpus, sorted by name.
pub fn projects() -> Vec<Project> {
    let mut paths: Vec<PathBuf> = fs::read_dir(real_corpus())
        .expect("owner corpus folder")
        .map(|entry| entry.expect("entry").path())
        .filter(|path| path.is_file() && path.extension().is_some_and(|e| e != "md"))
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|path| {
            let text = fs::read_to_string(path).expect("fixture");
            let name = path.file_name().unwrap_or_default().to_string_lossy();
            parse(&name, &text).unwrap_or_else(|e| panic!("{name}: {e}"))
        })
        .collect()
}

/// Parses a fixture's header directives.
pub fn parse(fixture: &str, text: &str) -> Result<Project, String> {
    let mut project = Project {
        fixture: fixture.to_owned(),
        text: text.to_owned(),
        pattern: String::new(),
        owner: String::new(),
        root: String::new(),
        config: String::new(),
        start: Vec::new(),
        files: Vec::new(),
        expects: Vec::new(),
        needs: Vec::new(),
        strict: String::new(),
    };
    for line in text.lines() {
        let Some((key, rest)) = directive(line) else {
            continue;
        };
        let words: Vec<&str> = rest.split_whitespace().collect();
        match key {
            "pattern" => project.pattern = rest.to_owned(),
            "owner" => project.owner = rest.to_owned(),
            "root" => project.root = rest.to_owned(),
            "config" => project.config = rest.to_owned(),
            "start" => project.start = words.iter().map(|w| w.to_string()).collect(),
            "needs" => project.needs.extend(words.iter().map(|w| w.to_string())),
            "strict" => project.strict = rest.to_owned(),
            "file" => project.files.push(file_spec(rest)?),
            "expect" => project.expects.push(expect(rest)?),
            other => return Err(format!("unknown directive @{other}")),
        }
    }
    if owner(&project.owner).is_none() {
        return Err(format!(
            "@owner {:?} is not one of the corpus owners",
            project.owner
        ));
    }
    for (what, value) in [("@root", &project.root), ("@config", &project.config)] {
        if value.is_empty() {
            return Err(format!("{what} is missing"));
        }
    }
    if project.expects.is_empty() {
        return Err("no @expect line".into());
    }
    Ok(project)
}

/// `(key, rest)` of a `@key rest` comment line.
fn directive(line: &str) -> Option<(&str, &str)> {
    let line = line.trim_start();
    let body = ["//", "#", "*"]
        .iter()
        .find_map(|marker| line.strip_prefix(marker))?
        .trim_start();
    let body = body.strip_prefix('@')?;
    let (key, rest) = body.split_once(' ').unwrap_or((body, ""));
    Some((key, rest.trim()))
}

fn file_spec(rest: &str) -> Result<FileSpec, String> {
    let mut words = rest.splitn(3, ' ');
    let path = words.next().unwrap_or_default().to_owned();
    let kind = words
        .next()
        .ok_or("@file needs a path and a kind")?
        .to_owned();
    let tail = words.next().unwrap_or_default().to_owned();
    let options = if kind == "text" {
        Vec::new()
    } else {
        tail.split_whitespace()
            .map(|w| {
                let (k, v) = w.split_once('=').unwrap_or((w, ""));
                (k.to_owned(), v.to_owned())
            })
            .collect()
    };
    Ok(FileSpec {
        path,
        kind,
        options,
        rest: tail,
    })
}

fn expect(rest: &str) -> Result<Expect, String> {
    let words: Vec<&str> = rest.split_whitespace().collect();
    let option = |key: &str| {
        words
            .iter()
            .find_map(|w| w.strip_prefix(key)?.strip_prefix('='))
            .map(str::to_owned)
    };
    let check = match words.get(1).copied() {
        Some("http") => Check::Http {
            port: words
                .get(2)
                .and_then(|p| p.parse().ok())
                .ok_or("@expect APP http PORT")?,
            contains: option("contains"),
        },
        Some("active") => Check::Active {
            count: option("count").and_then(|c| c.parse().ok()).unwrap_or(1),
        },
        Some("ran") => Check::Ran,
        _ => return Err(format!("@expect {rest}: want APP http PORT|active|ran")),
    };
    Ok(Expect {
        app: words[0].to_owned(),
        check,
    })
}

/// An owner of corpus projects, as their machine has them.
#[derive(Debug, Clone)]
pub struct Owner {
    /// Login name.
    pub name: &'static str,
    /// uid (and gid of their own group).
    pub uid: u32,
    /// Home folder.
    pub home: String,
    /// Mode of the home folder.
    pub home_mode: u32,
    /// The content of `~/.nvm/alias/default` when node comes from nvm.
    pub nvm_default: Option<&'static str>,
    /// Folders under the home prepended to PATH by the owner's shell (besides nvm's).
    pub path_dirs: &'static [&'static str],
}

/// The owners the corpus uses: `alice` (0700 home, node through nvm with a major-version
/// default alias, poetry and uv in `~/.local/bin`), `bob` (0750 home, the system's node,
/// dotnet in `~/.dotnet`, poetry and uv in `~/.local/bin`), `deploy` (0755 home, nvm with
/// an exact default, projects under `/srv`).
pub fn owners() -> Vec<Owner> {
    vec![
        Owner {
            name: "alice",
            uid: 1001,
            home: "/home/alice".into(),
            home_mode: 0o700,
            nvm_default: Some("20"),
            path_dirs: &[".local/bin"],
        },
        Owner {
            name: "bob",
            uid: 1002,
            home: "/home/bob".into(),
            home_mode: 0o750,
            nvm_default: None,
            path_dirs: &[".dotnet", ".local/bin"],
        },
        Owner {
            name: "deploy",
            uid: 1003,
            home: "/home/deploy".into(),
            home_mode: 0o755,
            nvm_default: Some(NODE_VERSION_EXACT),
            path_dirs: &[],
        },
    ]
}

/// Marks "the exact version of /usr/bin/node" in [`Owner::nvm_default`].
const NODE_VERSION_EXACT: &str = "exact";

/// The owner named `name`.
pub fn owner(name: &str) -> Option<Owner> {
    owners().into_iter().find(|o| o.name == name)
}

/// The sandbox users for [`owners`].
pub fn sandbox_users() -> Vec<User> {
    owners()
        .iter()
        .map(|o| User {
            name: o.name.into(),
            uid: o.uid,
            home: o.home.clone(),
        })
        .collect()
}

/// `node --version` of the image's node (nvm's folder is named after it).
pub fn node_version() -> String {
    let output = std::process::Command::new("/usr/bin/node")
        .arg("--version")
        .output()
        .expect("/usr/bin/node --version");
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

impl Owner {
    /// nvm's bin folder of this owner, if node comes from nvm.
    pub fn nvm_bin(&self) -> Option<String> {
        self.nvm_default?;
        Some(format!(
            "{}/.nvm/versions/node/{}/bin",
            self.home,
            node_version()
        ))
    }

    /// PATH of the owner's interactive shell (nvm loaded, `~/.local/bin` and the like).
    pub fn shell_path(&self) -> String {
        let mut dirs: Vec<String> = self.nvm_bin().into_iter().collect();
        dirs.extend(self.path_dirs.iter().map(|d| format!("{}/{d}", self.home)));
        dirs.extend(["/usr/local/bin", "/usr/bin", "/bin"].map(String::from));
        dirs.join(":")
    }
}

/// Lays out every owner's home and every project under `root` (the sandbox's `/`), owned
/// by their owners. `shims` is a compiled ELF stand-in for `uv` and `dotnet`.
pub fn lay_out(root: &Path, projects: &[Project], shims: &Path) {
    for owner in owners() {
        lay_out_home(root, &owner, shims);
    }
    for project in projects {
        lay_out_project(root, project);
    }
    for owner in owners() {
        chown_tree(&inside(root, &owner.home), owner.uid);
        fs::set_permissions(
            inside(root, &owner.home),
            fs::Permissions::from_mode(owner.home_mode),
        )
        .expect("home mode");
    }
    for project in projects.iter().filter(|p| !p.root.starts_with('~')) {
        let uid = owner(&project.owner).expect("owner").uid;
        chown_tree(&inside(root, &project.root_dir()), uid);
    }
}

/// `path` (absolute inside the sandbox) as seen from outside.
pub fn inside(root: &Path, path: &str) -> PathBuf {
    root.join(path.trim_start_matches('/'))
}

fn lay_out_home(root: &Path, owner: &Owner, shims: &Path) {
    let home = inside(root, &owner.home);
    fs::create_dir_all(home.join(".local/bin")).expect("home");
    let mut profile = String::from(PROFILE);
    for dir in owner.path_dirs.iter().filter(|d| **d != ".local/bin") {
        profile.push_str(&format!("PATH=\"$HOME/{dir}:$PATH\"\n"));
    }
    write(&home.join(".profile"), &profile, 0o644);
    write(&home.join(".local/bin/poetry"), POETRY, 0o755);
    copy_exec(shims, &home.join(".local/bin/uv"));
    if owner.path_dirs.contains(&".dotnet") {
        fs::create_dir_all(home.join(".dotnet")).expect("dotnet folder");
        copy_exec(shims, &home.join(".dotnet/dotnet"));
    }
    let Some(bin) = owner.nvm_bin() else {
        write(&home.join(".bashrc"), "# ~/.bashrc\n", 0o644);
        return;
    };
    let bin = inside(root, &bin);
    fs::create_dir_all(&bin).expect("nvm bin");
    // A link, not a copy: the image's node is 100 MB; nvm's own folder layout is kept.
    symlink("/usr/bin/node", bin.join("node")).expect("nvm node");
    for (name, text) in [("npm", NPM), ("npx", NPX), ("yarn", NPM)] {
        write(&bin.join(name), text, 0o755);
    }
    let nvm = home.join(".nvm");
    fs::create_dir_all(nvm.join("alias")).expect("nvm alias");
    let alias = match owner.nvm_default {
        Some(NODE_VERSION_EXACT) => node_version(),
        Some(alias) => alias.to_owned(),
        None => unreachable!("nvm_bin is Some"),
    };
    write(&nvm.join("alias/default"), &format!("{alias}\n"), 0o644);
    write(&nvm.join("nvm.sh"), NVM_SH, 0o644);
    write(&home.join(".bashrc"), BASHRC_NVM, 0o644);
}

fn lay_out_project(root: &Path, project: &Project) {
    let dir = inside(root, &project.root_dir());
    fs::create_dir_all(&dir).expect("project root");
    let config = dir.join(&project.config);
    fs::create_dir_all(config.parent().expect("config folder")).expect("config folder");
    write(&config, &project.text, 0o644);
    for file in &project.files {
        let path = dir.join(&file.path);
        fs::create_dir_all(path.parent().expect("parent")).expect("folder");
        if file.kind == "venv" {
            lay_out_venv(&path);
            continue;
        }
        let mode = file
            .option("mode")
            .and_then(|m| u32::from_str_radix(m, 8).ok())
            .unwrap_or(0o644);
        write(&path, &render_template(file, &project.root_dir()), mode);
    }
}

/// A virtualenv's shape: `bin/python` linking to the system's python3 (what `python3 -m
/// venv` makes; the venv module is not on every image), and `pyvenv.cfg`.
fn lay_out_venv(path: &Path) {
    fs::create_dir_all(path.join("bin")).expect("venv bin");
    symlink("/usr/bin/python3", path.join("bin/python3")).expect("venv python3");
    symlink("python3", path.join("bin/python")).expect("venv python");
    write(
        &path.join("pyvenv.cfg"),
        "home = /usr/bin\ninclude-system-site-packages = false\n",
        0o644,
    );
}

/// The text of a `@file` line's template.
pub fn render_template(file: &FileSpec, root_dir: &str) -> String {
    let writes: Vec<String> = file
        .option("writes")
        .map(|w| w.split(',').map(|s| format!("{s:?}")).collect())
        .unwrap_or_default();
    let writes = format!("[{}]", writes.join(", "));
    let port = file.option("port").unwrap_or("0");
    let body = match file.kind.as_str() {
        "node-http" => NODE_HTTP.to_owned(),
        "node-job" => NODE_JOB.to_owned(),
        "py-http" => PY_HTTP.to_owned(),
        "node-bin" => NODE_BIN.to_owned(),
        "text" => return file.rest.replace("\\n", "\n") + "\n",
        other => panic!("{}: unknown @file kind {other}", file.path),
    };
    let body = body.replace("WRITES", &writes).replace("FIXED_PORT", port);
    match file.option("shebang") {
        Some("node") => format!("#!/usr/bin/env node\n{body}"),
        Some("python") => format!("#!/usr/bin/env python3\n{body}"),
        Some(venv) if !venv.is_empty() => format!("#!{root_dir}/{venv}/bin/python\n{body}"),
        _ => body,
    }
}

fn write(path: &Path, text: &str, mode: u32) {
    fs::write(path, text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).expect("mode");
}

fn copy_exec(from: &Path, to: &Path) {
    fs::copy(from, to).unwrap_or_else(|e| panic!("{}: {e}", to.display()));
    fs::set_permissions(to, fs::Permissions::from_mode(0o755)).expect("mode");
}

fn chown_tree(path: &Path, uid: u32) {
    std::os::unix::fs::lchown(path, Some(uid), Some(uid)).expect("chown");
    let Ok(meta) = fs::symlink_metadata(path) else {
        return;
    };
    if meta.is_dir() {
        for entry in fs::read_dir(path).expect("read_dir") {
            chown_tree(&entry.expect("entry").path(), uid);
        }
    }
}

/// Compiles the ELF stand-in for `uv` and `dotnet` into `dir` (real ones are binaries,
/// which PM2 runs directly; a shell script would be run with node by PM2's rules).
pub fn compile_shims(dir: &Path) -> Result<PathBuf, String> {
    let source = dir.join("shim.c");
    let binary = dir.join("shim");
    fs::write(&source, SHIM_C).map_err(|e| e.to_string())?;
    let output = std::process::Command::new("cc")
        .arg("-O")
        .arg("-o")
        .arg(&binary)
        .arg(&source)
        .output()
        .map_err(|e| format!("cc: {e}"))?;
    if !output.status.success() {
        return Err(String::from_utf8_lossy(&output.stderr).into_owned());
    }
    Ok(binary)
}

/// Debian's `~/.profile`, shortened: `~/.local/bin` joins PATH when it exists.
const PROFILE: &str = r#"# ~/.profile
if [ -n "$BASH_VERSION" ] && [ -f "$HOME/.bashrc" ]; then . "$HOME/.bashrc"; fi
if [ -d "$HOME/.local/bin" ]; then PATH="$HOME/.local/bin:$PATH"; fi
"#;

/// The lines nvm's installer appends to `~/.bashrc`.
const BASHRC_NVM: &str = r#"# ~/.bashrc
export NVM_DIR="$HOME/.nvm"
[ -s "$NVM_DIR/nvm.sh" ] && \. "$NVM_DIR/nvm.sh"  # This loads nvm
"#;

/// Stand-in for nvm.sh (the real one is 4000 lines of shell): puts the default alias's
/// node on PATH, as `nvm use default` does.
const NVM_SH: &str = r#"# nvm.sh stand-in: the default alias's node on PATH
_nvm_default=$(cat "$NVM_DIR/alias/default")
for _nvm_dir in "$NVM_DIR"/versions/node/v"${_nvm_default#v}"*; do :; done
[ -d "$_nvm_dir/bin" ] && PATH="$_nvm_dir/bin:$PATH"
"#;

/// Stand-in for npm and yarn: `npm start`, `npm run NAME [-- ARGS]`, `yarn NAME`, run the
/// package.json script with sh, with node_modules/.bin and node's folder on PATH, as npm
/// does. No network, no cache: what a service start needs of npm.
const NPM: &str = r#"#!/usr/bin/env node
// npm/yarn stand-in laid out by the corpus test: runs a package.json script as npm does.
'use strict';
const { spawn } = require('child_process');
const fs = require('fs');
const path = require('path');
let argv = process.argv.slice(2);
if (argv[0] === 'run' || argv[0] === 'run-script') argv = argv.slice(1);
const name = argv[0] || 'start';
const extra = argv.slice(1).filter((a, i) => !(i === 0 && a === '--'));
let dir = process.cwd();
while (!fs.existsSync(path.join(dir, 'package.json')) && dir !== '/') dir = path.dirname(dir);
const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
const script = (pkg.scripts || {})[name];
if (!script) { console.error(`missing script: ${name}`); process.exit(1); }
const env = { ...process.env, PATH: [path.join(dir, 'node_modules/.bin'), path.dirname(process.execPath), process.env.PATH].join(':') };
const child = spawn('sh', ['-c', [script, ...extra].join(' ')], { stdio: 'inherit', env, cwd: dir });
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code === null ? 1 : code));
"#;

/// Stand-in for npx: runs a command from node_modules/.bin (no downloads).
const NPX: &str = r#"#!/usr/bin/env node
// npx stand-in laid out by the corpus test: runs node_modules/.bin/CMD, never downloads.
'use strict';
const { spawn } = require('child_process');
const fs = require('fs');
const path = require('path');
const argv = process.argv.slice(2).filter((a) => a !== '--yes' && a !== '-y');
let dir = process.cwd();
while (!fs.existsSync(path.join(dir, 'node_modules/.bin', argv[0])) && dir !== '/') dir = path.dirname(dir);
const bin = path.join(dir, 'node_modules/.bin', argv[0]);
if (!fs.existsSync(bin)) { console.error(`npx: ${argv[0]} not installed`); process.exit(127); }
const env = { ...process.env, PATH: [path.dirname(process.execPath), process.env.PATH].join(':') };
const child = spawn(process.execPath, [bin, ...argv.slice(1)], { stdio: 'inherit', env });
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code) => process.exit(code === null ? 1 : code));
"#;

/// Stand-in for poetry (a Python script, as the real one is): `poetry run CMD ARGS`.
const POETRY: &str = r#"#!/usr/bin/python3
# poetry stand-in laid out by the corpus test: `poetry run [python] ARGS` in the project's env.
import os, sys
args = sys.argv[1:]
if args[:1] != ["run"]:
    sys.exit("poetry stand-in: only `run` is supported")
args = args[1:]
if args[:1] in (["python"], ["python3"]):
    args = ["/usr/bin/python3"] + args[1:]
os.execvp(args[0], args)
"#;

/// The ELF stand-in for `uv run [python] ARGS` (python3) and `dotnet APP.dll` (the dll is
/// a JavaScript stand-in app, run by the image's node).
const SHIM_C: &str = r#"#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
int main(int argc, char **argv) {
    (void)argc;
    if (strcmp(basename(argv[0]), "dotnet") == 0) {
        argv[0] = "/usr/bin/node";
        execv(argv[0], argv);
    } else {
        int i = 1;
        if (argv[i] && strcmp(argv[i], "run") == 0) i++;
        if (argv[i] && (strcmp(argv[i], "python") == 0 || strcmp(argv[i], "python3") == 0)) i++;
        argv[i - 1] = "/usr/bin/python3";
        execv(argv[i - 1], argv + i - 1);
    }
    perror("exec");
    return 127;
}
"#;

/// A Node HTTP app: writes its files (relative to its cwd) first and dies if it cannot,
/// then serves its identity on the port from `--port`/`-p`/`-l`, `PORT` or another
/// `*PORT` variable, `ASPNETCORE_URLS`, or the template's fixed port; without a port it
/// idles as a worker.
const NODE_HTTP: &str = r#"// Stand-in app laid out by the corpus test (tests/common/project_layout.rs).
'use strict';
const fs = require('fs');
const http = require('http');
const path = require('path');
for (const file of WRITES) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.appendFileSync(file, `started ${process.pid}\n`);
}
const argv = process.argv.slice(2);
const at = ['--port', '-p', '-l'].map((f) => argv.indexOf(f)).find((i) => i >= 0);
const named = Object.keys(process.env).filter((k) => /PORT$/.test(k)).map((k) => process.env[k]);
const urls = (process.env.ASPNETCORE_URLS || '').split(':').pop();
const port = Number((at !== undefined && argv[at + 1]) || process.env.PORT || named[0] || urls || FIXED_PORT);
if (port) {
  http.createServer((req, res) => {
    const me = { ok: true, uid: process.getuid(), cwd: process.cwd(), script: __filename, execArgv: process.execArgv };
    res.end(JSON.stringify(me) + '\n');
  }).listen(port, () => { if (process.send) process.send('ready'); });
} else {
  setInterval(() => {}, 60000);
}
"#;

/// A Node job: writes its files and exits 0.
const NODE_JOB: &str = r#"// Stand-in job laid out by the corpus test (tests/common/project_layout.rs).
'use strict';
const fs = require('fs');
const path = require('path');
for (const file of WRITES) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.appendFileSync(file, `ran ${new Date().toISOString()}\n`);
}
"#;

/// A stand-in for a tool in node_modules/.bin (ts-node, tsx, serve): runs the script
/// given as its first non-option argument (TypeScript fixtures are plain JavaScript) or,
/// without one, serves like [`NODE_HTTP`].
const NODE_BIN: &str = r#"// node_modules/.bin stand-in laid out by the corpus test.
'use strict';
const path = require('path');
const script = process.argv.slice(2).find((a) => /\.(ts|js|cjs)$/.test(a));
if (script) {
  process.argv.splice(1, process.argv.indexOf(script));
  require(path.resolve(script));
} else {
  const fs = require('fs');
  const http = require('http');
  for (const file of WRITES) { fs.mkdirSync(path.dirname(file), { recursive: true }); fs.appendFileSync(file, 'started\n'); }
  const argv = process.argv.slice(2);
  const at = ['--port', '-p', '-l'].map((f) => argv.indexOf(f)).find((i) => i >= 0);
  const port = Number((at !== undefined && argv[at + 1]) || process.env.PORT || FIXED_PORT);
  http.createServer((req, res) => {
    res.end(JSON.stringify({ ok: true, uid: process.getuid(), cwd: process.cwd(), execArgv: process.execArgv }) + '\n');
  }).listen(port);
}
"#;

/// A Python HTTP app, as [`NODE_HTTP`].
const PY_HTTP: &str = r#"# Stand-in app laid out by the corpus test (tests/common/project_layout.rs).
import http.server, json, os, sys, time
for name in WRITES:
    os.makedirs(os.path.dirname(name) or ".", exist_ok=True)
    with open(name, "a") as f:
        f.write("started %d\n" % os.getpid())
argv = sys.argv[1:]
flag = next((argv[i + 1] for i, a in enumerate(argv[:-1]) if a in ("--port", "-p")), None)
named = [v for k, v in os.environ.items() if k.endswith("PORT")]
port = int(flag or os.environ.get("PORT") or (named[0] if named else 0) or FIXED_PORT)

class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        me = {"ok": True, "uid": os.getuid(), "cwd": os.getcwd(), "script": sys.argv[0]}
        body = (json.dumps(me) + "\n").encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

if port:
    http.server.HTTPServer(("0.0.0.0", port), Handler).serve_forever()
else:
    while True:
        time.sleep(60)
"#;
