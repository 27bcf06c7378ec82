//! Unit file text read back, the one way everything here reads it: sections in file
//! order, each with its assignments, as systemd.syntax(7) reads them. Comment lines
//! (`#`, `;`) and blank lines are skipped, a line ending in a backslash continues on the
//! next, whitespace around `=` and around the value is dropped, and drop-ins
//! ([`UnitFile::add_drop_in`]) append their assignments after the unit's own.

use std::borrow::Cow;
use std::path::Path;
use std::{fs, io};

/// One section (`[Service]`) and its assignments, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Section {
    /// The name between the brackets.
    pub name: String,
    /// Each `Key=value`, in order, empty values included (they reset lists).
    pub entries: Vec<(String, String)>,
}

/// A parsed unit file, with its drop-ins.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UnitFile {
    /// The sections, in order of first appearance (a repeated header continues the
    /// section it names, as systemd merges them).
    pub sections: Vec<Section>,
}

impl UnitFile {
    /// Parses a unit file's text.
    pub fn parse(text: &str) -> Self {
        let mut unit = Self::default();
        unit.add_drop_in(text);
        unit
    }

    /// Reads the unit file at `fragment` and then its drop-ins, in the order given (the
    /// order systemd applies them, as its `DropInPaths` property lists them). A drop-in
    /// that cannot be read is left out, as systemd leaves it out.
    pub fn read<P: AsRef<Path>>(fragment: &Path, drop_ins: &[P]) -> io::Result<Self> {
        Ok(Self::with_drop_ins(
            &fs::read_to_string(fragment)?,
            drop_ins,
        ))
    }

    /// Parses a unit file's text, then reads its drop-ins as [`UnitFile::read`] does.
    pub fn with_drop_ins<P: AsRef<Path>>(text: &str, drop_ins: &[P]) -> Self {
        let mut unit = Self::parse(text);
        for drop_in in drop_ins {
            if let Ok(text) = fs::read_to_string(drop_in) {
                unit.add_drop_in(&text);
            }
        }
        unit
    }

    /// Whether any section of a unit file's text assigns `value` to `key`: a quick
    /// look that builds nothing.
    pub fn assigns(text: &str, key: &str, value: &str) -> bool {
        // Most texts do not hold the value at all: one search rules them out.
        text.contains(value)
            && logical_lines(text).any(|line| {
                line.split_once('=')
                    .is_some_and(|(k, v)| k.trim() == key && v.trim() == value)
            })
    }

    /// Only the section called `name` of a unit file's text, as [`UnitFile::parse`] would
    /// hold it, without building the others: `None` when the text has no such section.
    pub fn parse_section(text: &str, name: &str) -> Option<Section> {
        // Parsing starts at the section's first header: the lines before it add nothing.
        let text = &text[section_start(text, name)?..];
        let mut section: Option<Section> = None;
        let mut inside = false;
        for line in logical_lines(text) {
            if let Some(header) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
                inside = header == name;
                if inside && section.is_none() {
                    section = Some(Section {
                        name: name.to_owned(),
                        entries: Vec::new(),
                    });
                }
                continue;
            }
            let (true, Some(section), Some((key, value))) =
                (inside, section.as_mut(), line.split_once('='))
            else {
                continue;
            };
            section
                .entries
                .push((key.trim().to_owned(), value.trim().to_owned()));
        }
        section
    }

    /// Appends the assignments of a drop-in (`NAME.d/*.conf`) after the unit's own.
    pub fn add_drop_in(&mut self, text: &str) {
        let mut current: Option<usize> = None;
        for line in logical_lines(text) {
            if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
                current = Some(self.section_index(name));
                continue;
            }
            let (Some(index), Some((key, value))) = (current, line.split_once('=')) else {
                continue;
            };
            self.sections[index]
                .entries
                .push((key.trim().to_owned(), value.trim().to_owned()));
        }
    }

    fn section_index(&mut self, name: &str) -> usize {
        match self.sections.iter().position(|s| s.name == name) {
            Some(index) => index,
            None => {
                self.sections.push(Section {
                    name: name.to_owned(),
                    entries: Vec::new(),
                });
                self.sections.len() - 1
            }
        }
    }

    /// The section called `name`, if the file has one.
    pub fn section(&self, name: &str) -> Option<&Section> {
        self.sections.iter().find(|s| s.name == name)
    }

    /// Every value assigned to `key` in `section`, in order, empty ones included.
    pub fn all<'a>(&'a self, section: &str, key: &str) -> impl Iterator<Item = &'a str> {
        let key = key.to_owned();
        self.section(section)
            .into_iter()
            .flat_map(|s| s.entries.iter())
            .filter(move |(k, _)| *k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The value `key` has in `section`: its last assignment.
    pub fn value(&self, section: &str, key: &str) -> Option<&str> {
        self.all(section, key).last()
    }

    /// The items of a list setting (`WantedBy=a b`), as systemd builds it: each
    /// assignment adds its words, an empty one clears what came before.
    pub fn list(&self, section: &str, key: &str) -> Vec<&str> {
        let mut items = Vec::new();
        for value in self.all(section, key) {
            if value.is_empty() {
                items.clear();
            }
            items.extend(value.split_whitespace());
        }
        items
    }
}

/// Where the raw line that opens section `name` first starts in `text`: a line that is
/// `[name]` once trimmed and continues no line before it. A header is always one raw line
/// (a continued line never becomes one), so a text without `[name]` in it has none: one
/// search rules out most units, which are not ours.
fn section_start(text: &str, name: &str) -> Option<usize> {
    text.match_indices(name).find_map(|(start, _)| {
        let end = start + name.len();
        let (before, after) = (
            text[..start].strip_suffix('[')?,
            text[end..].strip_prefix(']')?,
        );
        let line_start = before.rfind('\n').map_or(0, |newline| newline + 1);
        let line_end = after
            .find('\n')
            .map_or(text.len(), |newline| end + 1 + newline);
        let header = text[line_start..line_end].trim() == &text[start - 1..end + 1];
        (header && !continues_into(&text[..line_start])).then_some(line_start)
    })
}

/// Whether the last line of `before` that counts continues into the next: comment lines
/// never change that (inside a continuation they are skipped), a blank line ends a
/// continuation, and any other line continues when it ends in a backslash (a header
/// never does), as [`logical_lines`] reads them.
fn continues_into(before: &str) -> bool {
    for raw in before.lines().rev() {
        let line = raw.trim();
        if !line.starts_with(['#', ';']) {
            return line.ends_with('\\') && !line.starts_with('[');
        }
    }
    false
}

/// The lines of `text` that say something, continuation lines joined (the backslash
/// becomes a space), comments and blank lines left out. A line that continues none is
/// borrowed from `text`. Lazy: a caller that stops early reads no further.
fn logical_lines(text: &str) -> LogicalLines<'_> {
    LogicalLines { raw: text.lines() }
}

/// The iterator of [`logical_lines`].
struct LogicalLines<'a> {
    raw: std::str::Lines<'a>,
}

impl<'a> Iterator for LogicalLines<'a> {
    type Item = Cow<'a, str>;

    fn next(&mut self) -> Option<Cow<'a, str>> {
        let mut pending: Option<String> = None;
        for raw in self.raw.by_ref() {
            let line = raw.trim();
            let comment = line.starts_with(['#', ';']);
            if pending.is_none() && (line.is_empty() || comment) {
                continue;
            }
            if pending.is_some() && comment {
                // Comment lines inside a continuation are skipped (systemd.syntax(7)).
                continue;
            }
            let (text, continues) = match line.strip_suffix('\\') {
                Some(head) if !line.starts_with('[') => (head, true),
                _ => (line, false),
            };
            match (pending.take(), continues) {
                (Some(mut start), _) => {
                    start.push(' ');
                    start.push_str(text);
                    if !continues {
                        return Some(Cow::Owned(start));
                    }
                    pending = Some(start);
                }
                (None, true) => pending = Some(text.to_owned()),
                (None, false) => return Some(Cow::Borrowed(text)),
            }
        }
        pending.map(Cow::Owned)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_forking_unit_is_told_by_its_type() {
        let may_fork = |text: &str| UnitFile::assigns(text, "Type", "forking");
        assert!(may_fork("[Service]\nType = forking\nExecStart=/bin/x\n"));
        assert!(!may_fork(
            "[Service]\nType=notify\nExecStart=/bin/x --type=forking\n"
        ));
    }

    #[test]
    fn a_unit_is_read_with_its_drop_ins_in_order() {
        let dir = std::env::temp_dir().join(format!("ecosystemd-unit-file-{}", std::process::id()));
        fs::create_dir_all(&dir).expect("dir");
        let fragment = dir.join("a.service");
        fs::write(
            &fragment,
            "[Service]\nRestart=always\n[X-Ecosystemd]\nApp=a\n",
        )
        .expect("unit");
        let (first, second) = (dir.join("10-first.conf"), dir.join("20-second.conf"));
        fs::write(&first, "[X-Ecosystemd]\nWatchdogRestart=manual\n").expect("first");
        fs::write(&second, "[Service]\nRestart=no\n").expect("second");
        let missing = dir.join("30-missing.conf");
        let unit = UnitFile::read(&fragment, &[&first, &missing, &second]).expect("read");
        assert_eq!(unit.value("Service", "Restart"), Some("no"));
        assert_eq!(
            unit.value("X-Ecosystemd", "WatchdogRestart"),
            Some("manual")
        );
        assert_eq!(unit.value("X-Ecosystemd", "App"), Some("a"));
        assert!(UnitFile::read(&missing, &[&first]).is_err());
        fs::remove_dir_all(&dir).expect("cleanup");
    }

    const UNIT: &str = "# ecosystemd marker\n[Unit]\nDescription = web (agents)\n\n[Service]\n; a comment\nExecStart=/usr/bin/node \\\n  server.js\nEnvironment=A=1\n[Install]\nWantedBy=agents.target\nWantedBy=\nWantedBy=multi-user.target b.target\n[Service]\nRestart=always\n";

    #[test]
    fn sections_keys_and_values_in_order() {
        let unit = UnitFile::parse(UNIT);
        let names: Vec<&str> = unit.sections.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["Unit", "Service", "Install"]);
        assert_eq!(unit.value("Unit", "Description"), Some("web (agents)"));
        assert_eq!(
            unit.value("Service", "ExecStart"),
            Some("/usr/bin/node  server.js")
        );
        assert_eq!(unit.value("Service", "Environment"), Some("A=1"));
        assert_eq!(unit.value("Service", "Restart"), Some("always"));
        assert_eq!(unit.value("Unit", "Restart"), None);
        assert_eq!(
            unit.all("Install", "WantedBy").collect::<Vec<_>>(),
            ["agents.target", "", "multi-user.target b.target"]
        );
        assert_eq!(
            unit.list("Install", "WantedBy"),
            ["multi-user.target", "b.target"]
        );
    }

    #[test]
    fn drop_ins_come_after_the_unit() {
        let mut unit = UnitFile::parse(UNIT);
        unit.add_drop_in("[Service]\nRestart=no\n[X-Ecosystemd]\nApp=\"web\"\n");
        assert_eq!(unit.value("Service", "Restart"), Some("no"));
        assert!(unit.section("X-Ecosystemd").is_some());
        assert!(UnitFile::parse(UNIT).section("X-Ecosystemd").is_none());
    }

    #[test]
    fn one_section_alone_reads_as_in_the_whole_file() {
        let whole = UnitFile::parse(UNIT);
        for name in ["Unit", "Service", "Install"] {
            assert_eq!(
                UnitFile::parse_section(UNIT, name).as_ref(),
                whole.section(name),
                "{name}"
            );
        }
        assert_eq!(UnitFile::parse_section(UNIT, "X-Ecosystemd"), None);
        let empty = UnitFile::parse_section("[A]\n[B]\nK=v\n", "A").expect("section");
        assert!(empty.entries.is_empty());
        let named = "[Unit]\nDescription=about X-Ecosystemd\n";
        assert_eq!(UnitFile::parse_section(named, "X-Ecosystemd"), None);
        let texts = [
            "[Unit]\nDescription=a \\\n[X-Ecosystemd]\nApp=x\n",
            "[Unit]\nA=a \\\n# note\n; note\n  [X-Ecosystemd]\nApp=x\n[X-Ecosystemd]\nApp=y\n",
            "[Unit]\nA=a \\\n\n[X-Ecosystemd]\nApp=x \\\n  more\n[Service]\nB=1\n[X-Ecosystemd]\nC=2",
            "# [X-Ecosystemd]\n X-Ecosystemd]\n[X-Ecosystemd] x\n\t[X-Ecosystemd]\r\nApp=z\r\n",
            "[X-Ecosystemd]",
            "[Service]\nExecStart=/bin/x \\\n[Unit]\n[X-Ecosystemd]\nApp=w\n",
        ];
        for text in texts {
            for name in ["X-Ecosystemd", "Unit", "Service"] {
                assert_eq!(
                    UnitFile::parse_section(text, name).as_ref(),
                    UnitFile::parse(text).section(name),
                    "{name} in {text:?}"
                );
            }
        }
        assert_eq!(UnitFile::parse_section(texts[0], "X-Ecosystemd"), None);
    }

    #[test]
    fn lines_outside_a_section_and_without_assignment_are_ignored() {
        let unit = UnitFile::parse("Key=before\n[Unit]\nno assignment\nA=b\n");
        assert_eq!(unit.sections.len(), 1);
        assert_eq!(unit.sections[0].entries, [("A".to_owned(), "b".to_owned())]);
    }
}
