//! Writing a bundle as files (`gen-units --output-dir DIR`): each file under
//! `DIR/<kind>/<name>` with its mode, written to a temporary name first and renamed
//! into place, so no reader ever sees half a file.

use std::fs;
use std::io::{self, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use crate::bundle::{Bundle, is_valid_name};

/// Writes every file of `bundle` under `dir`; returns the paths written.
pub fn write_to_dir(bundle: &Bundle, dir: &Path) -> io::Result<Vec<PathBuf>> {
    for file in &bundle.files {
        if !is_valid_name(file.kind, &file.name) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("unsafe file name {:?}", file.name),
            ));
        }
    }
    let mut written = Vec::with_capacity(bundle.files.len());
    for file in &bundle.files {
        let path = dir.join(file.kind.as_str()).join(&file.name);
        let parent = path.parent().unwrap_or(dir);
        fs::create_dir_all(parent)?;
        let temporary = parent.join(format!(
            ".{}.tmp-{}",
            path.file_name()
                .map(|n| n.to_string_lossy())
                .unwrap_or_default(),
            std::process::id()
        ));
        let mut out = fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(file.mode)
            .open(&temporary)?;
        out.write_all(file.contents.as_bytes())?;
        out.sync_all()?;
        fs::set_permissions(&temporary, fs::Permissions::from_mode(file.mode))?;
        fs::rename(&temporary, &path)?;
        written.push(path);
    }
    Ok(written)
}
