//! The screen: raw mode on the alternate screen through termion, drawn line by line (only
//! the lines that changed are written, in one write, so nothing flickers); restored on
//! `q`, Ctrl-C, SIGTERM, SIGHUP, a terminal that hung up (a lost ssh connection), a read
//! error and a panic.

use std::io::{self, Stdout, Write as _};
use std::os::fd::AsRawFd as _;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use termion::event::Key as TermKey;
use termion::input::TermRead as _;
use termion::raw::{IntoRawMode as _, RawTerminal};
use termion::screen::{ToAlternateScreen, ToMainScreen};
use termion::{clear, color, cursor, style};
use unicode_width::UnicodeWidthChar as _;

use super::TopOptions;
use super::journal::Follower;
use super::keys::{self, Command, Key};
use super::source::{Source, Update};
use super::state::TopState;
use super::styled::{Color, Line, Style};
use super::view::{self, Layout};
use crate::systemd::BusTarget;

/// How long to wait for a key before looking at the other sources again.
const TICK: Duration = Duration::from_millis(100);

/// Set by SIGTERM, SIGINT and SIGHUP.
static STOP: AtomicBool = AtomicBool::new(false);

extern "C" fn on_signal(_: libc::c_int) {
    STOP.store(true, Ordering::Relaxed);
}

/// Runs `top` until the person quits or the terminal goes away.
pub fn run(options: TopOptions) -> anyhow::Result<()> {
    for signal in [libc::SIGTERM, libc::SIGINT, libc::SIGHUP] {
        // SAFETY: the handler only stores to an atomic, which is async-signal-safe.
        unsafe {
            libc::signal(
                signal,
                on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t,
            );
        }
    }
    let mut terminal = Screen::enter().context("cannot set up the terminal")?;
    watch_for_hang_up();
    let source = Source::spawn(options.clone()).context("cannot start the snapshot thread")?;
    let mut journal = Follower::new(options.bus == BusTarget::User);
    let outcome = event_loop(&mut terminal, &source, &mut journal, options.colour);
    drop(journal);
    source.stop();
    drop(terminal);
    outcome
}

fn event_loop(
    screen: &mut Screen,
    source: &Source,
    journal: &mut Follower,
    colour: bool,
) -> anyhow::Result<()> {
    let mut state = TopState::default();
    state.message = Some("reading the units...".into());
    let started = Instant::now();
    let mut dirty = true;
    let mut last_size = termion::terminal_size()?;
    while !STOP.load(Ordering::Relaxed) {
        while let Ok(update) = source.updates.try_recv() {
            match update {
                Update::Report(report) => {
                    if state.message.as_deref() == Some("reading the units...") {
                        state.message = None;
                    }
                    state.update(report, started.elapsed().as_millis() as u64);
                }
                Update::Failed(error) => {
                    state.stale = true;
                    state.message = Some(error);
                }
                Update::Done(outcome) => state.message = Some(outcome),
            }
            dirty = true;
        }
        journal.follow(state.selected.as_deref());
        if let Some(lines) = journal.take_changed() {
            state.journal = lines;
            dirty = true;
        }
        let (width, height) = termion::terminal_size()?;
        let layout = Layout::for_height(usize::from(height));
        if (width, height) != last_size {
            last_size = (width, height);
            dirty = true;
        }
        if dirty {
            state.follow_selection(layout.list);
            let lines = view::render(&state, width.into(), height.into(), colour);
            screen.draw(&lines, (width, height))?;
            dirty = false;
        }
        let Some(keys) = read_keys(TICK)? else {
            return Ok(()); // the terminal is gone
        };
        for key in keys {
            match keys::handle(&mut state, key, layout.list) {
                Command::None => {}
                Command::Quit => return Ok(()),
                Command::Act(action, unit) => {
                    state.message = Some(format!("{} {unit}...", action.as_str()));
                    let _ = source.actions.send((action, unit));
                }
            }
            dirty = true;
        }
    }
    Ok(())
}

/// The keys typed within `timeout` (none when it passes first), or `None` when standard
/// input is at its end (the terminal went away).
fn read_keys(timeout: Duration) -> io::Result<Option<Vec<Key>>> {
    let mut fd = libc::pollfd {
        fd: libc::STDIN_FILENO,
        events: libc::POLLIN,
        revents: 0,
    };
    // SAFETY: one valid pollfd, for the duration of the call.
    let ready = unsafe { libc::poll(&mut fd, 1, timeout.as_millis() as libc::c_int) };
    if ready < 0 {
        return no_keys_unless_failed();
    }
    if ready == 0 {
        return Ok(Some(Vec::new()));
    }
    if fd.revents & (libc::POLLHUP | libc::POLLERR | libc::POLLNVAL) != 0 {
        return Ok(None);
    }
    let mut bytes = [0u8; 256];
    // SAFETY: reads at most `bytes.len()` bytes into the buffer it owns.
    let read = unsafe { libc::read(libc::STDIN_FILENO, bytes.as_mut_ptr().cast(), bytes.len()) };
    match read {
        0 => Ok(None),
        n if n < 0 => no_keys_unless_failed(),
        n => Ok(Some(keys_in(&bytes[..n as usize]))),
    }
}

/// After a system call on standard input failed: no keys when a signal interrupted it
/// (the loop looks at the stop flag next), else the error.
fn no_keys_unless_failed() -> io::Result<Option<Vec<Key>>> {
    match io::Error::last_os_error() {
        e if e.kind() == io::ErrorKind::Interrupted => Ok(Some(Vec::new())),
        e => Err(e),
    }
}

/// The keys in what the terminal sent: termion parses the escape sequences (an escape
/// byte alone, last in the read, is the Escape key).
fn keys_in(bytes: &[u8]) -> Vec<Key> {
    bytes
        .keys()
        .filter_map(Result::ok)
        .filter_map(key_of)
        .collect()
}

/// Watches standard input (which `top` checks is a terminal) for a hang-up (a lost ssh
/// connection, a closed window) at any moment, a draw or a snapshot in progress
/// included, and ends the process itself: the journal follower's child first, then
/// with status 0 (there is no terminal left to restore).
fn watch_for_hang_up() {
    std::thread::spawn(|| {
        loop {
            let mut fd = libc::pollfd {
                fd: libc::STDIN_FILENO,
                events: 0,
                revents: 0,
            };
            // SAFETY: one valid pollfd, for the duration of the call. With no events
            // asked for, only a hang-up or an error wakes it.
            let ready = unsafe { libc::poll(&mut fd, 1, -1) };
            if ready > 0 && fd.revents & (libc::POLLHUP | libc::POLLERR | libc::POLLNVAL) != 0 {
                break;
            }
            if ready < 0 && io::Error::last_os_error().kind() != io::ErrorKind::Interrupted {
                return;
            }
        }
        STOP.store(true, Ordering::Relaxed);
        super::journal::end_all();
        std::process::exit(0);
    });
}

fn key_of(key: TermKey) -> Option<Key> {
    Some(match key {
        TermKey::Ctrl('c') => Key::Interrupt,
        TermKey::Char('\n') => Key::Enter,
        TermKey::Char(c) => Key::Char(c),
        TermKey::Up => Key::Up,
        TermKey::Down => Key::Down,
        TermKey::PageUp => Key::PageUp,
        TermKey::PageDown => Key::PageDown,
        TermKey::Home => Key::Home,
        TermKey::End => Key::End,
        TermKey::Esc => Key::Escape,
        TermKey::Backspace | TermKey::Ctrl('h') => Key::Backspace,
        _ => return None,
    })
}

/// The terminal's settings before `top` changed them, for [`restore`] (which a panic
/// hook calls too, where the [`Screen`] cannot be reached).
static SAVED: OnceLock<libc::termios> = OnceLock::new();

/// The terminal in raw mode on the alternate screen, with what it shows now; dropping
/// it (a panic included) restores the terminal.
struct Screen {
    out: RawTerminal<Stdout>,
    /// The lines on the screen, as written (escape sequences included).
    shown: Vec<String>,
    /// The size they were written for.
    size: (u16, u16),
}

impl Screen {
    fn enter() -> io::Result<Self> {
        let stdout = io::stdout();
        let mut saved = std::mem::MaybeUninit::<libc::termios>::uninit();
        // SAFETY: tcgetattr fills the termios it is given, or fails and we return.
        if unsafe { libc::tcgetattr(stdout.as_raw_fd(), saved.as_mut_ptr()) } != 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: initialised by the successful tcgetattr above.
        let _ = SAVED.set(unsafe { saved.assume_init() });
        let out = stdout.into_raw_mode()?;
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            restore();
            previous(info);
        }));
        let mut screen = Self {
            out,
            shown: Vec::new(),
            size: (0, 0),
        };
        let entered = write!(screen.out, "{ToAlternateScreen}{}", cursor::Hide)
            .and_then(|()| screen.out.flush());
        if let Err(error) = entered {
            restore();
            return Err(error);
        }
        Ok(screen)
    }

    /// Shows `lines` on a screen of `size` (columns, rows), writing only the lines that
    /// changed since the last draw, all in one write: nothing flickers.
    fn draw(&mut self, lines: &[Line], size: (u16, u16)) -> io::Result<()> {
        let mut out = String::new();
        if size != self.size {
            self.size = size;
            self.shown.clear();
            out.push_str(clear::All.as_ref());
        }
        for (row, line) in lines.iter().enumerate().take(usize::from(size.1)) {
            let drawn = encode(line, usize::from(size.0));
            if self.shown.get(row) == Some(&drawn) {
                continue;
            }
            out.push_str(&cursor::Goto(1, row as u16 + 1).to_string());
            out.push_str(&drawn);
            match self.shown.get_mut(row) {
                Some(shown) => *shown = drawn,
                None => self.shown.push(drawn),
            }
        }
        if out.is_empty() {
            return Ok(());
        }
        self.out.write_all(out.as_bytes())?;
        self.out.flush()
    }
}

impl Drop for Screen {
    fn drop(&mut self) {
        restore();
    }
}

/// A line as the terminal is sent it: each span in its style, cut to `width` cells,
/// then the line's own style to the end; control characters drawn as spaces.
fn encode(line: &Line, width: usize) -> String {
    let mut out = String::new();
    let mut used = 0;
    for span in &line.spans {
        out.push_str(&sgr(line.style.patch(span.style)));
        for c in span.content.chars() {
            let c = if c.is_control() { ' ' } else { c };
            let cells = c.width().unwrap_or(0);
            if used + cells > width {
                break;
            }
            out.push(c);
            used += cells;
        }
    }
    out.push_str(&sgr(line.style));
    out.push_str(&" ".repeat(width.saturating_sub(used)));
    out.push_str(style::Reset.as_ref());
    out
}

/// The escape sequence that sets `style` from scratch.
fn sgr(style: Style) -> String {
    let mut out = style::Reset.to_string();
    if style.bold {
        out.push_str(style::Bold.as_ref());
    }
    if style.reversed {
        out.push_str(style::Invert.as_ref());
    }
    match style.fg {
        None => {}
        Some(Color::Red) => out.push_str(&color::Fg(color::Red).to_string()),
        Some(Color::Yellow) => out.push_str(&color::Fg(color::Yellow).to_string()),
        Some(Color::Green) => out.push_str(&color::Fg(color::Green).to_string()),
        Some(Color::Cyan) => out.push_str(&color::Fg(color::Cyan).to_string()),
    }
    out
}

/// Leaves the alternate screen and raw mode; errors are ignored (the terminal may be
/// gone).
fn restore() {
    let mut stdout = io::stdout();
    let _ = write!(stdout, "{}{ToMainScreen}{}", style::Reset, cursor::Show);
    let _ = stdout.flush();
    if let Some(saved) = SAVED.get() {
        // SAFETY: a termios read from this terminal by tcgetattr.
        unsafe { libc::tcsetattr(stdout.as_raw_fd(), libc::TCSANOW, saved) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::top::styled::Span;

    #[test]
    fn keys_from_what_a_terminal_sends() {
        let keys = keys_in(b"q\x1b[A\x1b[6~\r\x03\x7fk\x1b");
        assert_eq!(
            keys,
            vec![
                Key::Char('q'),
                Key::Up,
                Key::PageDown,
                Key::Enter,
                Key::Interrupt,
                Key::Backspace,
                Key::Char('k'),
                Key::Escape,
            ]
        );
        assert_eq!(keys_in("é".as_bytes()), vec![Key::Char('é')]);
    }

    #[test]
    fn a_line_fills_its_width_in_its_styles_and_no_more() {
        let line = Line::from(vec![
            Span::raw("ab\tc"),
            Span::styled("界界界", Style::PLAIN.fg(Color::Red)),
        ])
        .style(Style::PLAIN.reversed());
        let drawn = encode(&line, 7);
        let visible: String = drawn
            .split('\x1b')
            .map(|part| part.split_once('m').map_or(part, |(_, text)| text))
            .collect();
        assert_eq!(
            visible, "ab c界 ",
            "a wide character that would overflow is left out"
        );
        assert!(drawn.starts_with("\x1b[m\x1b[7m"), "{drawn:?}");
        assert!(drawn.contains("\x1b[7m\x1b[38;5;1m界"), "{drawn:?}");
        assert!(drawn.ends_with("界\x1b[m\x1b[7m \x1b[m"), "{drawn:?}");
        assert_eq!(encode(&Line::from("xyz"), 2).matches('x').count(), 1);
    }
}
