//! `gen-units`: render an ecosystem file, check it, install or remove its units.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::{Args, Parser, Subcommand};

use crate::bundle::Scope;
use crate::cli::BusArgs;
use crate::diagnostic::{Diagnostic, EXIT_BAD_INPUT, EXIT_FAILURE, EXIT_OK, Rejected};
use crate::ecosystem::hosts::{self, HostSelection};
use crate::ecosystem::inventory::Inventory;
use crate::ecosystem::{self, Ecosystem, LoadOptions, Lookups};
use crate::render::{self, RenderOptions, Rendered};

/// Render a PM2 ecosystem file into hardened systemd units.
#[derive(Debug, Parser)]
#[command(
    name = "gen-units",
    version,
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
    /// Install a bundle (from `gen-units FILE`) atomically, replacing only files this
    /// ecosystem owns, removing its units that are no longer in the bundle, then reload.
    Install(InstallArgs),
    /// Stop and remove every unit and file an ecosystem owns, then reload.
    Uninstall(UninstallArgs),
    /// Run as a systemd generator: render every /etc/ecosystemd/*.yaml and *.json into
    /// NORMAL_DIR (what systemd does on boot and daemon-reload).
    Generator(GeneratorArgs),
    /// Convert a PM2 ecosystem file into an annotated ecosystem.yaml.
    ///
    /// Reads ecosystem.config.js (also .cjs and .mjs), .json, .json5 or .yaml and
    /// writes the same apps as YAML, with a comment above each attribute whose meaning
    /// changes under systemd.
    Import(ImportArgs),
}

/// Where to install: the system manager (default), `/run`, a user's manager, or an image.
#[derive(Debug, Clone, Default, Args)]
pub struct DestinationArgs {
    /// Use the runtime unit folder, /run/systemd/system (gone on reboot).
    #[arg(long, conflicts_with_all = ["user", "root"])]
    pub runtime: bool,
    /// Work offline on the image rooted at DIR: no D-Bus, no reload.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["user", "address"])]
    pub root: Option<PathBuf>,
    /// The manager to tell (`--user` also installs into ~/.config/systemd/user).
    #[command(flatten)]
    pub bus: BusArgs,
}

/// `gen-units install`.
#[derive(Debug, Clone, Args)]
pub struct InstallArgs {
    /// Read the bundle from FILE instead of stdin.
    #[arg(long, value_name = "FILE")]
    pub from: Option<PathBuf>,
    /// Where to install.
    #[command(flatten)]
    pub destination: DestinationArgs,
    /// Enable and start the group target, and restart units whose files changed.
    #[arg(long)]
    pub now: bool,
    /// Print what would be added, changed and removed; write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Replace the group even when it was installed from another ecosystem file.
    #[arg(long)]
    pub replace: bool,
}

/// `gen-units uninstall`.
#[derive(Debug, Clone, Args)]
pub struct UninstallArgs {
    /// Where the ecosystem is installed.
    #[command(flatten)]
    pub destination: DestinationArgs,
    /// Print what would be removed; remove nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// The ecosystem's group name (as in `# ecosystemd bundle 1 ... ecosystem=GROUP`).
    pub group: String,
}

/// `gen-units generator`: the folders systemd passes to a generator.
#[derive(Debug, Clone, Args)]
pub struct GeneratorArgs {
    /// The folder for normal-priority units.
    pub normal_dir: PathBuf,
    /// The early folder (unused).
    pub early_dir: Option<PathBuf>,
    /// The late folder (unused).
    pub late_dir: Option<PathBuf>,
}

/// Arguments of `gen-units import`.
#[derive(Debug, Clone, Args)]
#[command(
    after_help = "JavaScript files are evaluated with Node.js, as `pm2 start` does, in \
    the file's folder, boxed in: as the file's owner (or nobody), without network, every \
    file system read-only but a scratch /tmp, with a process, memory and time limit. \
    JSON and YAML files are read directly."
)]
pub struct ImportArgs {
    /// The PM2 ecosystem file.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Write the YAML to this file instead of standard output.
    #[arg(short, long, value_name = "OUT")]
    pub output: Option<PathBuf>,
    /// The Node.js program that evaluates JavaScript files.
    #[arg(long, value_name = "PROGRAM", default_value = "node")]
    pub node: String,
    /// Stop evaluating a JavaScript file after this many seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 10.0)]
    pub timeout: f64,
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
    /// Resolve relative `script` and `cwd` against DIR (the folder `pm2 start` ran
    /// in) [default: the file's `base_dir:`, else the file's folder, then the nearest
    /// folder above it holding package.json or .git].
    #[arg(long, value_name = "DIR")]
    pub base_dir: Option<PathBuf>,
    /// Render for another host: look up no script, command, user or permission here.
    #[arg(long)]
    pub portable: bool,
    /// Which host of a fleet to render for.
    #[command(flatten)]
    pub fleet: HostArgs,
}

/// Which host of a fleet to render for (`hosts:` in the ecosystem file).
#[derive(Debug, Clone, Default, Args)]
pub struct HostArgs {
    /// Render HOST's apps only: those whose `hosts:` name HOST or one of its groups
    /// (apps without `hosts:` run on every host).
    #[arg(long, value_name = "HOST")]
    pub host: Option<String>,
    /// A group HOST belongs to (repeatable), beside those the inventory says.
    #[arg(long = "host-group", value_name = "GROUP", requires = "host")]
    pub host_groups: Vec<String>,
    /// The fleet's hosts and groups, as JSON from `ansible-inventory -i INVENTORY
    /// --list` (or a play's `groups`): every `hosts:` name must be one of them and
    /// every app must land on a host. `check` without --host checks every host.
    #[arg(long, value_name = "FILE")]
    pub inventory: Option<PathBuf>,
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

/// Parses the command line; invoked as `ecosystemd-generator NORMAL [EARLY LATE]`
/// (argv\[0\], a link in a generator folder), it is `gen-units generator ...`.
pub fn parse_invocation() -> GenUnitsCli {
    let mut args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let invoked_as = args
        .first()
        .and_then(|arg0| Path::new(arg0).file_name())
        .map(|name| name == crate::generator::GENERATOR_NAME)
        .unwrap_or(false);
    if invoked_as {
        args.splice(0..1, ["gen-units".into(), "generator".into()]);
    }
    GenUnitsCli::parse_from(args)
}

/// Runs `gen-units` and returns its exit status.
pub fn run(cli: GenUnitsCli) -> i32 {
    match cli.command {
        Some(GenUnitsCommand::Check(input)) => check(&input),
        Some(GenUnitsCommand::Install(args)) => crate::cli::install::install(&args),
        Some(GenUnitsCommand::Uninstall(args)) => crate::cli::install::uninstall(&args),
        Some(GenUnitsCommand::Generator(args)) => generator(&args),
        Some(GenUnitsCommand::Import(args)) => crate::cli::import::run(&args),
        None => render_command(&cli.render),
    }
}

/// The render options the flags ask for, with host facts filled in. Notes about
/// them (a guessed systemd version) are returned for printing.
pub fn render_options(input: &InputArgs) -> (RenderOptions, Vec<String>) {
    let scope = if input.user {
        Scope::User
    } else {
        Scope::System
    };
    RenderOptions::for_host(input.systemd_version, scope, input.strict)
}

/// Loads and renders the ecosystem the flags name (for `--host`, that host's apps).
pub fn load_and_render(input: &InputArgs) -> Result<(Ecosystem, Rendered), Rejected> {
    let (options, notes) = render_options(input);
    for note in notes {
        eprintln!("gen-units: note: {note}");
    }
    let ecosystem = load(input)?;
    let selection = host_selection(&input.fleet)?;
    let ecosystem = hosts::place(ecosystem, selection.as_ref())?;
    let rendered = render::render_bundle(&ecosystem, &options)?;
    Ok((ecosystem, rendered))
}

/// The host `--host` chose, with the inventory `--inventory` names.
fn host_selection(args: &HostArgs) -> Result<Option<HostSelection>, Rejected> {
    let Some(host) = &args.host else {
        return Ok(None);
    };
    Ok(Some(HostSelection {
        host: host.clone(),
        groups: args.host_groups.clone(),
        inventory: read_inventory(args)?,
    }))
}

fn read_inventory(args: &HostArgs) -> Result<Option<Inventory>, Rejected> {
    args.inventory
        .as_deref()
        .map(Inventory::load)
        .transpose()
        .map_err(|diagnostic| Rejected(vec![diagnostic]))
}

/// Reads the ecosystem file the flags name.
fn load(input: &InputArgs) -> Result<Ecosystem, Rejected> {
    let file = input.file.as_deref().unwrap_or(Path::new("-"));
    ecosystem::load(
        file,
        &LoadOptions {
            env: input.env.clone(),
            base_dir: input.base_dir.clone(),
            lookups: if input.portable {
                Lookups::Portable
            } else {
                Lookups::Host
            },
        },
    )
}

fn generator(args: &GeneratorArgs) -> i32 {
    match crate::generator::run(&args.normal_dir) {
        Ok(_) => EXIT_OK,
        Err(_) => EXIT_FAILURE,
    }
}

fn print_diagnostics(diagnostics: &[Diagnostic]) {
    for diagnostic in diagnostics {
        eprintln!("{diagnostic}");
    }
}

fn check(input: &InputArgs) -> i32 {
    if input.fleet.host.is_none() && input.fleet.inventory.is_some() {
        return check_fleet(input);
    }
    match load_and_render(input) {
        Ok((ecosystem, rendered)) => {
            print_diagnostics(&rendered.warnings);
            for app in &ecosystem.apps {
                for found in &app.found_programs {
                    eprintln!("gen-units: info: {}: {found}", app.name);
                }
            }
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

/// `check --inventory FILE` without `--host`: the placement, then every host's bundle.
fn check_fleet(input: &InputArgs) -> i32 {
    let loaded = read_inventory(&input.fleet).and_then(|inventory| Ok((load(input)?, inventory)));
    let (mut ecosystem, Some(inventory)) = (match loaded {
        Ok(loaded) => loaded,
        Err(Rejected(errors)) => {
            print_diagnostics(&errors);
            return EXIT_BAD_INPUT;
        }
    }) else {
        return EXIT_BAD_INPUT;
    };
    let errors = hosts::check_placement(&ecosystem, &inventory);
    if !errors.is_empty() {
        print_diagnostics(&errors);
        return EXIT_BAD_INPUT;
    }
    // The file's own warnings once, not once per host.
    print_diagnostics(&std::mem::take(&mut ecosystem.warnings));
    let (options, notes) = render_options(input);
    for note in notes {
        eprintln!("gen-units: note: {note}");
    }
    let mut status = EXIT_OK;
    for host in &inventory.hosts {
        let selection = HostSelection {
            host: host.clone(),
            groups: Vec::new(),
            inventory: Some(inventory.clone()),
        };
        let rendered = hosts::place(ecosystem.clone(), Some(&selection))
            .and_then(|placed| Ok((render::render_bundle(&placed, &options)?, placed)));
        match rendered {
            Ok((rendered, placed)) => {
                print_diagnostics(&rendered.warnings);
                println!(
                    "{}: host {host}: ok: {} apps, {} files; {}",
                    ecosystem.source.display(),
                    placed.apps.len(),
                    rendered.bundle.files.len(),
                    rendered.memory
                );
            }
            Err(Rejected(errors)) => {
                eprintln!("gen-units: host {host}:");
                print_diagnostics(&errors);
                status = EXIT_BAD_INPUT;
            }
        }
    }
    status
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
