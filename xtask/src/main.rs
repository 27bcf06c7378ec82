//! Build-time tasks that need the command-line definitions but must not weigh on the
//! runtime binaries.
//!
//! - `cargo xtask assets DIR` stages, under `DIR/root/` and at their install paths, the
//!   files the Debian package takes beside the binaries: a man page per command and
//!   subcommand, completions for bash, zsh and fish, the units in `units/` and the
//!   polkit rules in `packaging/polkit/` (whichever of those exist), the Ansible
//!   collection of `ansible/` (under `usr/share/ecosystemd/ansible/`); and in
//!   `DIR/debian/` the maintainer scripts of `packaging/debian/`, with `#UNITS#`
//!   replaced by the names of the units shipped (as debhelper fills `#UNITFILES#`).
//! - `cargo xtask deb [ARGS]` stages into `target/assets` and runs `cargo deb ARGS`.
//!
//! Man pages and completions come from the clap definitions in `ecosystemd::cli`, walked
//! at run time, so new subcommands and flags appear without touching this file.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command as Process;

use anyhow::{Context, Result, bail};
use clap::{Command, CommandFactory};
use clap_complete::Shell;
use ecosystemd::cli::gen_units::GenUnitsCli;
use ecosystemd::cli::unit_watchdog::UnitWatchdogCli;

/// The manual every page belongs to (the centre of `man`'s header line).
const MANUAL: &str = "ecosystemd manual";

/// Where `cargo xtask deb` stages, relative to the workspace root; the package's assets
/// in Cargo.toml read from `target/assets/root/`.
const DEB_ASSETS: &str = "target/assets";

/// Marks a folder as written by this tool, so that restaging may empty it.
const STAMP: &str = ".xtask-assets";

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.split_first() {
        Some((task, [dir])) if task == "assets" => stage(Path::new(dir)),
        Some((task, rest)) if task == "deb" => {
            stage(&workspace_root().join(DEB_ASSETS))?;
            cargo_deb(rest)
        }
        _ => bail!("usage: cargo xtask assets DIR | cargo xtask deb [CARGO-DEB ARGS]"),
    }
}

/// The workspace root: the parent of this crate's folder.
fn workspace_root() -> PathBuf {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest_dir.parent().unwrap_or(manifest_dir).to_path_buf()
}

/// The command-line definition of every installed binary.
fn binaries() -> Vec<Command> {
    vec![GenUnitsCli::command(), UnitWatchdogCli::command()]
}

/// Stages every generated or optional package file under `dir/root/`.
fn stage(dir: &Path) -> Result<()> {
    prepare(dir)?;
    let root = dir.join("root");
    let man_dir = create_dir(&root.join("usr/share/man/man1"))?;
    for binary in binaries() {
        write_man_pages(binary, &man_dir)?;
    }
    for shell in [Shell::Bash, Shell::Zsh, Shell::Fish] {
        let shell_dir = create_dir(&root.join(completion_dir(shell)))?;
        for mut binary in binaries() {
            let name = binary.get_name().to_owned();
            let path = shell_dir.join(completion_file_name(shell, &name));
            let mut file = create(&path)?;
            clap_complete::generate(shell, &mut binary, &name, &mut file);
            file.flush()
                .with_context(|| format!("writing {}", path.display()))?;
        }
    }
    let sources = workspace_root();
    let units = copy_matching(
        &sources.join("units"),
        &[".service", ".timer", ".path", ".socket"],
        &root.join("usr/lib/systemd/system"),
    )?;
    write_maintainer_scripts(
        &sources.join("packaging/debian"),
        &units,
        &dir.join("debian"),
    )?;
    copy_matching(
        &sources.join("packaging/polkit"),
        &[".rules"],
        &root.join("usr/share/polkit-1/rules.d"),
    )?;
    copy_tree(
        &sources.join("ansible"),
        &root.join("usr/share/ecosystemd/ansible"),
    )?;
    println!(
        "staged man pages, completions and units in {}",
        root.display()
    );
    Ok(())
}

/// Runs `cargo deb` from the workspace root with `args`.
fn cargo_deb(args: &[String]) -> Result<()> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Process::new(cargo)
        .arg("deb")
        .args(args)
        .current_dir(workspace_root())
        .status()
        .context("running `cargo deb` (install it with `cargo install --locked cargo-deb`)")?;
    if !status.success() {
        bail!("`cargo deb` failed: {status}");
    }
    Ok(())
}

/// Where each shell's completion loader looks, under the root of the file system.
fn completion_dir(shell: Shell) -> &'static str {
    match shell {
        Shell::Zsh => "usr/share/zsh/vendor-completions",
        Shell::Fish => "usr/share/fish/vendor_completions.d",
        _ => "usr/share/bash-completion/completions",
    }
}

/// The file each shell's loader expects for `name`: bash's loads `completions/NAME`,
/// zsh's `_NAME` from its fpath, fish's `NAME.fish`.
fn completion_file_name(shell: Shell, name: &str) -> String {
    match shell {
        Shell::Zsh => format!("_{name}"),
        Shell::Fish => format!("{name}.fish"),
        _ => name.to_owned(),
    }
}

/// Writes the page of `command` (section 1) and, recursively, one page per visible
/// subcommand, named like `gen-units-install.1`.
fn write_man_pages(command: Command, dir: &Path) -> Result<()> {
    let mut command = command.disable_help_subcommand(true);
    command.build();
    let source = format!("ecosystemd {}", command.get_version().unwrap_or_default());
    write_man_page_tree(command, &source, dir)
}

/// Writes the pages of `command` and its subcommands; `source` names the software and
/// its version (the left of `man`'s footer line).
fn write_man_page_tree(command: Command, source: &str, dir: &Path) -> Result<()> {
    for subcommand in command.get_subcommands().filter(|s| !s.is_hide_set()) {
        write_man_page_tree(subcommand.clone(), source, dir)?;
    }
    let man = clap_mangen::Man::new(command)
        .date(release_date())
        .source(source)
        .manual(MANUAL);
    let path = dir.join(man.get_filename());
    let mut file = create(&path)?;
    man.render(&mut file)
        .and_then(|()| file.flush())
        .with_context(|| format!("writing {}", path.display()))
}

/// The date printed in man pages: `SOURCE_DATE_EPOCH` when set (reproducible builds),
/// else today, as `YYYY-MM-DD`.
fn release_date() -> String {
    let seconds = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|epoch| epoch.trim().parse::<u64>().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |elapsed| elapsed.as_secs())
        });
    let (year, month, day) = civil_date(seconds / 86_400);
    format!("{year:04}-{month:02}-{day:02}")
}

/// The proleptic Gregorian date of a day counted from 1970-01-01 (Howard Hinnant's
/// `civil_from_days`).
fn civil_date(days_since_epoch: u64) -> (u64, u64, u64) {
    let z = days_since_epoch + 719_468;
    let era = z / 146_097;
    let day_of_era = z % 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

/// Writes each maintainer script of `from` into `to` with `#UNITS#` replaced by `units`,
/// space-separated, keeping it executable.
fn write_maintainer_scripts(from: &Path, units: &[String], to: &Path) -> Result<()> {
    create_dir(to)?;
    for script in ["preinst", "postinst", "prerm", "postrm"] {
        let source = from.join(script);
        if !source.exists() {
            continue;
        }
        let text =
            fs::read_to_string(&source).with_context(|| format!("reading {}", source.display()))?;
        let target = to.join(script);
        fs::write(&target, text.replace("#UNITS#", &units.join(" ")))
            .with_context(|| format!("writing {}", target.display()))?;
        let mode = fs::metadata(&source)?.permissions();
        fs::set_permissions(&target, mode)
            .with_context(|| format!("chmod {}", target.display()))?;
    }
    Ok(())
}

/// Copies the folder `from` into `to`, files and folders alike, but Python's byte code
/// (`__pycache__`, left by running the Ansible collection from the source tree).
fn copy_tree(from: &Path, to: &Path) -> Result<()> {
    create_dir(to)?;
    let entries = fs::read_dir(from).with_context(|| format!("reading {}", from.display()))?;
    for entry in entries {
        let entry = entry.with_context(|| format!("reading {}", from.display()))?;
        let name = entry.file_name();
        let (source, target) = (from.join(&name), to.join(&name));
        if name == "__pycache__" || name.to_string_lossy().ends_with(".pyc") {
            continue;
        }
        if entry.file_type().is_ok_and(|kind| kind.is_dir()) {
            copy_tree(&source, &target)?;
        } else {
            fs::copy(&source, &target)
                .with_context(|| format!("copying {} to {}", source.display(), target.display()))?;
        }
    }
    Ok(())
}

/// Copies the files of `from` whose names end in one of `suffixes` into `to`, and
/// returns their names, sorted; a missing `from` copies nothing.
fn copy_matching(from: &Path, suffixes: &[&str], to: &Path) -> Result<Vec<String>> {
    let Ok(entries) = fs::read_dir(from) else {
        return Ok(Vec::new());
    };
    let mut names: Vec<_> = entries
        .filter_map(|entry| entry.ok())
        .filter(|entry| entry.file_type().is_ok_and(|kind| kind.is_file()))
        .map(|entry| entry.file_name())
        .filter(|name| {
            let name = name.to_string_lossy();
            suffixes.iter().any(|suffix| name.ends_with(suffix))
        })
        .collect();
    names.sort();
    for name in &names {
        create_dir(to)?;
        let (source, target) = (from.join(name), to.join(name));
        fs::copy(&source, &target)
            .with_context(|| format!("copying {} to {}", source.display(), target.display()))?;
    }
    Ok(names
        .into_iter()
        .map(|name| name.to_string_lossy().into_owned())
        .collect())
}

/// Empties `dir` for a fresh staging, refusing a non-empty folder this tool did not
/// write (so a mistyped DIR never deletes anything else).
fn prepare(dir: &Path) -> Result<()> {
    if dir.exists() {
        let empty = fs::read_dir(dir)
            .with_context(|| format!("reading {}", dir.display()))?
            .next()
            .is_none();
        if !empty && !dir.join(STAMP).exists() {
            bail!(
                "{} is not empty and was not written by `cargo xtask assets`: choose another folder",
                dir.display()
            );
        }
        fs::remove_dir_all(dir).with_context(|| format!("emptying {}", dir.display()))?;
    }
    create_dir(dir)?;
    create(&dir.join(STAMP)).map(drop)
}

fn create_dir(dir: &Path) -> Result<PathBuf> {
    fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    Ok(dir.to_path_buf())
}

fn create(path: &Path) -> Result<fs::File> {
    fs::File::create(path).with_context(|| format!("creating {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example the package installs in /etc/ecosystemd/ is a valid ecosystem.
    #[test]
    fn shipped_example_is_a_valid_ecosystem() {
        let example = workspace_root().join("packaging/etc/ecosystem.yaml.example");
        let text = fs::read_to_string(&example).expect("example");
        let bin = std::env::temp_dir().join(format!("xtask-bin-{}", std::process::id()));
        fs::create_dir_all(&bin).expect("bin folder");
        let node = bin.join("node");
        fs::write(&node, "#!/bin/sh\n").expect("stub");
        fs::set_permissions(&node, std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .expect("chmod");
        let as_yaml = Path::new("/etc/ecosystemd/example.yaml");
        let options = ecosystemd::ecosystem::LoadOptions::default();
        let ecosystem = ecosystemd::ecosystem::parse_with_search_path(
            &text,
            as_yaml,
            &options,
            bin.as_os_str(),
        )
        .unwrap_or_else(|rejected| panic!("{rejected}"));
        fs::remove_dir_all(&bin).expect("cleanup");
        let names: Vec<&str> = ecosystem.apps.iter().map(|app| app.name.as_str()).collect();
        assert_eq!(names, ["api", "nightly-report"]);
        assert_eq!(ecosystem.apps[0].max_memory, Some(300 * 1024 * 1024));
    }

    #[test]
    fn civil_date_matches_known_days() {
        assert_eq!(civil_date(0), (1970, 1, 1));
        assert_eq!(civil_date(11_016), (2000, 2, 29));
        assert_eq!(civil_date(20_415), (2025, 11, 23));
    }

    /// Every visible command and subcommand of every binary gets a page, and every
    /// binary a completion for each shell, whatever subcommands the CLI grows.
    #[test]
    fn staging_covers_every_command_and_shell() {
        let dir = std::env::temp_dir().join(format!("xtask-assets-{}", std::process::id()));
        stage(&dir).expect("staging");
        let root = dir.join("root");
        for binary in binaries() {
            let mut binary = binary.disable_help_subcommand(true);
            binary.build();
            let mut pending = vec![binary.clone()];
            while let Some(command) = pending.pop() {
                let name = command.get_display_name().unwrap_or(command.get_name());
                let page = root.join(format!("usr/share/man/man1/{name}.1"));
                let text = fs::read_to_string(&page).expect("man page");
                assert!(text.contains(".SH NAME"), "{}", page.display());
                pending.extend(
                    command
                        .get_subcommands()
                        .filter(|s| !s.is_hide_set())
                        .cloned(),
                );
            }
            for shell in [Shell::Bash, Shell::Zsh, Shell::Fish] {
                let name = completion_file_name(shell, binary.get_name());
                let file = root.join(completion_dir(shell)).join(name);
                let text = fs::read_to_string(&file).expect("completion");
                assert!(text.contains(binary.get_name()), "{}", file.display());
            }
        }
        let mut units: Vec<String> = fs::read_dir(root.join("usr/lib/systemd/system"))
            .map(|entries| {
                entries
                    .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        units.sort();
        for script in ["postinst", "prerm", "postrm"] {
            let text = fs::read_to_string(dir.join("debian").join(script)).expect("script");
            assert!(
                text.contains(&format!("UNITS=\"{}\"\n", units.join(" "))),
                "{script}"
            );
            assert!(!text.contains("#UNITS#"), "{script}");
        }
        fs::remove_dir_all(&dir).expect("cleanup");
    }
}
