//! Reading a small file whole in three system calls: open, one read, close.
//!
//! A read of a regular file returns less than asked only at the file's end, and a file the
//! kernel makes up when it is read (`/proc/PID/*`, a cgroup's control files) is generated
//! whole by one `show` function and given whole to a read with room for it (seq_file):
//! either way a short read is the whole text, and a read that fills the room is read on to
//! the end. `std::fs::read_to_string` would also ask the file's size (which the kernel
//! gives as 0 or 4096 for its own files) and read until a read returns nothing: five to
//! seven calls, for each of the thousands of files a report reads.

use std::fs::File;
use std::io::Read as _;

/// Reads `file` whole into the start of `bytes`, giving the first read `room` bytes;
/// returns the length read. `bytes` is kept at least `room` long between calls, so a
/// buffer kept from file to file is neither allocated nor zeroed again.
pub fn read_whole(file: &mut File, bytes: &mut Vec<u8>, room: usize) -> Option<usize> {
    if bytes.len() < room {
        bytes.resize(room, 0);
    }
    let count = file.read(&mut bytes[..room]).ok()?;
    if count < room {
        return Some(count);
    }
    bytes.truncate(room);
    file.read_to_end(bytes).ok()?;
    Some(bytes.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_read_whole_whatever_their_length_and_the_last_ones() {
        let dir = std::env::temp_dir().join(format!("ecosystemd-whole-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let room = 64;
        let mut bytes = Vec::new();
        // A long file, then short ones: nothing of an earlier file is read as a later's.
        for length in [3 * room + 7, room, 10, 0, room - 1] {
            let text = "x".repeat(length);
            std::fs::write(dir.join("f"), &text).expect("file");
            let mut file = File::open(dir.join("f")).expect("open");
            let read = read_whole(&mut file, &mut bytes, room).expect("read");
            assert_eq!(&bytes[..read], text.as_bytes(), "{length} bytes");
        }
        std::fs::remove_dir_all(&dir).expect("cleanup");
        let mut own = File::open("/proc/self/cgroup").expect("own cgroups");
        let read = read_whole(&mut own, &mut bytes, room).expect("read");
        assert_eq!(
            std::str::from_utf8(&bytes[..read]).ok(),
            std::fs::read_to_string("/proc/self/cgroup").ok().as_deref(),
            "the same text as read_to_string"
        );
    }
}
