//! One askama template per kind of file (`templates/service.txt`, `socket.txt`, ...):
//! a unit's escaped sections go to its kind's template, which names each section and
//! directive in the order the plan writes them.
//!
//! The templates take the lines through a cursor ([`Sections`], [`Lines`]): each
//! `line("Key")` writes the directives `Key=` that come next (none, one or several),
//! and `rest()` whatever the template does not name (the app's raw directives). So the
//! output is always the plan's lines in the plan's order, and the templates show what
//! a file of each kind looks like.

use std::cell::Cell;
use std::fmt;

use askama::{FastWritable, Template, Values};

/// A unit's escaped lines, section by section, and how far the template has written
/// them.
///
/// The lines are kept as they will be written, `\nKey=value` each, one after another in
/// one buffer for the whole unit: the directives a template names together
/// (`line("Key")`) always follow each other, so they go out in one piece.
pub(super) struct Sections<'a> {
    /// Every line, each after a line break.
    text: String,
    /// Where each line is in `text`.
    lines: Vec<Span<'a>>,
    /// The sections, in the plan's order.
    sections: Vec<Part<'a>>,
    /// The next section to write.
    at: Cell<usize>,
}

/// Where one line (`\nKey=value`) is in the text of [`Sections`].
#[derive(Clone, Copy)]
struct Span<'a> {
    key: &'a str,
    start: usize,
    end: usize,
}

/// One section of [`Sections`]: its name, where its lines start and how many of them
/// are written.
struct Part<'a> {
    name: &'a str,
    /// Its first line, as an index of `lines`.
    first: usize,
    written: Cell<usize>,
    /// Where `rest()` began (test builds check that templates name every line).
    #[cfg(test)]
    rest_from: Cell<Option<usize>>,
}

impl<'a> Sections<'a> {
    /// No sections yet, with room for `sections` sections of `lines` lines in all.
    pub fn with_capacity(sections: usize, lines: usize) -> Self {
        Self {
            text: String::with_capacity(lines * 40),
            lines: Vec::with_capacity(lines),
            sections: Vec::with_capacity(sections),
            at: Cell::new(0),
        }
    }

    /// Starts the section called `name`: the lines pushed next are its.
    pub fn begin(&mut self, name: &'a str) {
        self.sections.push(Part {
            name,
            first: self.lines.len(),
            written: Cell::new(0),
            #[cfg(test)]
            rest_from: Cell::new(None),
        });
    }

    /// Adds the line `key=value` to the section begun last, `value` already escaped
    /// for its place.
    #[inline]
    pub fn push(&mut self, key: &'a str, value: &str) {
        let start = self.text.len();
        self.text.reserve(key.len() + value.len() + 2);
        self.text.push('\n');
        self.text.push_str(key);
        self.text.push('=');
        self.text.push_str(value);
        let end = self.text.len();
        self.lines.push(Span { key, start, end });
    }

    /// The section called `name`, if it comes next.
    pub fn next(&self, name: &str) -> Option<Lines<'_, 'a>> {
        let index = self.at.get();
        let part = self.sections.get(index)?;
        (part.name == name).then(|| {
            self.at.set(index + 1);
            self.section(index)
        })
    }

    /// The section called `name`, wherever it is.
    pub fn find(&self, name: &str) -> Option<Lines<'_, 'a>> {
        let index = self.sections.iter().position(|part| part.name == name)?;
        Some(self.section(index))
    }

    /// Every section not written yet, headers and lines.
    pub fn rest(&self) -> RestSections<'_, 'a> {
        let from = self.at.replace(self.sections.len());
        RestSections {
            sections: self,
            from,
        }
    }

    /// Section `index`, as a template takes it.
    fn section(&self, index: usize) -> Lines<'_, 'a> {
        let part = &self.sections[index];
        Lines {
            part,
            lines: &self.lines[part.first..self.end_of(index)],
            text: &self.text,
        }
    }

    /// The index in `lines` just past section `index`'s lines.
    fn end_of(&self, index: usize) -> usize {
        self.sections
            .get(index + 1)
            .map_or(self.lines.len(), |next| next.first)
    }

    /// The `Key` of each line a template wrote through a `rest()` rather than by
    /// name.
    #[cfg(test)]
    pub fn unnamed(&self) -> Vec<String> {
        let mut keys = Vec::new();
        for (index, part) in self.sections.iter().enumerate() {
            let from = if index >= self.at.get() {
                Some(0)
            } else {
                part.rest_from.get()
            };
            if let Some(from) = from {
                keys.extend(
                    self.lines[part.first + from..self.end_of(index)]
                        .iter()
                        .map(|line| format!("[{}] {}", part.name, line.key)),
                );
            }
        }
        keys
    }
}

/// One section's lines, as a template takes them: `line("Key")` writes the next
/// lines if they are `Key=`.
pub(super) struct Lines<'s, 'a> {
    part: &'s Part<'a>,
    /// The section's lines.
    lines: &'s [Span<'a>],
    /// The unit's text.
    text: &'s str,
}

impl<'s, 'a> Lines<'s, 'a> {
    /// Every line as `(key, escaped value)`, in order.
    pub fn entries(&self) -> impl Iterator<Item = (&'a str, &'s str)> + use<'s, 'a> {
        let text = self.text;
        self.lines.iter().map(move |line| {
            // `\nKey=value`: the value starts after the line break, the key and `=`.
            (line.key, &text[line.start + line.key.len() + 2..line.end])
        })
    }

    /// The directives `key` that come next.
    #[inline(always)]
    pub fn line(&self, key: &str) -> Run<'s> {
        // Most `line()`s of a template find nothing, and most others one line: one
        // comparison each, in the template.
        let first = self.part.written.get();
        match self.lines.get(first) {
            Some(line) if line.key == key => match self.lines.get(first + 1) {
                Some(next) if next.key == key => self.take_while(|k| k == key),
                _ => {
                    self.part.written.set(first + 1);
                    Run(&self.text[line.start..line.end])
                }
            },
            _ => Run(""),
        }
    }

    /// The directives `a` and `b` that come next, in whatever order they alternate.
    pub fn either(&self, a: &str, b: &str) -> Run<'s> {
        self.take_while(|k| k == a || k == b)
    }

    /// The sandboxing directives of a hardening profile that come next.
    pub fn sandboxing(&self) -> Run<'s> {
        self.take_while(crate::plan::hardening::is_sandboxing)
    }

    /// Every line not written yet.
    pub fn rest(&self) -> Run<'s> {
        #[cfg(test)]
        self.part.rest_from.set(Some(self.part.written.get()));
        self.take_while(|_| true)
    }

    fn take_while(&self, wanted: impl Fn(&str) -> bool) -> Run<'s> {
        let first = self.part.written.get();
        let count = self.lines[first..]
            .iter()
            .take_while(|line| wanted(line.key))
            .count();
        if count == 0 {
            return Run("");
        }
        self.part.written.set(first + count);
        let end = self.lines[first + count - 1].end;
        Run(&self.text[self.lines[first].start..end])
    }
}

/// Lines taken together, as written: each after a line break.
pub(super) struct Run<'s>(&'s str);

/// How the templates write a run: straight into their output, without a
/// [`fmt::Formatter`] per `{{ }}` (a service's template has about 70).
impl FastWritable for Run<'_> {
    #[inline]
    fn write_into(&self, dest: &mut dyn fmt::Write, _: &dyn Values) -> askama::Result<()> {
        if !self.0.is_empty() {
            dest.write_str(self.0)?;
        }
        Ok(())
    }
}

impl fmt::Display for Run<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

/// Sections a template does not name, written as they are.
pub(super) struct RestSections<'s, 'a> {
    sections: &'s Sections<'a>,
    /// The first of them.
    from: usize,
}

impl RestSections<'_, '_> {
    fn write(&self, out: &mut (impl fmt::Write + ?Sized)) -> fmt::Result {
        let sections = self.sections;
        for (index, part) in sections.sections.iter().enumerate().skip(self.from) {
            out.write_str("\n\n[")?;
            out.write_str(part.name)?;
            out.write_str("]")?;
            let lines = &sections.lines[part.first..sections.end_of(index)];
            if let (Some(first), Some(last)) = (lines.first(), lines.last()) {
                out.write_str(&sections.text[first.start..last.end])?;
            }
        }
        Ok(())
    }
}

impl FastWritable for RestSections<'_, '_> {
    fn write_into(&self, dest: &mut dyn fmt::Write, _: &dyn Values) -> askama::Result<()> {
        Ok(self.write(dest)?)
    }
}

impl fmt::Display for RestSections<'_, '_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write(f)
    }
}

/// A unit's notes, for a template's `for note in notes`.
#[derive(Clone, Copy)]
pub(super) struct Notes<'a>(pub &'a [String]);

impl<'a> IntoIterator for &Notes<'a> {
    type Item = Note<'a>;
    type IntoIter = std::iter::Map<std::slice::Iter<'a, String>, fn(&'a String) -> Note<'a>>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter().map(|note| Note(note))
    }
}

/// One note, written on one comment line: a control character (a line break) becomes
/// a space.
pub(super) struct Note<'a>(&'a str);

impl Note<'_> {
    fn write(&self, out: &mut (impl fmt::Write + ?Sized)) -> fmt::Result {
        // Control characters are U+0000..=U+001F, U+007F and U+0080..=U+009F (`\xC2\x80`
        // to `\xC2\x9F` in UTF-8): a pass over the bytes rules them out without decoding.
        let suspect = self.0.bytes().fold(false, |seen, b| {
            seen | (b < 0x20) | (b == 0x7f) | (b == 0xc2)
        });
        if !suspect {
            return out.write_str(self.0);
        }
        for c in self.0.chars() {
            out.write_char(if c.is_control() { ' ' } else { c })?;
        }
        Ok(())
    }
}

impl FastWritable for Note<'_> {
    fn write_into(&self, dest: &mut dyn fmt::Write, _: &dyn Values) -> askama::Result<()> {
        Ok(self.write(dest)?)
    }
}

impl fmt::Display for Note<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write(f)
    }
}

/// What every kind's template gets: the ownership marker, the notes and the sections.
pub(super) struct Parts<'p, 'a> {
    /// The ownership marker line.
    pub marker: &'p str,
    /// Comment lines, one line each.
    pub notes: Notes<'p>,
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
        let dot = name.bytes().rposition(|b| b == b'.')?;
        Some(match &name[dot + 1..] {
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
            notes: Notes<'p>,
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

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Sections<'static> {
        let mut sections = Sections::with_capacity(3, 6);
        sections.begin("Unit");
        sections.push("Description", "web");
        sections.push("After", "a.service");
        sections.push("After", "b.service");
        sections.push("Wants", "c.service");
        sections.begin("Install");
        sections.push("WantedBy", "x.target y.target");
        sections.begin("X-Raw");
        sections.push("Key", "");
        sections
    }

    #[test]
    fn runs_are_the_lines_named_in_order() {
        let sections = sample();
        let unit = sections.next("Unit").unwrap();
        assert_eq!(unit.line("Wants").0, "");
        assert_eq!(unit.line("Description").0, "\nDescription=web");
        assert_eq!(unit.line("Description").0, "");
        assert_eq!(unit.line("After").0, "\nAfter=a.service\nAfter=b.service");
        assert_eq!(unit.rest().0, "\nWants=c.service");
        assert!(sections.next("Unit").is_none());
        assert!(sections.next("Install").is_some());
        assert_eq!(sections.unnamed(), ["[Unit] Wants", "[X-Raw] Key"]);
        assert_eq!(sections.rest().to_string(), "\n\n[X-Raw]\nKey=");
        assert_eq!(sections.rest().to_string(), "");
    }

    #[test]
    fn entries_are_keys_and_escaped_values() {
        let sections = sample();
        let install = sections.find("Install").unwrap();
        assert_eq!(
            install.entries().collect::<Vec<_>>(),
            [("WantedBy", "x.target y.target")]
        );
        let raw = sections.find("X-Raw").unwrap();
        assert_eq!(raw.entries().collect::<Vec<_>>(), [("Key", "")]);
    }

    #[test]
    fn notes_stay_on_their_comment_line() {
        assert_eq!(Note("plain, caf\u{e9}").to_string(), "plain, caf\u{e9}");
        assert_eq!(Note("a\nb\u{85}c\u{a0}d").to_string(), "a b c\u{a0}d");
    }
}
