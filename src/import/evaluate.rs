//! Evaluating an `ecosystem.config.js` with Node.js, as `pm2 start` does, to get the
//! value of its `module.exports` as JSON.
//!
//! The file is code, so it runs boxed in (see [`super::jail`]: as its owner or nobody, no
//! network, the file system read-only but for a scratch `/tmp`, a process and memory
//! limit), with the file's folder as working directory, no standard input and a time
//! limit (`timeout`). Anything the file prints goes to standard error; the result follows
//! a marker line on standard output.

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::diagnostic::{Diagnostic, Location};

use super::jail::{self, Facts, Identity};

/// The line that precedes the JSON result on Node's standard output.
const RESULT_MARKER: &str = "--- ecosystemd import result ---";

/// Loads the file given as first argument like PM2 does (`require`, or `import()` for
/// ES modules) and prints `module.exports` as JSON after [`RESULT_MARKER`]. Values JSON
/// cannot hold (`undefined`, functions, ...) are kept as a one-key object naming their
/// type, so that the import can say what it left out. It exits once the result is
/// written, whatever the file left running.
const SCRIPT: &str = r#"
'use strict';
const path = require('path');
const url = require('url');
const file = path.resolve(process.argv[1]);
const write = process.stdout.write.bind(process.stdout);
for (const name of ['log', 'info', 'debug', 'dir', 'table']) console[name] = console.error;
const MARK = '\u0000ecosystemd-unrepresentable';
const emit = (config) => {
  const replacer = (key, value) => {
    const kind = typeof value;
    if (kind === 'undefined' || kind === 'function' || kind === 'symbol') return { [MARK]: kind };
    if (kind === 'bigint') return value.toString();
    if (kind === 'number' && !Number.isFinite(value)) return { [MARK]: String(value) };
    return value;
  };
  const text = '\n' + process.env.ECOSYSTEMD_RESULT_MARKER + '\n' + JSON.stringify(config, replacer) + '\n';
  // Done once written: processes or timers the file left behind do not hold the import.
  write(text, () => process.exit(0));
};
let config;
let esm = false;
try {
  config = require(file);
} catch (error) {
  if (!error || error.code !== 'ERR_REQUIRE_ESM') throw error;
  esm = true;
}
if (esm) {
  import(url.pathToFileURL(file).href).then((module) => emit(module.default));
} else {
  emit(config);
}
"#;

/// How to run Node.js.
#[derive(Debug, Clone)]
pub struct NodeOptions {
    /// The `node` program (a name looked up in `PATH`, or a path).
    pub program: String,
    /// Kill the evaluation after this long.
    pub timeout: Duration,
}

/// How the evaluation was boxed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Isolation {
    /// In the box of [`super::jail`], as this identity.
    Contained(Identity),
    /// No namespace could be had (unprivileged user namespaces are off): the file ran
    /// with the host's network and file system, under the time limit only.
    None,
}

/// The JSON printed by Node.js, and how it ran.
#[derive(Debug)]
pub struct Evaluated {
    /// `module.exports` as JSON, keys in the file's order.
    pub json: String,
    /// The network isolation used.
    pub isolation: Isolation,
}

/// Evaluates `file` with Node.js; any failure is a located error about `file`.
pub fn evaluate(file: &Path, options: &NodeOptions) -> Result<Evaluated, Diagnostic> {
    let absolute = std::path::absolute(file).map_err(|error| {
        Diagnostic::error(file, None, format!("cannot resolve the path: {error}"))
    })?;
    let folder = absolute.parent().unwrap_or(Path::new("/"));
    if !node_available(&options.program) {
        return Err(Diagnostic::error(
            file,
            None,
            format!("`{}` (Node.js) was not found: it is needed to evaluate a JavaScript ecosystem", options.program),
        )
        .with_hint(
            "install Node.js (apt install nodejs), pass --node PATH, or export the file to JSON where \
             Node.js runs: node -p 'JSON.stringify(require(\"./ecosystem.config.js\"), null, 2)' > ecosystem.json",
        ));
    }
    let program = [
        options.program.clone(),
        "-e".into(),
        SCRIPT.into(),
        absolute.display().to_string(),
    ];
    let facts = Facts::of(&absolute)
        .map_err(|error| Diagnostic::error(file, None, format!("cannot read the file: {error}")))?;
    let isolation = isolation(&facts, folder);
    let line = match isolation {
        Isolation::Contained(identity) => {
            jail::command_line(identity, facts.euid, folder, &program)
        }
        Isolation::None => program.to_vec(),
    };
    // SIGKILL at once: `unshare --fork` ignores SIGTERM, and killing it takes its PID
    // namespace, and so every process the file started, along.
    let mut command = Command::new("timeout");
    command
        .args(["--foreground", "--signal=KILL"])
        .arg(format!("{:.3}s", options.timeout.as_secs_f64()))
        .args(&line)
        .env("ECOSYSTEMD_RESULT_MARKER", RESULT_MARKER)
        .current_dir(folder)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let output = run(command).map_err(|error| {
        Diagnostic::error(
            file,
            None,
            format!("cannot run `{}`: {error}", options.program),
        )
    })?;
    if output.timed_out {
        return Err(Diagnostic::error(
            file,
            None,
            format!(
                "evaluating the file took longer than {} s",
                options.timeout.as_secs_f64()
            ),
        )
        .with_hint(
            "the file must only build its configuration; raise the limit with --timeout SECONDS",
        ));
    }
    if output.code == Some(jail::NOT_READ_ONLY) && !output.success {
        return Err(Diagnostic::error(
            file,
            None,
            "the file was not evaluated: its folder could not be made read-only for it",
        )
        .with_hint(format!(
            "the box said: {}; export the file to JSON where it is safe to run it",
            String::from_utf8_lossy(&output.stderr).trim()
        )));
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    match stdout.rsplit_once(&format!("\n{RESULT_MARKER}\n")) {
        Some((_, json)) if output.success => Ok(Evaluated {
            json: json.trim_end().to_owned(),
            isolation,
        }),
        _ => Err(node_error(
            file,
            &absolute,
            &String::from_utf8_lossy(&output.stderr),
        )),
    }
}

/// Whether `program` can be run at all.
fn node_available(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

/// The box if this process can build it for `facts` (user namespaces may be off for
/// unprivileged users), else none.
fn isolation(facts: &Facts, folder: &Path) -> Isolation {
    let identity = facts.identity();
    let line = jail::command_line(identity, facts.euid, folder, &["true".to_string()]);
    let works = Command::new(&line[0])
        .args(&line[1..])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    if works {
        Isolation::Contained(identity)
    } else {
        Isolation::None
    }
}

/// What a finished run printed.
struct Output {
    success: bool,
    code: Option<i32>,
    timed_out: bool,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
}

/// Runs `command`, reading both pipes to the end.
fn run(mut command: Command) -> std::io::Result<Output> {
    let mut child = command.spawn()?;
    let mut stderr_pipe = child.stderr.take();
    let reader = std::thread::spawn(move || {
        let mut buffer = Vec::new();
        if let Some(pipe) = stderr_pipe.as_mut() {
            // A read error leaves what was read so far, which is all a message needs.
            let _ = pipe.read_to_end(&mut buffer);
        }
        buffer
    });
    let mut stdout = Vec::new();
    if let Some(mut pipe) = child.stdout.take() {
        pipe.read_to_end(&mut stdout)?;
    }
    let status = child.wait()?;
    let stderr = reader.join().unwrap_or_default();
    Ok(Output {
        success: status.success(),
        code: status.code(),
        // timeout(1) exits 137 when it killed the command (124 for a gentler signal).
        timed_out: matches!(status.code(), Some(124 | 137)),
        stdout,
        stderr,
    })
}

/// A located error from what Node.js printed: where its stack first names the file,
/// the error line as message, and Node's own report as hint.
fn node_error(file: &Path, absolute: &Path, stderr: &str) -> Diagnostic {
    let location = locate(stderr, &absolute.to_string_lossy());
    let message = stderr
        .lines()
        .map(str::trim)
        .find(|line| is_error_line(line))
        .unwrap_or("Node.js failed to evaluate the file")
        .to_owned();
    let report: Vec<&str> = stderr
        .lines()
        .filter(|line| {
            !line.trim_start().starts_with("at node:") && !line.contains("(node:internal")
        })
        .take(12)
        .collect();
    Diagnostic::error(
        file,
        location,
        format!("evaluating with Node.js failed: {message}"),
    )
    .with_hint(format!(
        "Node.js said:\n    {}",
        report.join("\n    ").trim_end()
    ))
}

/// Whether `line` is the headline of a JavaScript error (`SyntaxError: ...`).
fn is_error_line(line: &str) -> bool {
    let name: String = line
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric())
        .collect();
    name.ends_with("Error") && line[name.len()..].starts_with([':', ' '])
}

/// The first `PATH:LINE[:COLUMN]` naming `path` in `text`.
fn locate(text: &str, path: &str) -> Option<Location> {
    text.match_indices(path).find_map(|(start, _)| {
        let rest = text[start + path.len()..].strip_prefix(':')?;
        let (line, rest) = leading_number(rest)?;
        let column = rest
            .strip_prefix(':')
            .and_then(leading_number)
            .map_or(0, |(column, _)| column);
        Some(Location::new(line, column))
    })
}

/// The decimal number `text` starts with, and what follows it.
fn leading_number(text: &str) -> Option<(usize, &str)> {
    let end = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    Some((text[..end].parse().ok()?, &text[end..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locates_syntax_errors_by_the_header_line() {
        let stderr = "/srv/app/ecosystem.config.js:3\n    name 'x'\n         ^^^\n\nSyntaxError: Unexpected string\n    at wrapSafe (node:internal/modules/cjs/loader:1464:18)\n";
        assert_eq!(
            locate(stderr, "/srv/app/ecosystem.config.js"),
            Some(Location::new(3, 0))
        );
        let diagnostic = node_error(
            Path::new("ecosystem.config.js"),
            Path::new("/srv/app/ecosystem.config.js"),
            stderr,
        );
        assert_eq!(diagnostic.location, Some(Location::new(3, 0)));
        assert_eq!(
            diagnostic.message,
            "evaluating with Node.js failed: SyntaxError: Unexpected string"
        );
        assert!(
            diagnostic
                .hint
                .as_deref()
                .is_some_and(|hint| !hint.contains("node:internal"))
        );
    }

    #[test]
    fn locates_runtime_errors_by_the_stack() {
        let stderr = "Error: Cannot find module 'nope'\nRequire stack:\n- /srv/a.js\n    at Object.<anonymous> (/srv/a.js:12:11)\n";
        assert_eq!(locate(stderr, "/srv/a.js"), Some(Location::new(12, 11)));
        assert!(is_error_line("Error: Cannot find module 'nope'"));
        assert!(is_error_line("TypeError [ERR_X]: bad"));
        assert!(!is_error_line("Require stack:"));
    }
}
