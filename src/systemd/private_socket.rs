//! systemd's private socket as a peer-to-peer D-Bus connection.
//!
//! A manager listens on a socket of its own beside the bus: `/run/systemd/private` for
//! the system manager, which takes root there, and `$XDG_RUNTIME_DIR/systemd/private` for
//! a user's. `systemctl` talks to it whenever it can: calls and replies go straight to
//! systemd, with no dbus-daemon relaying (and checking) every message, and it works while
//! the bus is down.
//!
//! Its messages carry the sender `org.freedesktop.systemd1`, a well-known name, where the
//! D-Bus specification (and so zbus) wants a unique name. The socket here turns that
//! field, in place and at the same length, into the unique name `:rg.freedesktop.systemd1`
//! before zbus reads the message; nothing else is touched.
//!
//! This works around zbus's header parsing (zbus 6, `message/fields.rs`): the `SENDER`
//! field is read as a `UniqueName`, and a value that is not one fails the whole message,
//! so every reply systemd sends over its private socket is refused. On a bus the daemon
//! writes that field and it is always unique; on a peer-to-peer connection there is no
//! daemon, and systemd names itself by its well-known name. The minimal fix in zbus is to keep such a field out of the
//! message's `sender()` (or type it as a `BusName`) instead of refusing the message; the
//! README's notes say the same for the report upstream. Where connecting here fails,
//! [`super::connect_direct`] logs why at debug level and goes through the bus.

use std::ffi::OsStr;
use std::io;
use std::os::fd::{BorrowedFd, OwnedFd};
use std::path::{Path, PathBuf};

use tokio::io::{AsyncBufReadExt as _, AsyncReadExt as _, AsyncWriteExt as _, BufReader};
use tokio::net::UnixStream;
use tokio::net::unix::{OwnedReadHalf, OwnedWriteHalf};
use zbus::Connection;
use zbus::connection::socket::{ReadHalf, Socket, Split, WriteHalf};
use zbus::export::async_trait::async_trait;
use zbus::fdo::ConnectionCredentials;

use super::BusTarget;

/// The system manager's private socket.
const SYSTEM_SOCKET: &str = "/run/systemd/private";
/// A user manager's private socket, under the user's `XDG_RUNTIME_DIR`.
const USER_SOCKET: &str = "systemd/private";

/// The fixed part of every message's header.
const PRIMARY_HEADER_LEN: usize = 16;
/// The header field that names the sender.
const SENDER_FIELD: u8 = 7;
/// The D-Bus specification's limit on a message's length.
const MAX_MESSAGE_LEN: usize = 128 * 1024 * 1024;

/// Where `target`'s manager listens privately, given the environment's
/// `DBUS_SYSTEM_BUS_ADDRESS` and `XDG_RUNTIME_DIR`: none for an explicit address, nor for
/// the system manager when `DBUS_SYSTEM_BUS_ADDRESS` names the bus to use (a choice made on
/// purpose; the session bus's variable is set in every session, so it says nothing).
pub fn path(
    target: &BusTarget,
    system_bus_address: Option<&OsStr>,
    runtime_dir: Option<&OsStr>,
) -> Option<PathBuf> {
    match target {
        BusTarget::System if system_bus_address.is_none() => Some(PathBuf::from(SYSTEM_SOCKET)),
        BusTarget::User => runtime_dir
            .filter(|dir| Path::new(dir).is_absolute())
            .map(|dir| Path::new(dir).join(USER_SOCKET)),
        BusTarget::System | BusTarget::Address(_) => None,
    }
}

/// Opens a peer-to-peer connection to the manager listening on `path`. Fails where the
/// manager does not take the caller: the socket is not there, its mode keeps the caller
/// out, or systemd closes the connection or refuses the handshake.
pub async fn connect(path: &Path) -> zbus::Result<Connection> {
    let stream = UnixStream::connect(path).await?;
    let peer_pid = stream.peer_cred().ok().and_then(|c| c.pid());
    let (read, mut write) = stream.into_split();
    let mut read = BufReader::new(read);
    let guid = authenticate(&mut read, &mut write).await?;
    // Bytes the peer sent after the handshake stay in the buffer: it is read through.
    let socket = PeerSocket {
        read,
        write,
        peer_pid,
    };
    zbus::connection::Builder::authenticated_socket(socket, guid.as_str())
        .p2p()
        .build()
        .await
}

/// The `EXTERNAL` handshake (the peer checks the socket's credentials): the server's GUID.
///
/// All of it is sent at once, as systemd's own clients do: systemd reads the lines
/// together, so no message of ours can reach it in the same read as `BEGIN` (where it
/// would wait for more input before answering it).
async fn authenticate(
    read: &mut BufReader<OwnedReadHalf>,
    write: &mut OwnedWriteHalf,
) -> zbus::Result<String> {
    write
        .write_all(b"\0AUTH EXTERNAL\r\nDATA\r\nBEGIN\r\n")
        .await?;
    let mut line = reply_line(read).await?;
    if line == "DATA" {
        line = reply_line(read).await?;
    }
    match line.strip_prefix("OK ") {
        Some(guid) => Ok(guid.to_string()),
        None => Err(zbus::Error::Handshake(format!(
            "systemd refused the authentication: {line}"
        ))),
    }
}

/// One line of the handshake, without its `\r\n`.
async fn reply_line(read: &mut BufReader<OwnedReadHalf>) -> zbus::Result<String> {
    let mut line = String::new();
    read.read_line(&mut line).await?;
    Ok(line.trim_end().to_string())
}

/// The authenticated stream, split for zbus.
#[derive(Debug)]
struct PeerSocket {
    read: BufReader<OwnedReadHalf>,
    write: OwnedWriteHalf,
    /// The manager's process, from the socket's credentials (as seen from here).
    peer_pid: Option<i32>,
}

impl Socket for PeerSocket {
    type ReadHalf = MessageReader;
    type WriteHalf = MessageWriter;

    fn split(self) -> Split<MessageReader, MessageWriter> {
        Split::new(
            MessageReader {
                stream: self.read,
                message: Vec::new(),
                handed: 0,
            },
            MessageWriter {
                stream: self.write,
                peer_pid: self.peer_pid,
            },
        )
    }
}

/// Reads whole messages, mends their sender field, and hands their bytes to zbus.
#[derive(Debug)]
struct MessageReader {
    stream: BufReader<OwnedReadHalf>,
    /// The current message, sender mended.
    message: Vec<u8>,
    /// How much of it zbus has taken.
    handed: usize,
}

#[async_trait]
impl ReadHalf for MessageReader {
    async fn recvmsg(&mut self, buffer: &mut [u8]) -> io::Result<(usize, Vec<OwnedFd>)> {
        if self.handed == self.message.len() {
            self.message = read_message(&mut self.stream).await?;
            self.handed = 0;
            if self.message.is_empty() {
                return Ok((0, Vec::new()));
            }
        }
        let count = buffer.len().min(self.message.len() - self.handed);
        buffer[..count].copy_from_slice(&self.message[self.handed..self.handed + count]);
        self.handed += count;
        Ok((count, Vec::new()))
    }
}

/// One whole message from `stream` with its sender mended; empty at the end of the stream.
async fn read_message(stream: &mut BufReader<OwnedReadHalf>) -> io::Result<Vec<u8>> {
    let mut message = vec![0; PRIMARY_HEADER_LEN];
    match stream.read_exact(&mut message).await {
        Ok(_) => {}
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(Vec::new()),
        Err(e) => return Err(e),
    }
    let length = message_length(&message)
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "malformed D-Bus message"))?;
    message.resize(length, 0);
    stream
        .read_exact(&mut message[PRIMARY_HEADER_LEN..])
        .await?;
    mend_sender(&mut message);
    Ok(message)
}

/// A message's whole length from its primary header.
fn message_length(primary: &[u8]) -> Option<usize> {
    let little = match primary.first()? {
        b'l' => true,
        b'B' => false,
        _ => return None,
    };
    let body = read_u32(primary, 4, little)? as usize;
    let fields = read_u32(primary, 12, little)? as usize;
    let length = (PRIMARY_HEADER_LEN + fields).next_multiple_of(8) + body;
    (length <= MAX_MESSAGE_LEN).then_some(length)
}

/// Makes a sender that is not a unique name (`org.freedesktop.systemd1`) one, by putting
/// `:` in place of its first character: same length, so nothing else moves. Leaves a
/// message whose header it cannot follow as it is.
fn mend_sender(message: &mut [u8]) {
    let Some(little) = message.first().map(|&b| b == b'l') else {
        return;
    };
    let Some(fields) = read_u32(message, 12, little) else {
        return;
    };
    let end = (PRIMARY_HEADER_LEN + fields as usize).min(message.len());
    let mut at = PRIMARY_HEADER_LEN;
    while at < end {
        at = at.next_multiple_of(8);
        let (Some(&code), Some(&signature_len)) = (message.get(at), message.get(at + 1)) else {
            return;
        };
        let signature_start = at + 2;
        let Some(signature) =
            message.get(signature_start..signature_start + signature_len as usize)
        else {
            return;
        };
        let value = signature_start + signature_len as usize + 1;
        at = match signature {
            b"s" | b"o" => {
                let start = value.next_multiple_of(4);
                let Some(len) = read_u32(message, start, little) else {
                    return;
                };
                let text = start + 4;
                if code == SENDER_FIELD && len > 0 && message.get(text) != Some(&b':') {
                    message[text] = b':';
                }
                text + len as usize + 1
            }
            b"g" => {
                let Some(&len) = message.get(value) else {
                    return;
                };
                value + 1 + len as usize + 1
            }
            b"u" => value.next_multiple_of(4) + 4,
            _ => return,
        };
    }
}

/// The `u32` at `at` in `bytes`.
fn read_u32(bytes: &[u8], at: usize, little: bool) -> Option<u32> {
    let raw: [u8; 4] = bytes.get(at..at + 4)?.try_into().ok()?;
    Some(if little {
        u32::from_le_bytes(raw)
    } else {
        u32::from_be_bytes(raw)
    })
}

/// Writes zbus's messages as they are.
#[derive(Debug)]
struct MessageWriter {
    stream: OwnedWriteHalf,
    peer_pid: Option<i32>,
}

#[async_trait]
impl WriteHalf for MessageWriter {
    async fn sendmsg(&mut self, buffer: &[u8], _fds: &[BorrowedFd<'_>]) -> io::Result<usize> {
        self.stream.write(buffer).await
    }

    async fn close(&mut self) -> io::Result<()> {
        self.stream.shutdown().await
    }

    /// The manager's process, as the kernel gave it when connecting.
    async fn peer_credentials(&mut self) -> io::Result<ConnectionCredentials> {
        let credentials = ConnectionCredentials::default();
        Ok(
            match self.peer_pid.and_then(|pid| u32::try_from(pid).ok()) {
                Some(pid) => credentials.set_process_id(pid),
                None => credentials,
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A method return from `sender` with reply serial 1 and an empty body, little-endian.
    fn reply_from(sender: &str) -> Vec<u8> {
        let mut fields = Vec::new();
        // REPLY_SERIAL (5), signature "u", value 1.
        fields.extend_from_slice(&[5, 1, b'u', 0]);
        fields.extend_from_slice(&1u32.to_le_bytes());
        // SENDER (7), signature "s", the name.
        fields.extend_from_slice(&[SENDER_FIELD, 1, b's', 0]);
        fields.extend_from_slice(&(sender.len() as u32).to_le_bytes());
        fields.extend_from_slice(sender.as_bytes());
        fields.push(0);
        let mut message = vec![b'l', 2, 1, 1];
        message.extend_from_slice(&0u32.to_le_bytes());
        message.extend_from_slice(&7u32.to_le_bytes());
        message.extend_from_slice(&(fields.len() as u32).to_le_bytes());
        message.extend_from_slice(&fields);
        message.resize(message.len().next_multiple_of(8), 0);
        message
    }

    #[test]
    fn the_system_manager_is_reached_privately_unless_a_bus_is_named() {
        let system = path(&BusTarget::System, None, Some(OsStr::new("/run/user/0")));
        assert_eq!(system, Some(PathBuf::from("/run/systemd/private")));
        let named = OsStr::new("unix:path=/run/dbus/system_bus_socket");
        assert_eq!(path(&BusTarget::System, Some(named), None), None);
        let address = BusTarget::Address("unix:path=/run/dbus/system_bus_socket".into());
        assert_eq!(path(&address, None, None), None);
    }

    #[test]
    fn a_user_manager_is_reached_under_the_runtime_directory_when_there_is_one() {
        let runtime = Some(OsStr::new("/run/user/1000"));
        let user = path(&BusTarget::User, None, runtime);
        assert_eq!(user, Some(PathBuf::from("/run/user/1000/systemd/private")));
        assert_eq!(path(&BusTarget::User, None, None), None);
        assert_eq!(
            path(&BusTarget::User, None, Some(OsStr::new("run/user"))),
            None
        );
    }

    #[test]
    fn a_well_known_sender_becomes_a_unique_name_of_the_same_length() {
        let mut message = reply_from("org.freedesktop.systemd1");
        let length = message.len();
        assert_eq!(message_length(&message[..PRIMARY_HEADER_LEN]), Some(length));
        mend_sender(&mut message);
        assert_eq!(message.len(), length);
        assert_eq!(message, reply_from(":rg.freedesktop.systemd1"));
        assert!(zbus::names::UniqueName::try_from(":rg.freedesktop.systemd1").is_ok());
    }

    #[test]
    fn a_unique_sender_is_left_alone() {
        let mut message = reply_from(":1.42");
        mend_sender(&mut message);
        assert_eq!(message, reply_from(":1.42"));
    }

    #[test]
    fn a_truncated_header_is_left_as_it_is() {
        let mut message = reply_from("org.freedesktop.systemd1");
        message.truncate(30);
        let before = message.clone();
        mend_sender(&mut message);
        assert_eq!(message, before);
        assert_eq!(message_length(b"x"), None);
    }
}
