//! Escaping and quoting: every value that reaches a generated file comes out exactly
//! as written once systemd (or our own readers) parse it, or is refused.
//!
//! The rules follow systemd.syntax(7), systemd.unit(5) ("Specifiers"),
//! systemd.service(5) ("Command lines") and systemd.exec(5) (`EnvironmentFile=`):
//!
//! - Unit files are line-based: a value may never hold a line break (it would start a
//!   new directive or section), and a line ending in `\` continues on the next line,
//!   so no value may end in a backslash. Leading and trailing whitespace is stripped.
//! - Most values expand `%` specifiers: a literal `%` is written `%%`.
//! - Command lines are split into words with C-style unescaping inside double quotes,
//!   and `$VAR` is expanded at run time: every argument is double-quoted, `\` and `"`
//!   are backslash-escaped, control characters written as C escapes, and `$` as `$$`.
//! - Environment files know no specifiers; double-quoted values take `\` before `"`,
//!   `\`, `` ` `` and `$`, and keep everything else (line breaks included) literally.

use std::borrow::Cow;
use std::fmt::Write as _;

use thiserror::Error;

/// Why a value cannot be written so that systemd reads it back unchanged.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum EscapeError {
    /// NUL can never reach a process.
    #[error("{what} contains a NUL character, which no program can receive")]
    Nul {
        /// What the value is (for the message).
        what: String,
    },
    /// A control character where the syntax has no escape for it.
    #[error(
        "{what} contains the control character {character:?}, which systemd cannot read back here"
    )]
    Control {
        /// What the value is.
        what: String,
        /// The offending character.
        character: char,
    },
    /// Leading or trailing whitespace, which systemd strips.
    #[error("{what} {value:?} starts or ends with whitespace, which systemd would strip")]
    EdgeWhitespace {
        /// What the value is.
        what: String,
        /// The value.
        value: String,
    },
    /// A trailing backslash, which continues the line.
    #[error("{what} {value:?} ends with a backslash, which systemd reads as a line continuation")]
    TrailingBackslash {
        /// What the value is.
        what: String,
        /// The value.
        value: String,
    },
    /// A path that systemd would refuse or change.
    #[error("{what} {value:?} is not a normalized absolute path")]
    BadPath {
        /// What the value is.
        what: String,
        /// The value.
        value: String,
    },
    /// An empty value where one is needed.
    #[error("{what} is empty")]
    Empty {
        /// What the value is.
        what: String,
    },
    /// An environment variable name systemd would not accept.
    #[error(
        "environment variable name {name:?} is not valid (letters, digits and `_`, not starting with a digit)"
    )]
    EnvName {
        /// The name.
        name: String,
    },
    /// A program name that systemd would read as a command-line prefix.
    #[error(
        "program {value:?} starts with {first:?}, which systemd reads as an ExecStart= prefix; give a path"
    )]
    ProgramPrefix {
        /// The program.
        value: String,
        /// Its first character.
        first: char,
    },
    /// A program name with a `$`, which systemd would expand in argv[0] but not in the path.
    #[error("program {value:?} contains `$`, which systemd would expand inconsistently")]
    ProgramDollar {
        /// The program.
        value: String,
    },
}

fn is_control(c: char) -> bool {
    c.is_control() && (c as u32) < 0x80
}

/// Doubles every `%`, so that specifier expansion yields the text unchanged.
pub fn specifiers(value: &str) -> Cow<'_, str> {
    if value.contains('%') {
        Cow::Owned(value.replace('%', "%%"))
    } else {
        Cow::Borrowed(value)
    }
}

/// A one-line text value (`Description=`, `SyslogIdentifier=`, `User=`, raw
/// passthrough values): refused if systemd cannot read it back; `%` doubled.
pub fn text<'a>(what: &str, value: &'a str) -> Result<Cow<'a, str>, EscapeError> {
    check_line(what, value)?;
    Ok(specifiers(value))
}

/// A value systemd reads verbatim apart from stripping it: no control characters,
/// no edge whitespace, no trailing backslash.
fn check_line(what: &str, value: &str) -> Result<(), EscapeError> {
    if value.contains('\0') {
        return Err(EscapeError::Nul { what: what.into() });
    }
    // The control characters refused are ASCII: bytes, never part of a longer character.
    if let Some(byte) = value.bytes().find(u8::is_ascii_control) {
        return Err(EscapeError::Control {
            what: what.into(),
            character: char::from(byte),
        });
    }
    if value.trim() != value {
        return Err(EscapeError::EdgeWhitespace {
            what: what.into(),
            value: value.into(),
        });
    }
    if value.ends_with('\\') {
        return Err(EscapeError::TrailingBackslash {
            what: what.into(),
            value: value.into(),
        });
    }
    Ok(())
}

/// An absolute path (`WorkingDirectory=`, `PathChanged=`, `SourcePath=`): it must be
/// normalized (no `.`, `..` or empty components), as systemd refuses or rewrites
/// others; `%` doubled.
pub fn path<'a>(what: &str, value: &'a str) -> Result<Cow<'a, str>, EscapeError> {
    check_line(what, value)?;
    let bad = || EscapeError::BadPath {
        what: what.into(),
        value: value.into(),
    };
    let rest = value.strip_prefix('/').ok_or_else(bad)?;
    if !rest.is_empty() {
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        if rest
            .split('/')
            .any(|c| c.is_empty() || c == "." || c == "..")
        {
            return Err(bad());
        }
    }
    Ok(specifiers(value))
}

/// A path that systemd expands as a glob (`EnvironmentFile=`): `\`, `*`, `?`, `[` and
/// `]` are backslash-escaped so that it matches only itself.
pub fn glob(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 8);
    // The characters to escape are ASCII, one byte: what lies between them is copied.
    let mut plain = 0;
    for (at, byte) in value.bytes().enumerate() {
        if matches!(byte, b'\\' | b'*' | b'?' | b'[' | b']') {
            out.push_str(&value[plain..at]);
            out.push('\\');
            plain = at;
        }
    }
    out.push_str(&value[plain..]);
    out
}

/// One command-line word, double-quoted for `ExecStart=`.
pub fn command_word(what: &str, value: &str) -> Result<String, EscapeError> {
    if value.contains('\0') {
        return Err(EscapeError::Nul { what: what.into() });
    }
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    // Every character that needs escaping is ASCII, one byte: what lies between them
    // is copied as it is.
    let mut plain = 0;
    for (at, byte) in value.bytes().enumerate() {
        if !(matches!(byte, b'"' | b'\\' | b'%' | b'$') || byte.is_ascii_control()) {
            continue;
        }
        out.push_str(&value[plain..at]);
        match byte {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            b'\n' => out.push_str("\\n"),
            b'\t' => out.push_str("\\t"),
            b'%' => out.push_str("%%"),
            b'$' => out.push_str("$$"),
            _ => {
                let _ = write!(out, "\\x{byte:02x}");
            }
        }
        plain = at + 1;
    }
    out.push_str(&value[plain..]);
    out.push('"');
    Ok(out)
}

/// A whole command line: the program, then its arguments, each quoted.
pub fn command_line(program: &str, args: &[String]) -> Result<String, EscapeError> {
    if program.is_empty() {
        return Err(EscapeError::Empty {
            what: "the program".into(),
        });
    }
    if let Some(first) = program.chars().next().filter(|c| "@-:+!|".contains(*c)) {
        return Err(EscapeError::ProgramPrefix {
            value: program.into(),
            first,
        });
    }
    if program.contains('$') {
        return Err(EscapeError::ProgramDollar {
            value: program.into(),
        });
    }
    let mut line = command_word("the program", program)?;
    for arg in args {
        line.push(' ');
        line.push_str(&command_word("an argument", arg)?);
    }
    Ok(line)
}

/// Whether `name` is an environment variable name systemd accepts in an
/// `EnvironmentFile=`.
pub fn is_valid_env_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// One `NAME="value"` line of an environment file (without the line break).
pub fn env_assignment(name: &str, value: &str) -> Result<String, EscapeError> {
    if !is_valid_env_name(name) {
        return Err(EscapeError::EnvName { name: name.into() });
    }
    if value.contains('\0') {
        return Err(EscapeError::Nul {
            what: format!("the value of {name}"),
        });
    }
    let mut out = String::with_capacity(name.len() + value.len() + 3);
    out.push_str(name);
    out.push_str("=\"");
    for c in value.chars() {
        if matches!(c, '"' | '\\' | '`' | '$') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    Ok(out)
}

/// A value of the `[X-Ecosystemd]` section that may hold any text (`App=`): C-style
/// quoted, as `crate::unit_policy` reads it back.
pub fn policy_value(what: &str, value: &str) -> Result<String, EscapeError> {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if is_control(c) => {
                return Err(EscapeError::Control {
                    what: what.into(),
                    character: c,
                });
            }
            c => out.push(c),
        }
    }
    out.push('"');
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specifiers_are_doubled() {
        assert_eq!(specifiers("50% of %n"), "50%% of %%n");
    }

    #[test]
    fn text_refuses_what_systemd_cannot_read_back() {
        assert_eq!(text("d", "a % b").unwrap(), "a %% b");
        assert!(matches!(
            text("d", "a\nB=c"),
            Err(EscapeError::Control { .. })
        ));
        assert!(matches!(text("d", "a\0"), Err(EscapeError::Nul { .. })));
        assert!(matches!(
            text("d", " a"),
            Err(EscapeError::EdgeWhitespace { .. })
        ));
        assert!(matches!(
            text("d", "a\\"),
            Err(EscapeError::TrailingBackslash { .. })
        ));
    }

    #[test]
    fn paths_must_be_absolute_and_normalized() {
        assert_eq!(path("p", "/srv/my app/100%").unwrap(), "/srv/my app/100%%");
        assert_eq!(path("p", "/").unwrap(), "/");
        assert_eq!(path("p", "/srv/").unwrap(), "/srv/");
        for bad in ["srv", "/srv/../etc", "/srv//a", "/srv/./a", ""] {
            assert!(path("p", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn globs_match_only_themselves() {
        assert_eq!(glob(r"/etc/a\x20b[1]*?.env"), r"/etc/a\\x20b\[1\]\*\?.env");
    }

    #[test]
    fn command_words_are_quoted_and_neutralised() {
        assert_eq!(
            command_word("a", r#"say "hi" \ 100% $HOME"#).unwrap(),
            r#""say \"hi\" \\ 100%% $$HOME""#
        );
        assert_eq!(
            command_word("a", "a\nb\tc\x01").unwrap(),
            r#""a\nb\tc\x01""#
        );
        assert_eq!(command_word("a", ";").unwrap(), r#"";""#);
        assert_eq!(command_word("a", "").unwrap(), r#""""#);
        assert!(command_word("a", "\0").is_err());
    }

    #[test]
    fn command_lines_refuse_prefix_programs() {
        assert_eq!(
            command_line("/usr/bin/node", &["app.js".into(), "--x=1".into()]).unwrap(),
            r#""/usr/bin/node" "app.js" "--x=1""#
        );
        assert!(command_line("-rm", &[]).is_err());
        assert!(command_line("/opt/$x", &[]).is_err());
        assert!(command_line("", &[]).is_err());
    }

    #[test]
    fn env_values_are_double_quoted_without_specifiers() {
        assert_eq!(
            env_assignment("A", r#"50% "q" \ `x` $Y"#).unwrap(),
            r#"A="50% \"q\" \\ \`x\` \$Y""#
        );
        assert_eq!(env_assignment("B", "l1\nl2").unwrap(), "B=\"l1\nl2\"");
        assert!(env_assignment("1A", "x").is_err());
        assert!(env_assignment("A-B", "x").is_err());
        assert!(env_assignment("A", "\0").is_err());
    }

    #[test]
    fn policy_values_round_trip_through_the_unit_policy_reader() {
        assert_eq!(
            policy_value("App", "my \"app\"\\x").unwrap(),
            r#""my \"app\"\\x""#
        );
        assert!(policy_value("App", "a\x07").is_err());
    }

    /// systemd's reading of one double-quoted `ExecStart=` word, after specifier
    /// expansion (`%%`) and with `$$` as its run-time expansion leaves it.
    fn read_command_word(word: &str) -> String {
        let inner = word.strip_prefix('"').unwrap().strip_suffix('"').unwrap();
        let inner = inner.replace("%%", "%");
        let mut out = String::new();
        let mut chars = inner.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '\\' => match chars.next().unwrap() {
                    'n' => out.push('\n'),
                    't' => out.push('\t'),
                    'x' => {
                        let hex: String = [chars.next().unwrap(), chars.next().unwrap()]
                            .iter()
                            .collect();
                        out.push(u8::from_str_radix(&hex, 16).unwrap() as char);
                    }
                    other => out.push(other),
                },
                '"' => panic!("unescaped quote in {word:?}"),
                '$' => {
                    assert_eq!(chars.next(), Some('$'), "lone $ in {word:?}");
                    out.push('$');
                }
                c => out.push(c),
            }
        }
        out
    }

    /// systemd's reading of a `NAME="value"` environment file line (env-file.c).
    fn read_env_assignment(line: &str) -> (String, String) {
        let (name, quoted) = line.split_once('=').unwrap();
        let inner = quoted.strip_prefix('"').unwrap().strip_suffix('"').unwrap();
        let mut out = String::new();
        let mut chars = inner.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' => {
                    let next = chars.next().unwrap();
                    assert!("\"\\`$".contains(next), "needless escape in {line:?}");
                    out.push(next);
                }
                '"' => panic!("unescaped quote in {line:?}"),
                c => out.push(c),
            }
        }
        (name.to_string(), out)
    }

    proptest::proptest! {
        #[test]
        fn command_words_read_back_exactly(value in "\\PC*|[%$\"'\\\\ \t\n;\\x01\\x7f]{0,16}") {
            match command_word("a", &value) {
                Ok(word) => {
                    proptest::prop_assert!(!word.chars().any(char::is_control), "{word:?}");
                    proptest::prop_assert_eq!(read_command_word(&word), value);
                }
                Err(_) => proptest::prop_assert!(value.contains('\0')),
            }
        }

        #[test]
        fn env_values_read_back_exactly(value in "\\PC*|[%$`\"'\\\\ \t\n#=]{0,16}") {
            match env_assignment("NAME", &value) {
                Ok(line) => {
                    proptest::prop_assert_eq!(read_env_assignment(&line), ("NAME".to_string(), value));
                }
                Err(_) => proptest::prop_assert!(value.contains('\0')),
            }
        }

        #[test]
        fn text_is_one_line_or_refused(value in "\\PC*|[%a \\\\\n\t]{0,12}") {
            if let Ok(text) = text("d", &value) {
                proptest::prop_assert!(!text.contains(['\n', '\r']));
                proptest::prop_assert!(!text.ends_with('\\'));
                proptest::prop_assert_eq!(text.replace("%%", "%"), value);
            }
        }
    }
}
