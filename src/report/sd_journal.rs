//! Reading the journal in this process through systemd's own library, `libsystemd.so.0`
//! (its `sd-journal` calls), loaded when first needed. The entries are those `journalctl`
//! would print for the same matches; the program itself costs more to start than the
//! query (some 5 ms of CPU, most of it linking its libraries) and a process of its own.

use std::ffi::{CStr, CString, c_char, c_int, c_void};
use std::io;
use std::sync::OnceLock;

/// `SD_JOURNAL_LOCAL_ONLY`: entries of this machine only (`journalctl` without `--merge`).
const LOCAL_ONLY: c_int = 1 << 0;
/// `SD_JOURNAL_SYSTEM`: the system's journal files.
const SYSTEM: c_int = 1 << 2;
/// `SD_JOURNAL_CURRENT_USER`: the calling user's journal files.
const CURRENT_USER: c_int = 1 << 3;

/// Whose journal files to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Journals {
    /// The system's (`journalctl --system`).
    System,
    /// The calling user's (`journalctl --user`).
    CurrentUser,
}

/// One entry: when it was written, and the fields asked for (`None` where it has none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Its time, in µs since the epoch (`__REALTIME_TIMESTAMP`).
    pub realtime_us: u64,
    /// The values of the fields asked for, in the order asked.
    pub fields: Vec<Option<String>>,
}

type Handle = *mut c_void;
type OpenFn = unsafe extern "C" fn(*mut Handle, c_int) -> c_int;
type AddMatchFn = unsafe extern "C" fn(Handle, *const c_void, usize) -> c_int;
type SeekFn = unsafe extern "C" fn(Handle, u64) -> c_int;
type NextFn = unsafe extern "C" fn(Handle) -> c_int;
type RealtimeFn = unsafe extern "C" fn(Handle, *mut u64) -> c_int;
type GetDataFn =
    unsafe extern "C" fn(Handle, *const c_char, *mut *const c_void, *mut usize) -> c_int;
type CloseFn = unsafe extern "C" fn(Handle);

/// The `sd-journal` calls used, from `libsystemd.so.0`.
struct Library {
    open: OpenFn,
    add_match: AddMatchFn,
    seek_realtime_usec: SeekFn,
    next: NextFn,
    get_realtime_usec: RealtimeFn,
    get_data: GetDataFn,
    close: CloseFn,
}

impl Library {
    /// The library, loaded once per process (and never unloaded).
    fn get() -> io::Result<&'static Self> {
        static LIBRARY: OnceLock<Result<Library, String>> = OnceLock::new();
        LIBRARY
            .get_or_init(Self::load)
            .as_ref()
            .map_err(|why| io::Error::other(why.clone()))
    }

    fn load() -> Result<Self, String> {
        // SAFETY: the name is NUL-terminated; loading libsystemd runs no code of its own
        // beyond its constructors, as any program linked with it does.
        let library = unsafe { libc::dlopen(c"libsystemd.so.0".as_ptr(), libc::RTLD_NOW) };
        if library.is_null() {
            return Err(format!("cannot load libsystemd.so.0: {}", last_dl_error()));
        }
        // SAFETY: each symbol is looked up by its name in libsystemd and given the type
        // of its C prototype in <systemd/sd-journal.h>; the library is never unloaded.
        unsafe {
            use std::mem::transmute;
            let find = |name| symbol(library, name);
            Ok(Self {
                open: transmute::<*mut c_void, OpenFn>(find(c"sd_journal_open")?),
                add_match: transmute::<*mut c_void, AddMatchFn>(find(c"sd_journal_add_match")?),
                seek_realtime_usec: transmute::<*mut c_void, SeekFn>(find(
                    c"sd_journal_seek_realtime_usec",
                )?),
                next: transmute::<*mut c_void, NextFn>(find(c"sd_journal_next")?),
                get_realtime_usec: transmute::<*mut c_void, RealtimeFn>(find(
                    c"sd_journal_get_realtime_usec",
                )?),
                get_data: transmute::<*mut c_void, GetDataFn>(find(c"sd_journal_get_data")?),
                close: transmute::<*mut c_void, CloseFn>(find(c"sd_journal_close")?),
            })
        }
    }
}

/// The address of `name` in the loaded `library`.
///
/// # Safety
/// `library` is a handle `dlopen` returned.
unsafe fn symbol(library: *mut c_void, name: &CStr) -> Result<*mut c_void, String> {
    // SAFETY: the caller's handle, and a NUL-terminated name.
    let address = unsafe { libc::dlsym(library, name.as_ptr()) };
    if address.is_null() {
        return Err(format!(
            "libsystemd.so.0 has no {}: {}",
            name.to_string_lossy(),
            last_dl_error()
        ));
    }
    Ok(address)
}

/// What the last `dlopen` or `dlsym` of this thread said went wrong.
fn last_dl_error() -> String {
    // SAFETY: dlerror returns NULL or a NUL-terminated message valid until the next call.
    let message = unsafe { libc::dlerror() };
    if message.is_null() {
        return "unknown error".into();
    }
    // SAFETY: not NULL, so a NUL-terminated message, copied here at once.
    unsafe { CStr::from_ptr(message) }
        .to_string_lossy()
        .into_owned()
}

/// The local journal (an `sd_journal`), open for one query: loading the library and
/// opening the journal's files come first ([`Reader::open`]), and can be done ahead of
/// the query ([`Reader::read`]). Used on the thread that opened it only (it is neither
/// `Send` nor `Sync`), and closed when dropped.
pub struct Reader {
    library: &'static Library,
    handle: Handle,
}

impl Reader {
    /// Opens the journal files of `journals`.
    pub fn open(journals: Journals) -> io::Result<Self> {
        let library = Library::get()?;
        let flags = LOCAL_ONLY
            | match journals {
                Journals::System => SYSTEM,
                Journals::CurrentUser => CURRENT_USER,
            };
        let mut handle: Handle = std::ptr::null_mut();
        // SAFETY: `handle` is a place for the library to write the new journal to.
        check(unsafe { (library.open)(&mut handle, flags) })?;
        Ok(Self { library, handle })
    }

    /// The entries written at `since_us` (µs since the epoch) or later that satisfy every
    /// match of `matches` (`FIELD=value`; as in `journalctl`, matches of one field are
    /// alternatives, of different fields all required), with the values of `fields`,
    /// oldest first.
    pub fn read(
        self,
        matches: &[String],
        since_us: u64,
        fields: &[&str],
    ) -> io::Result<Vec<Entry>> {
        for pattern in matches {
            self.add_match(pattern)?;
        }
        self.seek_realtime_us(since_us)?;
        let fields: Vec<CString> = fields
            .iter()
            .map(|field| CString::new(*field).map_err(io::Error::other))
            .collect::<io::Result<_>>()?;
        let mut entries = Vec::new();
        while self.next()? {
            let realtime_us = self.realtime_us()?;
            if realtime_us < since_us {
                continue;
            }
            let fields = fields.iter().map(|field| self.value(field)).collect();
            entries.push(Entry {
                realtime_us,
                fields,
            });
        }
        Ok(entries)
    }

    fn add_match(&self, pattern: &str) -> io::Result<()> {
        // SAFETY: the pattern's bytes and their length; the library copies them.
        check(unsafe {
            (self.library.add_match)(self.handle, pattern.as_ptr().cast(), pattern.len())
        })
        .map(drop)
    }

    fn seek_realtime_us(&self, us: u64) -> io::Result<()> {
        // SAFETY: an open journal.
        check(unsafe { (self.library.seek_realtime_usec)(self.handle, us) }).map(drop)
    }

    /// Moves to the next entry: `false` past the last.
    fn next(&self) -> io::Result<bool> {
        // SAFETY: an open journal.
        check(unsafe { (self.library.next)(self.handle) }).map(|moved| moved > 0)
    }

    fn realtime_us(&self) -> io::Result<u64> {
        let mut us = 0;
        // SAFETY: an open journal at an entry, and a place for the time.
        check(unsafe { (self.library.get_realtime_usec)(self.handle, &mut us) })?;
        Ok(us)
    }

    /// The current entry's value of `field`, when it has one.
    fn value(&self, field: &CStr) -> Option<String> {
        let mut data: *const c_void = std::ptr::null();
        let mut length = 0;
        // SAFETY: an open journal at an entry, a NUL-terminated field name, and places
        // for the data's address and length.
        let found =
            unsafe { (self.library.get_data)(self.handle, field.as_ptr(), &mut data, &mut length) };
        if found < 0 || data.is_null() {
            return None;
        }
        // SAFETY: the library points at `length` bytes (`FIELD=value`), valid until the
        // next call on this journal; they are copied at once.
        let bytes = unsafe { std::slice::from_raw_parts(data.cast::<u8>(), length) };
        let value = bytes.get(field.to_bytes().len() + 1..)?;
        Some(String::from_utf8_lossy(value).into_owned())
    }
}

impl Drop for Reader {
    fn drop(&mut self) {
        // SAFETY: the journal was opened and is closed once.
        unsafe { (self.library.close)(self.handle) }
    }
}

/// A negative return of the library is an errno.
fn check(returned: c_int) -> io::Result<c_int> {
    if returned < 0 {
        Err(io::Error::from_raw_os_error(-returned))
    } else {
        Ok(returned)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negative_returns_are_errnos() {
        assert_eq!(check(3).ok(), Some(3));
        let error = check(-libc::ENOENT).expect_err("an error");
        assert_eq!(error.raw_os_error(), Some(libc::ENOENT));
    }

    #[test]
    fn this_hosts_journal_is_read_as_journalctl_reads_it() {
        // Entries of PID 1 in the last hour, read both ways (none where this host keeps
        // no journal).
        let now_us = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("clock")
            .as_micros() as u64;
        let since_us = (now_us / 1_000_000 - 3600) * 1_000_000;
        let ours = Reader::open(Journals::System)
            .and_then(|reader| reader.read(&["_PID=1".into()], since_us, &["_PID"]))
            .expect("the journal is read");
        assert!(ours.iter().all(|entry| entry.realtime_us >= since_us));
        assert!(
            ours.iter()
                .all(|entry| entry.fields == [Some("1".to_string())])
        );
        let output = std::process::Command::new("journalctl")
            .args([
                "--system",
                "--no-pager",
                "--quiet",
                "--output=json",
                "_PID=1",
            ])
            .arg(format!("--since=@{}", since_us / 1_000_000))
            .output()
            .expect("journalctl runs");
        let printed = String::from_utf8_lossy(&output.stdout).lines().count();
        assert_eq!(ours.len(), printed, "as many entries as journalctl prints");
    }
}
