//! `gen-units`: render an ecosystem file, check it, install or remove its units.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use super::BusArgs;

/// Render a PM2 ecosystem file into hardened systemd units.
#[derive(Debug, Parser)]
#[command(
    name = "gen-units",
    version,
    about,
    args_conflicts_with_subcommands = true
)]
pub struct GenUnitsCli {
    /// What to do; without a subcommand, render FILE as a bundle on stdout.
    #[command(subcommand)]
    pub command: Option<GenUnitsCommand>,
}

/// The subcommands of `gen-units`.
#[derive(Debug, Subcommand)]
pub enum GenUnitsCommand {
    /// Install a bundle (from `gen-units FILE`) atomically, replacing only files this
    /// ecosystem owns, removing its units that are no longer in the bundle, then reload.
    Install(InstallArgs),
    /// Stop and remove every unit and file an ecosystem owns, then reload.
    Uninstall(UninstallArgs),
}

/// Where to install: the system manager (default), `/run`, a user's manager, or an image.
#[derive(Debug, Clone, Default, Args)]
pub struct DestinationArgs {
    /// Install into /run/systemd/system (gone on reboot).
    #[arg(long, conflicts_with_all = ["user", "root"])]
    pub runtime: bool,
    /// Install offline under DIR (an image): no D-Bus, no reload.
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
