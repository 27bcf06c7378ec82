//! The screen: raw mode on the alternate screen, drawn with ratatui (only the cells that
//! changed are written, so nothing flickers); restored on `q`, Ctrl-C, SIGTERM, SIGHUP,
//! a terminal that hung up (a lost ssh connection), a read error and a panic.

use std::io::{self, Stdout};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use ratatui::crossterm::event::{self, Event, KeyCode, KeyEventKind, KeyModifiers};
use ratatui::crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use ratatui::crossterm::{cursor, execute};
use ratatui::widgets::Paragraph;

use super::TopOptions;
use super::journal::Follower;
use super::keys::{self, Command, Key};
use super::source::{Source, Update};
use super::state::TopState;
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
    let outcome = event_loop(
        &mut terminal.terminal,
        &source,
        &mut journal,
        options.colour,
    );
    drop(journal);
    source.stop();
    drop(terminal);
    outcome
}

fn event_loop(
    terminal: &mut Terminal<CrosstermBackend<Stdout>>,
    source: &Source,
    journal: &mut Follower,
    colour: bool,
) -> anyhow::Result<()> {
    let mut state = TopState::default();
    state.message = Some("reading the units...".into());
    let started = Instant::now();
    let mut dirty = true;
    let mut last_size = terminal.size()?;
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
        let size = terminal.size()?;
        let layout = Layout::for_height(usize::from(size.height));
        if size != last_size {
            last_size = size;
            dirty = true;
        }
        if dirty {
            state.follow_selection(layout.list);
            let lines = view::render(&state, size.width.into(), size.height.into(), colour);
            terminal.draw(|frame| frame.render_widget(Paragraph::new(lines), frame.area()))?;
            dirty = false;
        }
        if !event::poll(TICK)? {
            continue;
        }
        let Event::Key(press) = event::read()? else {
            continue;
        };
        if press.kind == KeyEventKind::Release {
            continue;
        }
        let Some(key) = key_of(press.code, press.modifiers) else {
            continue;
        };
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
    Ok(())
}

/// Watches standard input (which `top` checks is a terminal) for a hang-up (a lost ssh
/// connection, a closed window). crossterm's reader spins on such a terminal without
/// returning, so this thread ends the process itself: the journal follower's child
/// first, then with status 0 (there is no terminal left to restore).
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

fn key_of(code: KeyCode, modifiers: KeyModifiers) -> Option<Key> {
    Some(match code {
        KeyCode::Char('c') if modifiers.contains(KeyModifiers::CONTROL) => Key::Interrupt,
        KeyCode::Char(c) => Key::Char(c),
        KeyCode::Up => Key::Up,
        KeyCode::Down => Key::Down,
        KeyCode::PageUp => Key::PageUp,
        KeyCode::PageDown => Key::PageDown,
        KeyCode::Home => Key::Home,
        KeyCode::End => Key::End,
        KeyCode::Enter => Key::Enter,
        KeyCode::Esc => Key::Escape,
        KeyCode::Backspace => Key::Backspace,
        _ => return None,
    })
}

/// The terminal in raw mode on the alternate screen; dropping it (a panic included)
/// restores it.
struct Screen {
    terminal: Terminal<CrosstermBackend<Stdout>>,
}

impl Screen {
    fn enter() -> io::Result<Self> {
        enable_raw_mode()?;
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            restore();
            previous(info);
        }));
        let mut stdout = io::stdout();
        if let Err(error) = execute!(stdout, EnterAlternateScreen, cursor::Hide) {
            restore();
            return Err(error);
        }
        match Terminal::new(CrosstermBackend::new(stdout)) {
            Ok(terminal) => Ok(Self { terminal }),
            Err(error) => {
                restore();
                Err(error)
            }
        }
    }
}

impl Drop for Screen {
    fn drop(&mut self) {
        restore();
    }
}

/// Leaves the alternate screen and raw mode; errors are ignored (the terminal may be
/// gone).
fn restore() {
    let _ = execute!(io::stdout(), LeaveAlternateScreen, cursor::Show);
    let _ = disable_raw_mode();
}
