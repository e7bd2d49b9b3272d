//! A cursor over a statement's tokens with the small steps the parsers
//! share: keywords, identifiers, qualified names, balanced skipping.

use super::DdlError;
use super::lexer::{Tok, Token};

/// Tokens of one statement and a position in them.
pub struct Cursor<'a> {
    sql: &'a str,
    toks: Vec<Token>,
    pos: usize,
}

impl<'a> Cursor<'a> {
    /// A cursor at the first token. A trailing `;` ends the statement.
    pub fn new(sql: &'a str, mut toks: Vec<Token>) -> Self {
        while toks.last().is_some_and(|t| t.tok == Tok::Punct(';')) {
            toks.pop();
        }
        Self { sql, toks, pos: 0 }
    }

    /// The current token.
    pub fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos).map(|t| &t.tok)
    }

    /// The token `n` ahead of the current one.
    pub fn peek_at(&self, n: usize) -> Option<&Tok> {
        self.toks.get(self.pos + n).map(|t| &t.tok)
    }

    /// Whether every token has been read.
    pub fn at_end(&self) -> bool {
        self.pos >= self.toks.len()
    }

    /// Moves past the current token and returns it.
    pub fn next(&mut self) -> Option<Tok> {
        let t = self.toks.get(self.pos).map(|t| t.tok.clone());
        if t.is_some() {
            self.pos += 1;
        }
        t
    }

    /// Whether the current token is the (unquoted) keyword `kw`.
    pub fn is_kw(&self, kw: &str) -> bool {
        self.is_kw_at(0, kw)
    }

    /// Whether the token `n` ahead is the keyword `kw`.
    pub fn is_kw_at(&self, n: usize, kw: &str) -> bool {
        matches!(self.peek_at(n), Some(Tok::Word(w)) if w.eq_ignore_ascii_case(kw))
    }

    /// Reads the keyword `kw` if it is next.
    pub fn eat_kw(&mut self, kw: &str) -> bool {
        let hit = self.is_kw(kw);
        if hit {
            self.pos += 1;
        }
        hit
    }

    /// Reads the keywords `kws` if they are all next, in order.
    pub fn eat_kws(&mut self, kws: &[&str]) -> bool {
        let hit = kws.iter().enumerate().all(|(n, kw)| self.is_kw_at(n, kw));
        if hit {
            self.pos += kws.len();
        }
        hit
    }

    /// Reads the keyword `kw` or fails.
    pub fn expect_kw(&mut self, kw: &str) -> Result<(), DdlError> {
        if self.eat_kw(kw) { Ok(()) } else { Err(self.unexpected(kw)) }
    }

    /// Whether the current token is the punctuation `c`.
    pub fn is_punct(&self, c: char) -> bool {
        self.peek() == Some(&Tok::Punct(c))
    }

    /// Reads `c` if it is next.
    pub fn eat_punct(&mut self, c: char) -> bool {
        let hit = self.is_punct(c);
        if hit {
            self.pos += 1;
        }
        hit
    }

    /// Reads `c` or fails.
    pub fn expect_punct(&mut self, c: char) -> Result<(), DdlError> {
        if self.eat_punct(c) { Ok(()) } else { Err(self.unexpected(&format!("'{c}'"))) }
    }

    /// Reads an identifier: a word or a backquoted name (a quoted string
    /// too, as MySQL accepts in some places and `ANSI_QUOTES` produces).
    pub fn ident(&mut self) -> Result<String, DdlError> {
        match self.peek() {
            Some(Tok::Word(w)) | Some(Tok::Ident(w)) | Some(Tok::Str(w)) => {
                let w = w.clone();
                self.pos += 1;
                Ok(w)
            }
            _ => Err(self.unexpected("an identifier")),
        }
    }

    /// Reads `name` or `db.name`.
    pub fn qualified(&mut self) -> Result<(Option<String>, String), DdlError> {
        let first = self.ident()?;
        if self.eat_punct('.') {
            let second = self.ident()?;
            Ok((Some(first), second))
        } else {
            Ok((None, first))
        }
    }

    /// Reads a string literal.
    pub fn string(&mut self) -> Result<String, DdlError> {
        match self.peek() {
            Some(Tok::Str(s)) => {
                let s = s.clone();
                self.pos += 1;
                Ok(s)
            }
            _ => Err(self.unexpected("a quoted string")),
        }
    }

    /// Reads an unsigned integer.
    pub fn number(&mut self) -> Result<u32, DdlError> {
        match self.peek() {
            Some(Tok::Number(n)) => {
                // Lengths beyond u32 do not exist in MySQL; clamp like Debezium.
                let v = n.split('.').next().unwrap_or("").parse::<u64>().map(|v| v.min(u32::MAX as u64) as u32);
                match v {
                    Ok(v) => {
                        self.pos += 1;
                        Ok(v)
                    }
                    Err(_) => Err(self.unexpected("an integer")),
                }
            }
            _ => Err(self.unexpected("an integer")),
        }
    }

    /// Skips an option's value after its name: `= value`, `= ( … )` or
    /// `( … )` (nothing when neither follows).
    pub fn skip_option_value(&mut self) -> Result<(), DdlError> {
        if self.eat_punct('=') {
            if self.is_punct('(') {
                self.skip_parens()?;
            } else {
                self.next();
            }
        } else if self.is_punct('(') {
            self.skip_parens()?;
        }
        Ok(())
    }

    /// Skips a balanced `( … )` group; the cursor must be on `(`.
    pub fn skip_parens(&mut self) -> Result<(), DdlError> {
        self.expect_punct('(')?;
        let mut depth = 1usize;
        while depth > 0 {
            match self.next() {
                Some(Tok::Punct('(')) => depth += 1,
                Some(Tok::Punct(')')) => depth -= 1,
                Some(_) => {}
                None => return Err(self.unexpected("')'")),
            }
        }
        Ok(())
    }

    /// Skips tokens up to (not including) a `,` or `)` outside parentheses,
    /// or the end.
    pub fn skip_to_comma_or_close(&mut self) -> Result<(), DdlError> {
        loop {
            match self.peek() {
                None | Some(Tok::Punct(',')) | Some(Tok::Punct(')')) => return Ok(()),
                Some(Tok::Punct('(')) => self.skip_parens()?,
                Some(_) => self.pos += 1,
            }
        }
    }

    /// Skips an optional `=`.
    pub fn eat_eq(&mut self) {
        self.eat_punct('=');
    }

    /// An error saying `expected` was expected at the current token.
    pub fn unexpected(&self, expected: &str) -> DdlError {
        match self.toks.get(self.pos) {
            Some(t) => DdlError::Unexpected {
                expected: expected.to_string(),
                offset: t.start,
                snippet: snippet(self.sql, t.start),
            },
            None => DdlError::UnexpectedEnd { expected: expected.to_string(), offset: self.sql.len() },
        }
    }

    /// An error saying `expected` was expected at byte `offset`.
    pub fn unexpected_at(&self, expected: &str, offset: usize) -> DdlError {
        DdlError::Unexpected { expected: expected.to_string(), offset, snippet: snippet(self.sql, offset) }
    }

    /// Byte offset of the current token (the statement's length at the end).
    pub fn offset(&self) -> usize {
        self.toks.get(self.pos).map_or(self.sql.len(), |t| t.start)
    }
}

/// Up to 40 characters of `sql` from byte `offset` (snapped to a character
/// boundary), for error messages.
pub fn snippet(sql: &str, offset: usize) -> String {
    let mut at = offset.min(sql.len());
    while !sql.is_char_boundary(at) {
        at -= 1;
    }
    sql[at..].chars().take(40).collect()
}
