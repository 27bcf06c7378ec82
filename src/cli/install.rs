//! The `install` and `uninstall` commands: arguments in, exit status out.

use std::io::{IsTerminal as _, Read as _};

use crate::bundle::Bundle;
use crate::cli::gen_units::{DestinationArgs, InstallArgs, UninstallArgs};
use crate::diagnostic::{EXIT_BAD_INPUT, EXIT_FAILURE, EXIT_OK};
use crate::systemd::BusTarget;

use crate::install::destination::Destination;
use crate::install::{self, InstallError, Options, Outcome};

/// Runs `gen-units install`; returns the exit status.
pub fn install(args: &InstallArgs) -> i32 {
    let options = match options(&args.destination, args.now, args.dry_run) {
        Ok(options) => Options {
            replace: args.replace,
            ..options
        },
        Err(error) => return report_error(&error),
    };
    let (source, text) = match read_input(args) {
        Ok(input) => input,
        Err(error) => return report_error(&error),
    };
    let bundle = match Bundle::parse(&text) {
        Ok(bundle) => bundle,
        Err(error) => {
            eprintln!("{source}: error: {error}\n  hint: nothing was changed");
            return EXIT_BAD_INPUT;
        }
    };
    finish(run(install::install(&bundle, &options)), args.dry_run)
}

/// Runs `gen-units uninstall`; returns the exit status.
pub fn uninstall(args: &UninstallArgs) -> i32 {
    match options(&args.destination, false, args.dry_run) {
        Ok(options) => finish(run(install::uninstall(&args.group, &options)), args.dry_run),
        Err(error) => report_error(&error),
    }
}

fn options(args: &DestinationArgs, now: bool, dry_run: bool) -> Result<Options, InstallError> {
    let destination = if let Some(root) = &args.root {
        if !root.is_absolute() {
            return Err(InstallError::BadInput(format!(
                "--root {}: give an absolute path",
                root.display()
            )));
        }
        Destination::Root(root.clone())
    } else if args.bus.user {
        Destination::current_user().ok_or_else(|| {
            InstallError::BadInput("--user: neither XDG_CONFIG_HOME nor HOME is set".into())
        })?
    } else if args.runtime {
        Destination::Runtime
    } else {
        Destination::System
    };
    let bus: BusTarget = args.bus.target();
    Ok(Options {
        destination,
        bus,
        now,
        dry_run,
        replace: false,
    })
}

fn read_input(args: &InstallArgs) -> Result<(String, String), InstallError> {
    let mut bytes = Vec::new();
    let source = match &args.from {
        Some(path) => {
            bytes = std::fs::read(path).map_err(|e| {
                InstallError::BadInput(format!("{}: cannot read the bundle: {e}", path.display()))
            })?;
            path.display().to_string()
        }
        None => {
            if std::io::stdin().is_terminal() {
                return Err(InstallError::BadInput(
                    "no bundle: pipe one in (`gen-units FILE | gen-units install`) or use --from FILE"
                        .into(),
                ));
            }
            std::io::stdin()
                .read_to_end(&mut bytes)
                .map_err(|e| InstallError::BadInput(format!("<stdin>: cannot read: {e}")))?;
            "<stdin>".to_string()
        }
    };
    let text = String::from_utf8(bytes)
        .map_err(|_| InstallError::BadInput(format!("{source}: the bundle is not UTF-8")))?;
    Ok((source, text))
}

fn run<T>(future: impl Future<Output = Result<T, InstallError>>) -> Result<T, InstallError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| InstallError::Failed(e.into()))?
        .block_on(future)
}

fn finish(result: Result<Outcome, InstallError>, dry_run: bool) -> i32 {
    let outcome = match result {
        Ok(outcome) => outcome,
        Err(error) => return report_error(&error),
    };
    for warning in &outcome.diff.warnings {
        eprintln!("warning: {warning}");
    }
    if dry_run {
        print!("{}", outcome.diff.describe(&outcome.layout));
        return EXIT_OK;
    }
    eprint!("{}", outcome.diff.describe(&outcome.layout));
    for failure in &outcome.failures {
        eprintln!("error: {}: {}", failure.unit, failure.result);
    }
    if outcome.failures.is_empty() {
        EXIT_OK
    } else {
        EXIT_FAILURE
    }
}

fn report_error(error: &InstallError) -> i32 {
    match error {
        InstallError::BadInput(_) => eprintln!("error: {error}\n  hint: nothing was changed"),
        InstallError::Failed(_) => eprintln!("error: {error}"),
    }
    error.exit_code()
}
