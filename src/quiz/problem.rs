//! Problems found in quiz files, with their `file:line:column` positions, and the error that carries them.

use std::fmt;
use std::ops::Range;

/// One thing wrong with a quiz file, at a precise place.
///
/// Displays as `file:line:column: message`, the format editors and CI logs turn into links.
/// `line` and `column` are 1-based; the column counts characters (not bytes), so accented text
/// before the problem does not shift it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}:{column}: {message}")]
pub struct Problem {
    /// The file as it was named to Loupe (a path, or `quizzes/….toml` for a bundled quiz).
    pub file: String,
    /// 1-based line of the offending key or value.
    pub line: usize,
    /// 1-based column (in characters) of the offending key or value.
    pub column: usize,
    /// What is wrong and, where it helps, how to fix it.
    pub message: String,
}

/// Quiz files that could not be loaded: every problem found, not only the first.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", ProblemList(.problems))]
pub struct QuizError {
    /// The problems, grouped by file and ordered by position within each file.
    pub problems: Vec<Problem>,
}

/// Displays problems one per line.
struct ProblemList<'a>(&'a [Problem]);

impl fmt::Display for ProblemList<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{p}")?;
        }
        Ok(())
    }
}

/// Collects the problems of one file, turning byte spans into line and column.
pub(crate) struct Sink<'s> {
    file: &'s str,
    src: &'s str,
    line_starts: Vec<usize>,
    problems: Vec<Problem>,
}

impl<'s> Sink<'s> {
    /// A sink for the file `file` whose text is `src`.
    pub(crate) fn new(file: &'s str, src: &'s str) -> Self {
        let line_starts = std::iter::once(0)
            .chain(src.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Sink {
            file,
            src,
            line_starts,
            problems: Vec::new(),
        }
    }

    /// Records a problem at the start of `span`.
    pub(crate) fn at(&mut self, span: Range<usize>, message: impl Into<String>) {
        let (line, column) = self.position(span.start);
        self.problems.push(Problem {
            file: self.file.to_owned(),
            line,
            column,
            message: message.into(),
        });
    }

    /// How many problems were recorded so far (to tell whether a part of the file was clean).
    pub(crate) fn count(&self) -> usize {
        self.problems.len()
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub(crate) fn position(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.src.len());
        let line = self.line_starts.partition_point(|&s| s <= offset).max(1);
        let start = self.line_starts[line - 1];
        let column = self
            .src
            .get(start..offset)
            .map_or(offset - start, |s| s.chars().count())
            + 1;
        (line, column)
    }

    /// The problems, ordered by position.
    pub(crate) fn into_problems(mut self) -> Vec<Problem> {
        self.problems.sort_by_key(|p| (p.line, p.column));
        self.problems
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based_and_count_characters() {
        let src = "a = 1\ntitre = \"é\" x\n";
        let sink = Sink::new("f.toml", src);
        assert_eq!(sink.position(0), (1, 1));
        assert_eq!(sink.position(4), (1, 5));
        assert_eq!(sink.position(6), (2, 1));
        // "x" comes after a two-byte "é": byte 19, character column 13.
        let x = src.find('x').unwrap();
        assert_eq!(sink.position(x), (2, 13));
        assert_eq!(sink.position(src.len()), (3, 1));
    }

    #[test]
    fn display_is_file_line_column_message() {
        let mut sink = Sink::new("q.toml", "a\nbb = 2\n");
        sink.at(5..6, "second");
        sink.at(0..1, "first");
        let err = QuizError {
            problems: sink.into_problems(),
        };
        assert_eq!(err.to_string(), "q.toml:1:1: first\nq.toml:2:4: second");
    }
}
