//! Splitting a command line into words the way a POSIX shell does, without any
//! expansion: whitespace separates words, single quotes keep everything literally,
//! double quotes keep everything but `\"`, `\\`, `` \` `` and `\$`, and a backslash
//! outside quotes keeps the next character.

/// Splits `line` into words; an unterminated quote is an error.
pub fn split(line: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(other) => word.push(other),
                        None => return Err("unterminated single quote".to_owned()),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(escaped @ ('"' | '\\' | '`' | '$')) => word.push(escaped),
                            Some('\n') => {}
                            Some(other) => {
                                word.push('\\');
                                word.push(other);
                            }
                            None => return Err("unterminated double quote".to_owned()),
                        },
                        Some(other) => word.push(other),
                        None => return Err("unterminated double quote".to_owned()),
                    }
                }
            }
            '\\' => {
                in_word = true;
                match chars.next() {
                    Some('\n') => {}
                    Some(other) => word.push(other),
                    None => word.push('\\'),
                }
            }
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            other => {
                in_word = true;
                word.push(other);
            }
        }
    }
    if in_word {
        words.push(word);
    }
    Ok(words)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(line: &str) -> Vec<String> {
        split(line).unwrap()
    }

    #[test]
    fn whitespace_separates() {
        assert_eq!(
            words("  run  start:prod\t--x "),
            ["run", "start:prod", "--x"]
        );
        assert!(words("   ").is_empty());
    }

    #[test]
    fn quotes_keep_spaces() {
        assert_eq!(
            words(r#"--name "my app" 'a b'"#),
            ["--name", "my app", "a b"]
        );
        assert_eq!(words(r#"--flag="x y"z"#), ["--flag=x yz"]);
        assert_eq!(words("''"), [""]);
    }

    #[test]
    fn escapes() {
        assert_eq!(
            words(r#"a\ b "q\"uote" 'no\escape' "\n""#),
            ["a b", "q\"uote", "no\\escape", "\\n"]
        );
    }

    #[test]
    fn nothing_expands() {
        assert_eq!(words("$HOME ~ * %i"), ["$HOME", "~", "*", "%i"]);
    }

    #[test]
    fn unterminated_quotes_are_errors() {
        assert!(split("'open").is_err());
        assert!(split("\"open").is_err());
        assert!(split("\"open\\").is_err());
    }
}
