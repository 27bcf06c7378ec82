//! One askama template per kind of file (`templates/service.txt`, `socket.txt`, ...):
//! a unit's escaped sections go to its kind's template, which names each section and
//! directive in the order the plan writes them.
//!
//! The templates take the lines through a cursor ([`Sections`], [`Lines`]): each
//! `line("Key")` writes the directives `Key=` that come next (none, one or several),
//! and `rest()` whatever the template does not name (the app's raw directives). So the
//! output is always the plan's lines in the plan's order, and the templates show what
//! a file of each kind looks like.

use std::borrow::Cow;
use std::cell::Cell;
use std::fmt;

use askama::Template;

/// One escaped `Key=value` line.
pub(super) struct Line<'a> {
    /// The directive's name.
    pub key: &'a str,
    /// Its value, escaped for its place.
    pub value: Cow<'a, str>,
}

/// One section's escaped lines, and how far the template has written them.
pub(super) struct Lines<'a> {
    name: &'a str,
    lines: Vec<Line<'a>>,
    at: Cell<usize>,
    /// Where `rest()` began (test builds check that templates name every line).
    #[cfg(test)]
    rest_from: Cell<Option<usize>>,
}

impl<'a> Lines<'a> {
    /// A section called `name` with its escaped lines.
    pub fn new(name: &'a str, lines: Vec<Line<'a>>) -> Self {
        Self {
            name,
            lines,
            at: Cell::new(0),
            #[cfg(test)]
            rest_from: Cell::new(None),
        }
    }

    /// Every line, in order.
    pub fn all(&self) -> &[Line<'a>] {
        &self.lines
    }

    /// The directives `key` that come next.
    pub fn line(&self, key: &str) -> Run<'_, 'a> {
        self.take_while(|k| k == key)
    }

    /// The directives `a` and `b` that come next, in whatever order they alternate.
    pub fn either(&self, a: &str, b: &str) -> Run<'_, 'a> {
        self.take_while(|k| k == a || k == b)
    }

    /// The sandboxing directives of a hardening profile that come next.
    pub fn sandboxing(&self) -> Run<'_, 'a> {
        self.take_while(crate::plan::hardening::is_sandboxing)
    }

    /// Every line not written yet.
    pub fn rest(&self) -> Run<'_, 'a> {
        #[cfg(test)]
        self.rest_from.set(Some(self.at.get()));
        self.take_while(|_| true)
    }

    fn take_while(&self, wanted: impl Fn(&str) -> bool) -> Run<'_, 'a> {
        let start = self.at.get();
        let count = self.lines[start..]
            .iter()
            .take_while(|line| wanted(line.key))
            .count();
        self.at.set(start + count);
        Run(&self.lines[start..start + count])
    }
}

/// Lines taken together: each written on a line of its own (after a line break).
pub(super) struct Run<'s, 'a>(&'s [Line<'a>]);

impl fmt::Display for Run<'_, '_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for line in self.0 {
            f.write_str("\n")?;
            f.write_str(line.key)?;
            f.write_str("=")?;
            f.write_str(&line.value)?;
        }
        Ok(())
    }
}

/// A unit's sections, and how far the template has written them.
pub(super) struct Sections<'a> {
    sections: Vec<Lines<'a>>,
    at: Cell<usize>,
}

impl<'a> Sections<'a> {
    /// The sections, in the plan's order.
    pub fn new(sections: Vec<Lines<'a>>) -> Self {
        Self {
            sections,
            at: Cell::new(0),
        }
    }

    /// The section called `name`, if it comes next.
    pub fn next(&self, name: &str) -> Option<&Lines<'a>> {
        let section = self.sections.get(self.at.get())?;
        (section.name == name).then(|| {
            self.at.set(self.at.get() + 1);
            section
        })
    }

    /// The section called `name`, wherever it is.
    pub fn find(&self, name: &str) -> Option<&Lines<'a>> {
        self.sections.iter().find(|s| s.name == name)
    }

    /// Every section not written yet, headers and lines.
    pub fn rest(&self) -> RestSections<'_, 'a> {
        let start = self.at.replace(self.sections.len());
        RestSections(&self.sections[start..])
    }

    /// The `Key` of each line a template wrote through a `rest()` rather than by
    /// name.
    #[cfg(test)]
    pub fn unnamed(&self) -> Vec<String> {
        let mut keys = Vec::new();
        for (index, section) in self.sections.iter().enumerate() {
            let from = if index >= self.at.get() {
                Some(0)
            } else {
                section.rest_from.get()
            };
            if let Some(from) = from {
                keys.extend(
                    section.lines[from..]
                        .iter()
                        .map(|l| format!("[{}] {}", section.name, l.key)),
                );
            }
        }
        keys
    }
}

/// Sections a template does not name, written as they are.
pub(super) struct RestSections<'s, 'a>(&'s [Lines<'a>]);

impl fmt::Display for RestSections<'_, '_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for section in self.0 {
            write!(f, "\n\n[{}]", section.name)?;
            Run(&section.lines).fmt(f)?;
        }
        Ok(())
    }
}

/// What every kind's template gets: the ownership marker, the notes and the sections.
pub(super) struct Parts<'p, 'a> {
    /// The ownership marker line.
    pub marker: &'p str,
    /// Comment lines, one line each.
    pub notes: &'p [Cow<'a, str>],
    /// The escaped sections.
    pub sections: &'p Sections<'a>,
}

/// The kinds of unit the plan makes, by their name's suffix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Service,
    Socket,
    Timer,
    Path,
    Target,
    Slice,
    Journald,
}

impl Kind {
    /// The kind of the unit called `name`; `None` for a suffix the plan never makes.
    pub fn of_unit(name: &str) -> Option<Self> {
        let (_, suffix) = name.rsplit_once('.')?;
        Some(match suffix {
            "service" => Self::Service,
            "socket" => Self::Socket,
            "timer" => Self::Timer,
            "path" => Self::Path,
            "target" => Self::Target,
            "slice" => Self::Slice,
            _ => return None,
        })
    }
}

macro_rules! kind_templates {
    ($($name:ident => $path:literal,)*) => {$(
        #[derive(Template)]
        #[template(path = $path, escape = "none")]
        struct $name<'p, 'a> {
            marker: &'p str,
            notes: &'p [Cow<'a, str>],
            sections: &'p Sections<'a>,
        }
    )*};
}

kind_templates! {
    ServiceFile => "service.txt",
    SocketFile => "socket.txt",
    TimerFile => "timer.txt",
    PathFile => "path.txt",
    TargetFile => "target.txt",
    SliceFile => "slice.txt",
    JournaldFile => "journald.txt",
}

/// Writes `parts` through the template of `kind` (a kind the plan never makes goes
/// through the target's, whose `rest()` writes the sections it does not name).
pub(super) fn render(kind: Option<Kind>, parts: &Parts<'_, '_>) -> String {
    let Parts {
        marker,
        notes,
        sections,
    } = *parts;
    match kind {
        Some(Kind::Service) => super::finish(&ServiceFile {
            marker,
            notes,
            sections,
        }),
        Some(Kind::Socket) => super::finish(&SocketFile {
            marker,
            notes,
            sections,
        }),
        Some(Kind::Timer) => super::finish(&TimerFile {
            marker,
            notes,
            sections,
        }),
        Some(Kind::Path) => super::finish(&PathFile {
            marker,
            notes,
            sections,
        }),
        Some(Kind::Slice) => super::finish(&SliceFile {
            marker,
            notes,
            sections,
        }),
        Some(Kind::Journald) => super::finish(&JournaldFile {
            marker,
            notes,
            sections,
        }),
        Some(Kind::Target) | None => super::finish(&TargetFile {
            marker,
            notes,
            sections,
        }),
    }
}
