//! Tokens of MySQL/MariaDB DDL: words, quoted identifiers and strings,
//! numbers, bit and hex literals, punctuation. Comments are dropped, except
//! versioned comments (`/*!50001 … */`, `/*M!100101 … */`), whose content
//! is SQL the server applied and so is lexed like the rest.

use super::DdlError;

/// What a token is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tok {
    /// An unquoted word: keyword or identifier, as written.
    Word(String),
    /// A backquoted identifier, unquoted.
    Ident(String),
    /// A quoted string (`'…'` or `"…"`), escapes decoded.
    Str(String),
    /// A number as written (`42`, `1.50`, `1e3`).
    Number(String),
    /// `b'101'` or `0b101`: the binary digits.
    Bits(String),
    /// `x'ff'` or `0xff`: the hex digits.
    Hex(String),
    /// Punctuation or an operator: `(`, `)`, `,`, `.`, `=`, `;`, `-`, `+`, …
    Punct(char),
}

/// A token and where it starts and ends in the statement (byte offsets).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// The token.
    pub tok: Tok,
    /// Byte offset of its first character.
    pub start: usize,
    /// Byte offset just past its last character.
    pub end: usize,
}

/// Splits `sql` into tokens.
pub fn tokenize(sql: &str) -> Result<Vec<Token>, DdlError> {
    let b = sql.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    // Inside a versioned comment its closing `*/` is dropped when met.
    let mut versioned_depth = 0usize;
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        if c == b'/' && b.get(i + 1) == Some(&b'*') {
            let (marker, skip) = match (b.get(i + 2), b.get(i + 3)) {
                (Some(b'!'), _) => (true, 3),
                (Some(b'M'), Some(b'!')) => (true, 4),
                _ => (false, 2),
            };
            if marker {
                i += skip;
                while i < b.len() && b[i].is_ascii_digit() {
                    i += 1;
                }
                versioned_depth += 1;
                continue;
            }
            let Some(close) = find(b, i + 2, b"*/") else {
                return Err(DdlError::lex("unterminated comment", sql, i));
            };
            i = close + 2;
            continue;
        }
        if c == b'*' && b.get(i + 1) == Some(&b'/') && versioned_depth > 0 {
            versioned_depth -= 1;
            i += 2;
            continue;
        }
        if c == b'#'
            || (c == b'-' && b.get(i + 1) == Some(&b'-') && b.get(i + 2).is_none_or(|c| c.is_ascii_whitespace()))
        {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
            continue;
        }
        let start = i;
        let tok = match c {
            b'`' => {
                let (s, next) = quoted(sql, i, b'`', false)?;
                i = next;
                Tok::Ident(s)
            }
            b'\'' | b'"' => {
                let (s, next) = quoted(sql, i, c, true)?;
                i = next;
                Tok::Str(s)
            }
            b'0'..=b'9' => {
                let (tok, next) = number_or_word(sql, i);
                i = next;
                tok
            }
            _ if (c == b'b' || c == b'B' || c == b'x' || c == b'X') && b.get(i + 1) == Some(&b'\'') => {
                let (s, next) = quoted(sql, i + 1, b'\'', false)?;
                i = next;
                if c == b'b' || c == b'B' { Tok::Bits(s) } else { Tok::Hex(s) }
            }
            _ if is_word_byte(c) => {
                while i < b.len() && is_word_byte(b[i]) {
                    i += 1;
                }
                Tok::Word(sql[start..i].to_string())
            }
            _ => {
                // Any other character, one at a time (operators are never
                // needed beyond their first character here).
                let ch = sql[i..].chars().next().unwrap_or('\0');
                i += ch.len_utf8().max(1);
                Tok::Punct(ch)
            }
        };
        out.push(Token { tok, start, end: i });
    }
    Ok(out)
}

/// Letters, digits, `_`, `$` and anything non-ASCII may appear in unquoted
/// identifiers.
fn is_word_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'$' || c >= 0x80
}

fn find(b: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    b.get(from..)?.windows(needle.len()).position(|w| w == needle).map(|p| p + from)
}

/// A quoted token starting at `open` (the quote): its decoded content and
/// the offset after the closing quote. A doubled quote stands for itself;
/// backslash escapes apply in strings only.
fn quoted(sql: &str, open: usize, quote: u8, escapes: bool) -> Result<(String, usize), DdlError> {
    let b = sql.as_bytes();
    let mut out = Vec::new();
    let mut i = open + 1;
    while i < b.len() {
        let c = b[i];
        if c == quote {
            if b.get(i + 1) == Some(&quote) {
                out.push(quote);
                i += 2;
                continue;
            }
            return Ok((String::from_utf8_lossy(&out).into_owned(), i + 1));
        }
        if c == b'\\' && escapes {
            let Some(&e) = b.get(i + 1) else { break };
            match e {
                b'0' => out.push(0),
                b'b' => out.push(8),
                b'n' => out.push(b'\n'),
                b'r' => out.push(b'\r'),
                b't' => out.push(b'\t'),
                b'Z' => out.push(0x1a),
                // MySQL keeps the backslash before % and _ (LIKE patterns).
                b'%' | b'_' => out.extend_from_slice(&[b'\\', e]),
                _ => out.push(e),
            }
            i += 2;
            continue;
        }
        out.push(c);
        i += 1;
    }
    Err(DdlError::lex("unterminated quoted string or identifier", sql, open))
}

/// A number, a `0x…`/`0b…` literal, or an identifier that starts with digits
/// (`1st_col` is a valid unquoted identifier).
fn number_or_word(sql: &str, start: usize) -> (Tok, usize) {
    let b = sql.as_bytes();
    let mut i = start;
    if b[i] == b'0' && matches!(b.get(i + 1), Some(b'x' | b'b')) {
        let hex = b[i + 1] == b'x';
        let mut j = i + 2;
        while j < b.len() && (if hex { b[j].is_ascii_hexdigit() } else { matches!(b[j], b'0' | b'1') }) {
            j += 1;
        }
        if j > i + 2 && !b.get(j).is_some_and(|&c| is_word_byte(c)) {
            let digits = sql[i + 2..j].to_string();
            return (if hex { Tok::Hex(digits) } else { Tok::Bits(digits) }, j);
        }
    }
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    if b.get(i) == Some(&b'.') && b.get(i + 1).is_some_and(|c| c.is_ascii_digit()) {
        i += 1;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        let mut j = i + 1;
        if matches!(b.get(j), Some(b'+' | b'-')) {
            j += 1;
        }
        if b.get(j).is_some_and(|c| c.is_ascii_digit()) {
            while j < b.len() && b[j].is_ascii_digit() {
                j += 1;
            }
            if !b.get(j).is_some_and(|&c| is_word_byte(c)) {
                return (Tok::Number(sql[start..j].to_string()), j);
            }
        }
    }
    if b.get(i).is_some_and(|&c| is_word_byte(c)) {
        while i < b.len() && is_word_byte(b[i]) {
            i += 1;
        }
        return (Tok::Word(sql[start..i].to_string()), i);
    }
    (Tok::Number(sql[start..i].to_string()), i)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(sql: &str) -> Vec<Tok> {
        tokenize(sql).unwrap().into_iter().map(|t| t.tok).collect()
    }

    #[test]
    fn comments_are_dropped_and_versioned_comments_kept() {
        assert_eq!(
            toks("a /* x */ b -- c\n# d\n /*!50001 e */ /*M!100101 f*/ g"),
            ["a", "b", "e", "f", "g"].map(|w| Tok::Word(w.into()))
        );
        // `--` without a following space is two minus signs.
        assert_eq!(toks("1--2"), [Tok::Number("1".into()), Tok::Punct('-'), Tok::Punct('-'), Tok::Number("2".into())]);
    }

    #[test]
    fn strings_and_identifiers() {
        assert_eq!(
            toks(r#"'it''s' 'a\'b\nc' "d""e" `we``ird` `db`.`t`"#),
            [
                Tok::Str("it's".into()),
                Tok::Str("a'b\nc".into()),
                Tok::Str("d\"e".into()),
                Tok::Ident("we`ird".into()),
                Tok::Ident("db".into()),
                Tok::Punct('.'),
                Tok::Ident("t".into())
            ]
        );
    }

    #[test]
    fn numbers_and_literals() {
        assert_eq!(
            toks("42 1.50 1e3 b'101' X'FF' 0x1f 0b11 1st"),
            [
                Tok::Number("42".into()),
                Tok::Number("1.50".into()),
                Tok::Number("1e3".into()),
                Tok::Bits("101".into()),
                Tok::Hex("FF".into()),
                Tok::Hex("1f".into()),
                Tok::Bits("11".into()),
                Tok::Word("1st".into())
            ]
        );
    }

    #[test]
    fn unterminated_input_is_an_error() {
        assert!(tokenize("'abc").is_err());
        assert!(tokenize("`abc").is_err());
        assert!(tokenize("/* abc").is_err());
        assert!(tokenize("'abc\\").is_err());
    }
}
