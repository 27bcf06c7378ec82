//! `gen-units`: render an ecosystem file, check it, install or remove its units.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::{Args, Parser, Subcommand};

use crate::bundle::Scope;
use crate::diagnostic::{Diagnostic, EXIT_BAD_INPUT, EXIT_FAILURE, EXIT_OK, Rejected};
use crate::ecosystem::{self, Ecosystem, LoadOptions};
use crate::plan::{PlanOptions, lint, version};
use crate::render::{self, EnvDir, RenderOptions, Rendered};

/// Render a PM2 ecosystem file into hardened systemd units.
#[derive(Debug, Parser)]
#[command(
    name = "gen-units",
    version,
    about,
    args_conflicts_with_subcommands = true,
    subcommand_negates_reqs = true
)]
pub struct GenUnitsCli {
    /// What to do; without a subcommand, render FILE as a bundle on stdout.
    #[command(subcommand)]
    pub command: Option<GenUnitsCommand>,
    /// Rendering FILE (the default command).
    #[command(flatten)]
    pub render: RenderArgs,
}

/// The subcommands of `gen-units`.
#[derive(Debug, Subcommand)]
pub enum GenUnitsCommand {
    /// Validate and lint FILE; write nothing.
    Check(InputArgs),
}

/// Which ecosystem to read and what to render it for.
#[derive(Debug, Clone, Args)]
pub struct InputArgs {
    /// The ecosystem file (PM2's schema, YAML or JSON).
    #[arg(value_name = "FILE", required = true)]
    pub file: Option<PathBuf>,
    /// Apply each app's `env_NAME` over its `env`, like `pm2 start --env NAME`.
    #[arg(long, value_name = "NAME")]
    pub env: Option<String>,
    /// Render for this systemd version [default: the host's, from `systemctl --version`].
    #[arg(long, value_name = "N")]
    pub systemd_version: Option<u32>,
    /// Treat every warning as an error.
    #[arg(long)]
    pub strict: bool,
    /// Render for a user's manager (`systemctl --user`) instead of the system's.
    #[arg(long)]
    pub user: bool,
}

/// Options of the default command.
#[derive(Debug, Clone, Args)]
pub struct RenderArgs {
    /// The input.
    #[command(flatten)]
    pub input: InputArgs,
    /// Write the files under DIR/unit, DIR/env and DIR/journald instead of a bundle on
    /// stdout.
    #[arg(long, value_name = "DIR")]
    pub output_dir: Option<PathBuf>,
}

/// Runs `gen-units` and returns its exit status.
pub fn run(cli: GenUnitsCli) -> i32 {
    match cli.command {
        Some(GenUnitsCommand::Check(input)) => check(&input),
        None => render_command(&cli.render),
    }
}

/// The render options the flags ask for, with host facts filled in. Notes about
/// them (a guessed systemd version) are returned for printing.
pub fn render_options(input: &InputArgs) -> (RenderOptions, Vec<String>) {
    let mut notes = Vec::new();
    let systemd_version = match input.systemd_version {
        Some(version) => version,
        None => {
            let (version, note) = version::host_version();
            notes.extend(note);
            version
        }
    };
    let host_memory = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|text| lint::parse_meminfo(&text));
    let cpus = std::thread::available_parallelism()
        .map(|n| n.get() as u32)
        .unwrap_or(1);
    let options = RenderOptions {
        plan: PlanOptions {
            systemd_version,
            scope: if input.user {
                Scope::User
            } else {
                Scope::System
            },
            cpus,
            host_memory,
        },
        strict: input.strict,
        env_dir: EnvDir::configuration(),
    };
    (options, notes)
}

/// Loads and renders the ecosystem the flags name.
pub fn load_and_render(input: &InputArgs) -> Result<(Ecosystem, Rendered), Rejected> {
    let file = input.file.as_deref().unwrap_or(Path::new("-"));
    let (options, notes) = render_options(input);
    for note in notes {
        eprintln!("gen-units: note: {note}");
    }
    let ecosystem = ecosystem::load(
        file,
        &LoadOptions {
            env: input.env.clone(),
        },
    )?;
    let rendered = render::render_bundle(&ecosystem, &options)?;
    Ok((ecosystem, rendered))
}

fn print_diagnostics(diagnostics: &[Diagnostic]) {
    for diagnostic in diagnostics {
        eprintln!("{diagnostic}");
    }
}

fn check(input: &InputArgs) -> i32 {
    match load_and_render(input) {
        Ok((ecosystem, rendered)) => {
            print_diagnostics(&rendered.warnings);
            println!(
                "{}: ok: {} apps, {} files; {}",
                ecosystem.source.display(),
                ecosystem.apps.len(),
                rendered.bundle.files.len(),
                rendered.memory
            );
            EXIT_OK
        }
        Err(Rejected(errors)) => {
            print_diagnostics(&errors);
            EXIT_BAD_INPUT
        }
    }
}

fn render_command(args: &RenderArgs) -> i32 {
    let (_, rendered) = match load_and_render(&args.input) {
        Ok(done) => done,
        Err(Rejected(errors)) => {
            print_diagnostics(&errors);
            return EXIT_BAD_INPUT;
        }
    };
    print_diagnostics(&rendered.warnings);
    eprintln!("gen-units: {}", rendered.memory);
    match &args.output_dir {
        Some(dir) => match render::files::write_to_dir(&rendered.bundle, dir) {
            Ok(written) => {
                eprintln!(
                    "gen-units: wrote {} files under {}",
                    written.len(),
                    dir.display()
                );
                EXIT_OK
            }
            Err(error) => {
                eprintln!("gen-units: error: writing under {}: {error}", dir.display());
                EXIT_FAILURE
            }
        },
        None => {
            let mut stdout = std::io::stdout().lock();
            match stdout
                .write_all(rendered.bundle.to_text().as_bytes())
                .and_then(|()| stdout.flush())
            {
                Ok(()) => EXIT_OK,
                Err(error) => {
                    eprintln!("gen-units: error: writing the bundle: {error}");
                    EXIT_FAILURE
                }
            }
        }
    }
}
