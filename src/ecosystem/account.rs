//! Local accounts: who owns a folder, a user's home, uid and groups, from the host's
//! user database (`getpwuid_r`, `getpwnam_r`, `getgrouplist`).

use std::ffi::{CStr, CString};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// One local user, as the user database knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// The login name.
    pub name: String,
    /// The uid.
    pub uid: u32,
    /// The primary gid.
    pub gid: u32,
    /// Every group the user is in (the primary one included).
    pub groups: Vec<u32>,
    /// The home folder.
    pub home: PathBuf,
}

/// The account owning `path` (a uid without an account gives `Err` with the uid).
pub fn owner_of(path: &Path) -> Result<Account, String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("{}: {e}", path.display()))?;
    by_uid(meta.uid()).ok_or_else(|| format!("uid {} (owner of {})", meta.uid(), path.display()))
}

/// The account with this uid.
pub fn by_uid(uid: u32) -> Option<Account> {
    lookup(|pwd, buf, result| unsafe {
        libc::getpwuid_r(uid, pwd, buf.as_mut_ptr(), buf.len(), result)
    })
}

/// The account called `name`, or with the uid `name` spells (PM2's `uid: 1000`).
pub fn by_name(name: &str) -> Option<Account> {
    if let Ok(uid) = name.parse::<u32>() {
        return by_uid(uid);
    }
    let c_name = CString::new(name).ok()?;
    lookup(|pwd, buf, result| unsafe {
        libc::getpwnam_r(c_name.as_ptr(), pwd, buf.as_mut_ptr(), buf.len(), result)
    })
}

/// The uid this process runs as.
pub fn current_uid() -> u32 {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() }
}

fn lookup(
    call: impl Fn(*mut libc::passwd, &mut [libc::c_char], *mut *mut libc::passwd) -> libc::c_int,
) -> Option<Account> {
    let mut buf = vec![0 as libc::c_char; 16 * 1024];
    // SAFETY: passwd is plain data; getpw*_r fills it with pointers into `buf`, which
    // outlives every read below.
    let mut pwd: libc::passwd = unsafe { std::mem::zeroed() };
    let mut result: *mut libc::passwd = std::ptr::null_mut();
    if call(&mut pwd, &mut buf, &mut result) != 0 || result.is_null() {
        return None;
    }
    // SAFETY: on success pw_name and pw_dir point to NUL-terminated strings in `buf`.
    let (name, home) = unsafe {
        (
            CStr::from_ptr(pwd.pw_name).to_string_lossy().into_owned(),
            CStr::from_ptr(pwd.pw_dir).to_string_lossy().into_owned(),
        )
    };
    let groups = groups_of(&name, pwd.pw_gid);
    Some(Account {
        name,
        uid: pwd.pw_uid,
        gid: pwd.pw_gid,
        groups,
        home: PathBuf::from(home),
    })
}

fn groups_of(name: &str, gid: u32) -> Vec<u32> {
    let Ok(c_name) = CString::new(name) else {
        return vec![gid];
    };
    let mut count: libc::c_int = 64;
    loop {
        let mut groups = vec![0 as libc::gid_t; count as usize];
        let before = count;
        // SAFETY: `groups` holds `count` entries; getgrouplist writes at most that many
        // and sets `count` to the number needed.
        let found =
            unsafe { libc::getgrouplist(c_name.as_ptr(), gid, groups.as_mut_ptr(), &mut count) };
        if found >= 0 {
            groups.truncate(count.max(0) as usize);
            return groups;
        }
        if count <= before {
            return vec![gid];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_is_found_by_name_and_uid() {
        let root = by_name("root").expect("every host has root");
        assert_eq!(root.uid, 0);
        assert!(root.groups.contains(&root.gid));
        assert_eq!(by_name("0").map(|a| a.name), Some(root.name.clone()));
        assert_eq!(by_uid(0), Some(root));
    }

    #[test]
    fn unknown_users_are_none() {
        assert_eq!(by_name("no-such-user-ecosystemd"), None);
        assert_eq!(by_name("a\0b"), None);
    }
}
