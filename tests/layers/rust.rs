//! Reading Rust source as text, enough to find module paths: comments and literals blanked out,
//! and every `crate::…`, `super::…` and `self::…` path resolved from the crate root.

/// The code of a Rust file with comments, string and character literals blanked out (line
/// breaks kept, so line numbers still hold).
pub fn code_only(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let blank = |c: char| if c == '\n' { '\n' } else { ' ' };
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                out.push(' ');
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    out.push_str("  ");
                    i += 2;
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    out.push_str("  ");
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    out.push(blank(chars[i]));
                    i += 1;
                }
            }
        } else if c == 'r' && matches!(next, Some('"') | Some('#')) && !ident_before(&chars, i) {
            // A raw string: r"…", r#"…"#.
            let mut j = i + 1;
            let mut hashes = 0;
            while chars.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if chars.get(j) != Some(&'"') {
                out.push(c);
                i += 1;
                continue;
            }
            j += 1;
            loop {
                match chars.get(j) {
                    None => break,
                    Some('"') if (1..=hashes).all(|k| chars.get(j + k) == Some(&'#')) => {
                        j += 1 + hashes;
                        break;
                    }
                    Some(_) => j += 1,
                }
            }
            for &ch in &chars[i..j.min(chars.len())] {
                out.push(blank(ch));
            }
            i = j;
        } else if c == '"' {
            out.push(' ');
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                if chars[i] == '\\' {
                    out.push(' ');
                    i += 1;
                }
                if i < chars.len() {
                    out.push(blank(chars[i]));
                    i += 1;
                }
            }
            out.push(' ');
            i += 1;
        } else if c == '\'' && is_char_literal(&chars, i) {
            // `'x'`, or an escape: `'\''`, `'\\'`, `'\u{feff}'` end at the first `'` after it.
            let end = if chars[i + 1] == '\\' {
                (i + 3..chars.len())
                    .find(|&k| chars[k] == '\'')
                    .unwrap_or(i)
            } else {
                i + 2
            };
            for _ in i..=end {
                out.push(' ');
            }
            i = end + 1;
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

pub fn ident_before(chars: &[char], i: usize) -> bool {
    i > 0 && (chars[i - 1].is_alphanumeric() || chars[i - 1] == '_')
}

/// `'a'`, `'\n'`, `'\''`, `'\u{feff}'` — not a lifetime (`'a`, `'static`).
pub fn is_char_literal(chars: &[char], i: usize) -> bool {
    matches!(
        (chars.get(i + 1), chars.get(i + 2)),
        (Some('\\'), _) | (Some(_), Some('\''))
    )
}

pub fn ident_at(chars: &[char], mut i: usize) -> (String, usize) {
    let mut s = String::new();
    while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
        s.push(chars[i]);
        i += 1;
    }
    (s, i)
}

pub fn skip_space(chars: &[char], mut i: usize) -> usize {
    while i < chars.len() && chars[i].is_whitespace() {
        i += 1;
    }
    i
}

/// A path being read: where it starts, and the segments after that.
struct Reader<'a> {
    chars: &'a [char],
    out: Vec<(Vec<String>, usize)>,
}

impl Reader<'_> {
    /// Reads `(:: name)* (:: {group})?` from `i`, appending to `prefix`; records each full path
    /// (a group records one per item). Returns where it stopped.
    fn tail(&mut self, mut i: usize, mut prefix: Vec<String>, at: usize) -> usize {
        loop {
            let k = skip_space(self.chars, i);
            if self.chars.get(k) != Some(&':') || self.chars.get(k + 1) != Some(&':') {
                break;
            }
            let k = skip_space(self.chars, k + 2);
            if self.chars.get(k) == Some(&'{') {
                return self.group(k + 1, prefix);
            }
            let (name, end) = ident_at(self.chars, k);
            if name.is_empty() {
                break;
            }
            prefix.push(name);
            i = end;
        }
        self.out.push((prefix, at));
        i
    }

    /// Reads the items of a `{…}` group (just after `{`) up to its `}`.
    fn group(&mut self, mut i: usize, prefix: Vec<String>) -> usize {
        loop {
            i = skip_space(self.chars, i);
            match self.chars.get(i) {
                None => return i,
                Some('}') => return i + 1,
                Some(',') => i += 1,
                Some('{') => i = self.group(i + 1, prefix.clone()),
                Some(c) if c.is_alphabetic() || *c == '_' => {
                    let (name, end) = ident_at(self.chars, i);
                    let mut path = prefix.clone();
                    if name != "self" {
                        path.push(name);
                    }
                    i = self.tail(end, path, i);
                }
                Some(_) => i += 1, // `*`, `as x`
            }
        }
    }
}

/// Every `crate::…`, `super::…` and `self::…` path of a file's code, resolved from the crate
/// root (a `use` group gives one path per item), with the offset where each starts.
pub fn paths(code: &str, module: &[String]) -> Vec<(Vec<String>, usize)> {
    let chars: Vec<char> = code.chars().collect();
    let mut reader = Reader {
        chars: &chars,
        out: Vec::new(),
    };
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_alphabetic() || ident_before(&chars, i) {
            i += 1;
            continue;
        }
        let (word, mut end) = ident_at(&chars, i);
        let mut base: Vec<String> = match word.as_str() {
            "crate" => Vec::new(),
            "self" => module.to_vec(),
            "super" => module[..module.len().saturating_sub(1)].to_vec(),
            _ => {
                i = end;
                continue;
            }
        };
        if word == "super" {
            // `super::super::…`
            loop {
                let k = skip_space(&chars, end);
                if chars.get(k) != Some(&':') || chars.get(k + 1) != Some(&':') {
                    break;
                }
                let k = skip_space(&chars, k + 2);
                let (next, after) = ident_at(&chars, k);
                if next != "super" {
                    break;
                }
                base.pop();
                end = after;
            }
        }
        let start = i;
        i = reader.tail(end, base, start).max(end);
    }
    reader.out
}

pub fn line_of(code: &str, offset_chars: usize) -> usize {
    code.chars()
        .take(offset_chars)
        .filter(|&c| c == '\n')
        .count()
        + 1
}
