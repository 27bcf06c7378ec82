//! `gen-units import` on the command line: flags into a request, diagnostics to
//! standard error, the YAML to standard output or `--output`, and the exit status.

use std::io::Write as _;
use std::time::Duration;

use crate::cli::gen_units::ImportArgs;
use crate::diagnostic::{EXIT_BAD_INPUT, EXIT_FAILURE, EXIT_OK};
use crate::import::{self, NodeOptions, Request};

/// Runs `gen-units import` and returns the exit status.
pub fn run(args: &ImportArgs) -> i32 {
    if !(args.timeout.is_finite() && args.timeout > 0.0 && args.timeout <= 3600.0) {
        eprintln!("error: --timeout must be a number of seconds between 0 and 3600");
        return EXIT_BAD_INPUT;
    }
    let request = Request {
        file: args.file.clone(),
        output: args.output.clone(),
        node: NodeOptions {
            program: args.node.clone(),
            timeout: Duration::from_secs_f64(args.timeout),
        },
        run_dir: std::env::current_dir().ok(),
    };
    let imported = match import::import_for(&request) {
        Ok(imported) => imported,
        Err(rejected) => {
            eprintln!("{rejected}");
            return EXIT_BAD_INPUT;
        }
    };
    for warning in &imported.warnings {
        eprintln!("{warning}");
    }
    let written = match &args.output {
        Some(output) => import::write_atomically(output, imported.yaml.as_bytes()),
        None => std::io::stdout().lock().write_all(imported.yaml.as_bytes()),
    };
    match written {
        Ok(()) => EXIT_OK,
        Err(error) => {
            let target = args
                .output
                .as_ref()
                .map_or("standard output".to_owned(), |p| p.display().to_string());
            eprintln!("error: cannot write {target}: {error}");
            EXIT_FAILURE
        }
    }
}
