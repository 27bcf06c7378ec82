//! Which ecosystem file a group comes from. Two projects may give the same group
//! name (two `pm2.json` files in folders of the same name, or the same `group:`);
//! installing one must not replace and prune the other's units. Every file written
//! carries its source file in the ownership marker, so the installed group's source
//! is read back from one of its files and compared with the bundle's.

use std::io;
use std::path::Path;

use crate::bundle::Bundle;
use crate::marker::Marker;

use super::destination::Layout;
use super::ownership;

/// The ecosystem file `bundle` was rendered from, as its first marked file says.
pub fn bundle_source(bundle: &Bundle) -> Option<String> {
    bundle
        .files
        .iter()
        .find_map(|file| Marker::parse(&file.contents))
        .map(|marker| marker.source)
}

/// The ecosystem file the group `ecosystem` installed at `layout` was rendered
/// from, as the marker of one of its files says; `None` when nothing is installed.
pub fn installed_source(layout: &Layout, ecosystem: &str) -> io::Result<Option<String>> {
    for (kind, name) in ownership::owned_entries(layout, ecosystem)? {
        let marker = ownership::current_contents(layout, kind, &name)
            .as_deref()
            .and_then(Marker::parse);
        if let Some(marker) = marker {
            return Ok(Some(marker.source));
        }
    }
    Ok(None)
}

/// Refuses installing group `ecosystem` from `incoming` over the same group
/// installed from another file (`installed`), unless `replace`. The message names
/// both files and the ways out. Only absolute paths are compared: markers written
/// before they were absolute (or from standard input) cannot tell, and do not refuse.
pub fn check(
    ecosystem: &str,
    installed: Option<&str>,
    incoming: Option<&str>,
    replace: bool,
) -> Result<(), String> {
    let absolute = |path: &&str| Path::new(path).is_absolute();
    match (installed.filter(absolute), incoming.filter(absolute)) {
        (Some(installed), Some(incoming)) if installed != incoming && !replace => Err(format!(
            "ecosystem {ecosystem} is installed from {installed}; this bundle was rendered from {incoming}, and installing it would replace and remove that file's units\n  \
             hint: give this file a group of its own (`group: NAME` in it), or pass --replace to replace the installed group"
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn another_files_group_is_refused_unless_replaced() {
        let shop = Some("/srv/shop/pm2.json");
        let blog = Some("/srv/blog/pm2.json");
        let error = check("pm2", shop, blog, false).unwrap_err();
        assert!(
            error.contains("ecosystem pm2 is installed from /srv/shop/pm2.json"),
            "{error}"
        );
        assert!(
            error.contains("rendered from /srv/blog/pm2.json"),
            "{error}"
        );
        assert!(error.contains("--replace"), "{error}");
        assert!(error.contains("`group: NAME`"), "{error}");
        assert_eq!(check("pm2", shop, blog, true), Ok(()));
        assert_eq!(check("pm2", shop, shop, false), Ok(()));
        assert_eq!(check("pm2", None, blog, false), Ok(()));
        assert_eq!(check("pm2", shop, None, false), Ok(()));
        assert_eq!(check("pm2", Some("pm2.json"), blog, false), Ok(()));
    }

    #[test]
    fn the_bundles_source_is_its_markers() {
        let marker = Marker {
            ecosystem: "shop".into(),
            source: "/srv/shop/pm2.json".into(),
        };
        let bundle = Bundle {
            scope: crate::bundle::Scope::System,
            ecosystem: "shop".into(),
            files: vec![crate::bundle::BundleFile::new(
                crate::bundle::FileKind::Unit,
                "shop.target".into(),
                0o644,
                format!("{}\n[Unit]\n", marker.line()),
            )],
        };
        assert_eq!(
            bundle_source(&bundle).as_deref(),
            Some("/srv/shop/pm2.json")
        );
    }
}
