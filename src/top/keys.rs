//! Keys: what each does to the state, and what it asks of the outside (quit, an action
//! on a unit). Pure: the terminal layer turns its events into [`Key`]s.

use super::state::{Action, Sort, TopState};

/// A key press, as `top` tells them apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    /// A printable character.
    Char(char),
    /// Ctrl-C.
    Interrupt,
    /// Arrow up.
    Up,
    /// Arrow down.
    Down,
    /// Page up.
    PageUp,
    /// Page down.
    PageDown,
    /// Home.
    Home,
    /// End.
    End,
    /// Enter.
    Enter,
    /// Escape.
    Escape,
    /// Backspace.
    Backspace,
}

/// What the key asks of the outside.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Nothing beyond the state's change.
    None,
    /// Leave, restoring the terminal.
    Quit,
    /// Carry out a confirmed action on a unit.
    Act(Action, String),
}

/// The keys and what they do, for `?`.
pub const HELP: &[(&str, &str)] = &[
    ("Up/Down, j/k", "select a unit"),
    ("PgUp/PgDn, Home/End", "move by a page, to the ends"),
    ("m  c  r  n", "sort by memory, CPU, restarts, name"),
    ("/", "filter by name (Enter keeps it, Esc clears it)"),
    ("R", "restart the selected unit"),
    ("S", "stop it"),
    ("T", "start it"),
    ("F", "reset its failed state"),
    ("y / n", "confirm / cancel an action"),
    ("?", "show or hide this help"),
    ("q, Ctrl-C", "quit"),
];

/// Applies `key` to `state`; `page` is the number of list lines shown.
pub fn handle(state: &mut TopState, key: Key, page: usize) -> Command {
    if key == Key::Interrupt {
        return Command::Quit;
    }
    if state.editing_filter {
        edit_filter(state, key);
        return Command::None;
    }
    if let Some((action, unit)) = state.confirm.take() {
        return match key {
            Key::Char('y' | 'Y') => Command::Act(action, unit),
            _ => {
                state.message = Some(format!("{} {unit}: cancelled", action.as_str()));
                Command::None
            }
        };
    }
    if state.help {
        // Any key closes the help; `q` also quits.
        state.help = false;
        return if key == Key::Char('q') {
            Command::Quit
        } else {
            Command::None
        };
    }
    let page = page.max(1) as isize;
    match key {
        Key::Char('q') => return Command::Quit,
        Key::Char('?') => state.help = true,
        Key::Up | Key::Char('k') => state.move_selection(-1),
        Key::Down | Key::Char('j') => state.move_selection(1),
        Key::PageUp => state.move_selection(-page),
        Key::PageDown => state.move_selection(page),
        Key::Home => state.move_selection(isize::MIN / 2),
        Key::End => state.move_selection(isize::MAX / 2),
        Key::Char('m') => state.sort = Sort::Memory,
        Key::Char('c') => state.sort = Sort::Cpu,
        Key::Char('r') => state.sort = Sort::Restarts,
        Key::Char('n') => state.sort = Sort::Name,
        Key::Char('/') => state.editing_filter = true,
        Key::Escape => state.message = None,
        Key::Char('R') => ask(state, Action::Restart),
        Key::Char('S') => ask(state, Action::Stop),
        Key::Char('T') => ask(state, Action::Start),
        Key::Char('F') => ask(state, Action::ResetFailed),
        _ => {}
    }
    Command::None
}

fn ask(state: &mut TopState, action: Action) {
    if let Some(unit) = state.selected.clone() {
        state.confirm = Some((action, unit));
    }
}

fn edit_filter(state: &mut TopState, key: Key) {
    match key {
        Key::Enter => state.editing_filter = false,
        Key::Escape => {
            state.editing_filter = false;
            state.filter.clear();
        }
        Key::Backspace => {
            state.filter.pop();
        }
        Key::Char(c) if !c.is_control() => state.filter.push(c),
        _ => {}
    }
    // The selection follows the filter to a unit still shown.
    let visible = state.visible_units();
    if !visible
        .iter()
        .any(|row| Some(&row.unit.name) == state.selected.as_ref())
    {
        state.selected = visible.first().map(|row| row.unit.name.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::top::state::tests::{report, unit};

    fn state() -> TopState {
        let mut state = TopState::default();
        state.update(
            report(vec![
                unit("agents-api.service", "agents", 1),
                unit("agents-web.service", "agents", 2),
            ]),
            0,
        );
        state
    }

    #[test]
    fn actions_need_a_confirmation() {
        let mut s = state();
        assert_eq!(handle(&mut s, Key::Char('R'), 10), Command::None);
        assert_eq!(
            s.confirm,
            Some((Action::Restart, "agents-api.service".into()))
        );
        assert_eq!(
            handle(&mut s, Key::Char('y'), 10),
            Command::Act(Action::Restart, "agents-api.service".into())
        );
        handle(&mut s, Key::Down, 10);
        handle(&mut s, Key::Char('S'), 10);
        assert_eq!(handle(&mut s, Key::Char('x'), 10), Command::None);
        assert_eq!(s.confirm, None);
        assert_eq!(
            s.message.as_deref(),
            Some("stop agents-web.service: cancelled")
        );
    }

    #[test]
    fn the_filter_takes_typed_keys_and_quitting_works_everywhere() {
        let mut s = state();
        handle(&mut s, Key::Char('/'), 10);
        for c in "web".chars() {
            handle(&mut s, Key::Char(c), 10);
        }
        assert_eq!(s.filter, "web");
        assert_eq!(s.selected.as_deref(), Some("agents-web.service"));
        assert_eq!(handle(&mut s, Key::Char('q'), 10), Command::None, "typed");
        assert_eq!(s.filter, "webq");
        handle(&mut s, Key::Backspace, 10);
        handle(&mut s, Key::Enter, 10);
        assert!(!s.editing_filter);
        assert_eq!(handle(&mut s, Key::Char('?'), 10), Command::None);
        assert!(s.help);
        assert_eq!(handle(&mut s, Key::Char('q'), 10), Command::Quit);
        handle(&mut s, Key::Char('/'), 10);
        assert_eq!(handle(&mut s, Key::Interrupt, 10), Command::Quit);
    }
}
