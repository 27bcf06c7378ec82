//! Styled text, as the view builds it and the terminal draws it: lines of spans, each
//! span with its colour and attributes. Plain data: the view's tests read it back.

/// The few colours `top` uses (the terminal's own palette, so they follow its theme).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Color {
    /// Failed units, findings, a bar near its limit, an unhealthy check.
    Red,
    /// States in between, a bar past 70 %, confirmations.
    Yellow,
    /// A bar well under its limit, a healthy check.
    Green,
    /// Group titles.
    Cyan,
}

/// How a span, or a whole line, is drawn.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Style {
    /// The foreground colour; the terminal's own when `None`.
    pub fg: Option<Color>,
    /// Bold.
    pub bold: bool,
    /// Foreground and background swapped (the selection).
    pub reversed: bool,
}

impl Style {
    /// The terminal's default look.
    pub const PLAIN: Self = Self {
        fg: None,
        bold: false,
        reversed: false,
    };

    /// This style, bold.
    pub fn bold(self) -> Self {
        Self { bold: true, ..self }
    }

    /// This style, in `colour`.
    pub fn fg(self, colour: Color) -> Self {
        Self {
            fg: Some(colour),
            ..self
        }
    }

    /// This style, reversed.
    pub fn reversed(self) -> Self {
        Self {
            reversed: true,
            ..self
        }
    }

    /// This style with `over` laid on top: its colour wins where it has one, its
    /// attributes add.
    pub fn patch(self, over: Self) -> Self {
        Self {
            fg: over.fg.or(self.fg),
            bold: self.bold || over.bold,
            reversed: self.reversed || over.reversed,
        }
    }
}

/// A run of text in one style.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Span {
    /// The text (no control characters: the view cleans what it shows).
    pub content: String,
    /// How it is drawn.
    pub style: Style,
}

impl Span {
    /// `content` in the terminal's default look.
    pub fn raw(content: impl Into<String>) -> Self {
        Self::styled(content, Style::PLAIN)
    }

    /// `content` in `style`.
    pub fn styled(content: impl Into<String>, style: Style) -> Self {
        Self {
            content: content.into(),
            style,
        }
    }
}

/// One screen line: its spans, and a style under them that also fills the rest of the
/// line (the selection's reversed bar runs the whole width).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Line {
    /// The spans, left to right.
    pub spans: Vec<Span>,
    /// The style under every span, and of the cells after the last.
    pub style: Style,
}

impl Line {
    /// This line with `style` under its spans.
    pub fn style(self, style: Style) -> Self {
        Self { style, ..self }
    }

    /// The line's text without styles.
    pub fn text(&self) -> String {
        self.spans.iter().map(|s| s.content.as_str()).collect()
    }
}

impl From<Vec<Span>> for Line {
    fn from(spans: Vec<Span>) -> Self {
        Self {
            spans,
            style: Style::PLAIN,
        }
    }
}

impl From<Span> for Line {
    fn from(span: Span) -> Self {
        Self::from(vec![span])
    }
}

impl From<String> for Line {
    fn from(text: String) -> Self {
        Self::from(Span::raw(text))
    }
}

impl From<&str> for Line {
    fn from(text: &str) -> Self {
        Self::from(Span::raw(text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_patch_adds_attributes_and_its_colour_wins() {
        let under = Style::PLAIN.reversed().fg(Color::Red);
        let patched = under.patch(Style::PLAIN.bold().fg(Color::Green));
        assert_eq!(
            patched,
            Style {
                fg: Some(Color::Green),
                bold: true,
                reversed: true
            }
        );
        assert_eq!(under.patch(Style::PLAIN), under);
    }

    #[test]
    fn a_line_reads_back_as_its_text() {
        let line = Line::from(vec![
            Span::raw("a "),
            Span::styled("b", Style::PLAIN.bold()),
        ]);
        assert_eq!(line.text(), "a b");
        assert!(
            Line::from("x")
                .style(Style::PLAIN.reversed())
                .style
                .reversed
        );
    }
}
