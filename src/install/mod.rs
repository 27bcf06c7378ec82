//! `gen-units install` and `uninstall`: put a bundle live, safely (the command line,
//! `cli::install`, reads the bundle and reports).
//!
//! The flow, each step its own module: [`destination`] says where files go,
//! [`ownership`] tells ours from foreign, [`diff`] decides what is added, changed and
//! removed (refusing conflicts before anything changes), [`generation`] stages the new
//! set and switches it in with one rename, and [`activate`] tells systemd over D-Bus.

pub mod activate;
pub mod destination;
pub mod diff;
pub mod generation;
pub mod origin;
pub mod ownership;

use anyhow::Context as _;
use thiserror::Error;

use crate::bundle::{Bundle, BundleFile, FileKind, is_valid_name};
use crate::diagnostic::{Causes, EXIT_BAD_INPUT, EXIT_FAILURE};
use crate::systemd::BusTarget;
use crate::systemd::manager_calls::JobFailure;

use activate::Activation;
use destination::{Destination, Layout};
use diff::Diff;
use generation::Checkpoints;

/// How to install.
#[derive(Debug, Clone)]
pub struct Options {
    /// Which folders.
    pub destination: Destination,
    /// Which manager to tell (ignored for `--root`).
    pub bus: BusTarget,
    /// Enable and start the group target, restart changed units.
    pub now: bool,
    /// Print the diff, write nothing.
    pub dry_run: bool,
    /// Replace the group even when it was installed from another ecosystem file.
    pub replace: bool,
}

/// Why an install or uninstall failed.
#[derive(Debug, Error)]
pub enum InstallError {
    /// The input is refused; nothing was changed.
    #[error("{0}")]
    BadInput(String),
    /// Something failed while changing the system.
    #[error("{}", Causes(.0))]
    Failed(#[from] anyhow::Error),
}

impl InstallError {
    /// The process exit status for this error.
    pub fn exit_code(&self) -> i32 {
        match self {
            Self::BadInput(_) => EXIT_BAD_INPUT,
            Self::Failed(_) => EXIT_FAILURE,
        }
    }
}

impl From<std::io::Error> for InstallError {
    fn from(error: std::io::Error) -> Self {
        Self::Failed(error.into())
    }
}

/// What an install did (or, with `--dry-run`, would do).
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The folders used.
    pub layout: Layout,
    /// Every entry added, changed, kept or removed.
    pub diff: Diff,
    /// Jobs systemd did not complete.
    pub failures: Vec<JobFailure>,
}

/// Installs `bundle` per `options`.
pub async fn install(bundle: &Bundle, options: &Options) -> Result<Outcome, InstallError> {
    if bundle.scope != options.destination.scope() {
        return Err(InstallError::BadInput(format!(
            "the bundle was rendered for the {} manager; install it {}",
            bundle.scope.as_str(),
            match bundle.scope {
                crate::bundle::Scope::User => "with --user",
                crate::bundle::Scope::System => "without --user",
            }
        )));
    }
    if !bundle.files.iter().any(|f| f.kind == FileKind::Unit) {
        return Err(InstallError::BadInput(format!(
            "the bundle of ecosystem {} holds no unit; to remove the ecosystem, run `gen-units uninstall {}`",
            bundle.ecosystem, bundle.ecosystem
        )));
    }
    let layout = Layout::new(&options.destination);
    let installed = origin::installed_source(&layout, &bundle.ecosystem)?;
    origin::check(
        &bundle.ecosystem,
        installed.as_deref(),
        origin::bundle_source(bundle).as_deref(),
        options.replace,
    )
    .map_err(InstallError::BadInput)?;
    apply(&bundle.ecosystem, &bundle.files, options).await
}

/// Removes everything `ecosystem` owns at `options`' destination.
pub async fn uninstall(ecosystem: &str, options: &Options) -> Result<Outcome, InstallError> {
    let outcome = apply(ecosystem, &[], options).await?;
    if !options.dry_run {
        generation::remove_group(&outcome.layout, ecosystem).with_context(|| {
            format!(
                "removing {}",
                outcome
                    .layout
                    .host(&outcome.layout.group_dir(ecosystem))
                    .display()
            )
        })?;
    }
    Ok(outcome)
}

async fn apply(
    ecosystem: &str,
    files: &[BundleFile],
    options: &Options,
) -> Result<Outcome, InstallError> {
    if !is_valid_name(FileKind::Unit, ecosystem) {
        return Err(InstallError::BadInput(format!(
            "{ecosystem:?} is not a valid ecosystem name"
        )));
    }
    let layout = Layout::new(&options.destination);
    let bundle = Bundle {
        scope: options.destination.scope(),
        ecosystem: ecosystem.to_string(),
        files: files.to_vec(),
    };
    let compute = || -> Result<Diff, InstallError> {
        Diff::compute(&layout, &bundle)?.map_err(|c| InstallError::BadInput(c.to_string()))
    };
    // Conflicts refuse the install before anything, even the lock file, is created.
    let diff = compute()?;
    if options.dry_run {
        return Ok(Outcome {
            layout,
            diff,
            failures: Vec::new(),
        });
    }
    let generations = layout.host(&layout.group_dir(ecosystem));
    let _lock = generation::lock(&layout, ecosystem)
        .with_context(|| format!("locking {}", generations.display()))?;
    let diff = compute()?;
    let taken: Vec<&BundleFile> = files
        .iter()
        .filter(|f| layout.dir_for(f.kind).is_some())
        .collect();
    generation::switch(
        &layout,
        ecosystem,
        &taken,
        &diff,
        &mut Checkpoints::from_env(),
    )
    .with_context(|| {
        format!(
            "installing into {} (generations in {})",
            layout.host(&layout.unit_dir).display(),
            generations.display()
        )
    })?;
    let failures = if options.destination.is_live() {
        let activation = Activation {
            bus: &options.bus,
            now: options.now,
            runtime: options.destination == Destination::Runtime,
        };
        activate::activate(&activation, &diff, &taken).await?
    } else {
        Vec::new()
    };
    Ok(Outcome {
        layout,
        diff,
        failures,
    })
}

#[cfg(test)]
mod tests {
    use std::fs;
    use std::path::{Path, PathBuf};

    use super::*;
    use crate::bundle::Scope;
    use crate::marker::Marker;

    struct TempRoot(PathBuf);

    impl TempRoot {
        fn new(name: &str) -> Self {
            let dir = std::env::temp_dir()
                .join(format!("ecosystemd-install-{name}-{}", std::process::id()));
            let _ = fs::remove_dir_all(&dir);
            fs::create_dir_all(&dir).unwrap();
            Self(dir)
        }

        fn options(&self) -> Options {
            Options {
                destination: Destination::Root(self.0.clone()),
                bus: BusTarget::System,
                now: false,
                dry_run: false,
                replace: false,
            }
        }

        fn unit(&self, name: &str) -> PathBuf {
            self.0.join("etc/systemd/system").join(name)
        }
    }

    impl Drop for TempRoot {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    fn unit(name: &str, body: &str) -> BundleFile {
        unit_from("/srv/ecosystem.yaml", name, body)
    }

    fn unit_from(source: &str, name: &str, body: &str) -> BundleFile {
        let marker = Marker {
            ecosystem: "agents".into(),
            source: source.into(),
        };
        BundleFile::new(
            FileKind::Unit,
            name.into(),
            0o644,
            format!("{}\n[Service]\nExecStart=/bin/true {body}\n", marker.line()),
        )
    }

    fn bundle(files: Vec<BundleFile>) -> Bundle {
        Bundle {
            scope: Scope::System,
            ecosystem: "agents".into(),
            files,
        }
    }

    fn block<T>(future: impl Future<Output = T>) -> T {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(future)
    }

    fn read(path: &Path, root: &Path) -> String {
        let target = fs::read_link(path).unwrap();
        fs::read_to_string(root.join(target.strip_prefix("/").unwrap())).unwrap()
    }

    #[test]
    fn install_links_units_through_current_and_prunes_removed_ones() {
        let root = TempRoot::new("prune");
        let first = bundle(vec![unit("a.service", "1"), unit("b.service", "1")]);
        block(install(&first, &root.options())).unwrap();
        assert!(read(&root.unit("a.service"), &root.0).ends_with("/bin/true 1\n"));
        assert!(fs::symlink_metadata(root.unit("b.service")).is_ok());

        let second = bundle(vec![unit("a.service", "2")]);
        let outcome = block(install(&second, &root.options())).unwrap();
        assert!(read(&root.unit("a.service"), &root.0).ends_with("/bin/true 2\n"));
        assert!(fs::symlink_metadata(root.unit("b.service")).is_err());
        let actions: Vec<_> = outcome
            .diff
            .changes
            .iter()
            .map(|c| (c.name.as_str(), c.action))
            .collect();
        assert_eq!(
            actions,
            [
                ("a.service", diff::Action::Change),
                ("b.service", diff::Action::Remove)
            ]
        );
        let generations: Vec<_> = fs::read_dir(root.0.join("etc/ecosystemd/generations/agents"))
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| n.parse::<u64>().is_ok())
            .collect();
        assert_eq!(generations, ["2"]);
    }

    #[test]
    fn a_group_installed_from_another_file_is_kept_unless_replaced() {
        let root = TempRoot::new("origin");
        let shop = bundle(vec![unit_from("/srv/shop/pm2.json", "a.service", "shop")]);
        block(install(&shop, &root.options())).unwrap();
        let blog = bundle(vec![unit_from("/srv/blog/pm2.json", "b.service", "blog")]);
        let error = block(install(&blog, &root.options())).unwrap_err();
        assert_eq!(error.exit_code(), EXIT_BAD_INPUT);
        let message = error.to_string();
        assert!(
            message.contains("installed from /srv/shop/pm2.json"),
            "{message}"
        );
        assert!(
            message.contains("rendered from /srv/blog/pm2.json"),
            "{message}"
        );
        assert!(read(&root.unit("a.service"), &root.0).ends_with("shop\n"));
        assert!(fs::symlink_metadata(root.unit("b.service")).is_err());
        // The same file again is an update.
        let shop = bundle(vec![unit_from("/srv/shop/pm2.json", "a.service", "shop 2")]);
        block(install(&shop, &root.options())).unwrap();
        let mut replace = root.options();
        replace.replace = true;
        block(install(&blog, &replace)).unwrap();
        assert!(fs::symlink_metadata(root.unit("a.service")).is_err());
        assert!(read(&root.unit("b.service"), &root.0).ends_with("blog\n"));
    }

    #[test]
    fn foreign_file_of_the_same_name_refuses_everything() {
        let root = TempRoot::new("foreign");
        fs::create_dir_all(root.unit("")).unwrap();
        fs::write(root.unit("a.service"), "[Service]\nExecStart=/bin/mine\n").unwrap();
        let error = block(install(
            &bundle(vec![unit("a.service", "1"), unit("c.service", "1")]),
            &root.options(),
        ))
        .unwrap_err();
        assert_eq!(error.exit_code(), EXIT_BAD_INPUT);
        assert_eq!(
            fs::read_to_string(root.unit("a.service")).unwrap(),
            "[Service]\nExecStart=/bin/mine\n"
        );
        assert!(fs::symlink_metadata(root.unit("c.service")).is_err());
        assert!(!root.0.join("etc/ecosystemd").exists());
    }

    #[test]
    fn foreign_files_elsewhere_in_the_folder_are_never_touched() {
        let root = TempRoot::new("untouched");
        fs::create_dir_all(root.unit("")).unwrap();
        fs::write(root.unit("mine.service"), "[Service]\n").unwrap();
        let other = Marker {
            ecosystem: "others".into(),
            source: "x".into(),
        };
        fs::write(root.unit("theirs.service"), other.line() + "\n").unwrap();
        block(install(
            &bundle(vec![unit("a.service", "1")]),
            &root.options(),
        ))
        .unwrap();
        block(uninstall("agents", &root.options())).unwrap();
        assert!(root.unit("mine.service").exists());
        assert!(root.unit("theirs.service").exists());
        assert!(fs::symlink_metadata(root.unit("a.service")).is_err());
        assert!(!root.0.join("etc/ecosystemd/generations/agents").exists());
    }

    #[test]
    fn owned_regular_files_are_adopted_and_pruned() {
        let root = TempRoot::new("adopt");
        fs::create_dir_all(root.unit("")).unwrap();
        fs::write(root.unit("a.service"), unit("a.service", "old").contents).unwrap();
        fs::write(root.unit("b.service"), unit("b.service", "old").contents).unwrap();
        block(install(
            &bundle(vec![unit("a.service", "new")]),
            &root.options(),
        ))
        .unwrap();
        assert!(read(&root.unit("a.service"), &root.0).ends_with("new\n"));
        assert!(fs::symlink_metadata(root.unit("b.service")).is_err());
    }

    #[test]
    fn dry_run_writes_nothing_and_user_scope_is_checked() {
        let root = TempRoot::new("dry");
        let mut options = root.options();
        options.dry_run = true;
        let outcome = block(install(&bundle(vec![unit("a.service", "1")]), &options)).unwrap();
        assert!(
            outcome
                .diff
                .describe(&outcome.layout)
                .contains("add    /etc/systemd/system/a.service")
        );
        assert!(!root.0.join("etc").exists());
        let mut user = bundle(vec![unit("a.service", "1")]);
        user.scope = Scope::User;
        let error = block(install(&user, &root.options())).unwrap_err();
        assert_eq!(error.exit_code(), EXIT_BAD_INPUT);
        let error = block(install(&bundle(vec![]), &root.options())).unwrap_err();
        assert_eq!(error.exit_code(), EXIT_BAD_INPUT);
        assert!(!root.0.join("etc").exists());
    }

    #[test]
    fn removed_units_lose_their_enablement_links() {
        let root = TempRoot::new("wants");
        block(install(
            &bundle(vec![unit("a.service", "1"), unit("b.service", "1")]),
            &root.options(),
        ))
        .unwrap();
        let wants = root.unit("multi-user.target.wants");
        fs::create_dir_all(&wants).unwrap();
        std::os::unix::fs::symlink("/etc/systemd/system/b.service", wants.join("b.service"))
            .unwrap();
        block(install(
            &bundle(vec![unit("a.service", "1")]),
            &root.options(),
        ))
        .unwrap();
        assert!(fs::symlink_metadata(wants.join("b.service")).is_err());
    }
}
