//! Java regular expressions as Kafka's routers use them: a topic is
//! rerouted only if the whole name matches (`Matcher.matches`), and the new
//! name is the first match replaced (`Matcher.replaceFirst`) with Java's
//! replacement syntax — `$1`, `${name}`, and `\` to quote the next character.
//! The `regex` crate shares Java's syntax for everything Kafka users write
//! in practice, named groups `(?<name>...)` included; look-around and
//! back-references are rejected when the config is validated.

use regex::{Captures, Regex};

/// A pattern compiled for whole-string tests and for first-match replacement.
#[derive(Debug, Clone)]
pub(crate) struct JavaRegex {
    whole: Regex,
    first: Regex,
}

/// A parsed Java replacement string.
#[derive(Debug, Clone)]
pub(crate) struct Replacement {
    pieces: Vec<Piece>,
}

#[derive(Debug, Clone)]
enum Piece {
    Text(String),
    Group(usize),
}

impl JavaRegex {
    /// Compiles `pattern`.
    pub fn compile(pattern: &str) -> Result<Self, regex::Error> {
        let first = Regex::new(pattern)?;
        let whole = Regex::new(&format!("^(?:{pattern})$"))?;
        Ok(Self { whole, first })
    }

    /// Whether the whole of `text` matches.
    pub fn matches(&self, text: &str) -> bool {
        self.whole.is_match(text)
    }

    /// Parses a replacement, checking its group references against this
    /// pattern as Java does when it applies one.
    pub fn replacement(&self, replacement: &str) -> Result<Replacement, String> {
        let groups = self.first.captures_len() - 1;
        let mut pieces = Vec::new();
        let mut text = String::new();
        let mut chars = replacement.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '\\' => match chars.next() {
                    Some(escaped) => text.push(escaped),
                    None => return Err("character to be escaped is missing".into()),
                },
                '$' => {
                    let index = match chars.peek().copied() {
                        None => return Err("Illegal group reference: group index is missing".into()),
                        Some('{') => {
                            chars.next();
                            let mut name = String::new();
                            while let Some(&n) = chars.peek().filter(|n| n.is_ascii_alphanumeric()) {
                                name.push(n);
                                chars.next();
                            }
                            if name.is_empty() {
                                return Err("named capturing group has 0 length name".into());
                            }
                            if chars.next() != Some('}') {
                                return Err("named capturing group is missing trailing '}'".into());
                            }
                            self.group_index(&name).ok_or_else(|| format!("No group with name {{{name}}}"))?
                        }
                        Some(d) if d.is_ascii_digit() => {
                            chars.next();
                            let mut index = d as usize - '0' as usize;
                            if index > groups {
                                return Err(format!("No group {index}"));
                            }
                            // Java takes further digits only while they still name a group.
                            while let Some(&n) = chars.peek().filter(|n| n.is_ascii_digit()) {
                                let longer = index * 10 + (n as usize - '0' as usize);
                                if longer > groups {
                                    break;
                                }
                                index = longer;
                                chars.next();
                            }
                            index
                        }
                        Some(_) => return Err("Illegal group reference".into()),
                    };
                    if !text.is_empty() {
                        pieces.push(Piece::Text(std::mem::take(&mut text)));
                    }
                    pieces.push(Piece::Group(index));
                }
                c => text.push(c),
            }
        }
        if !text.is_empty() {
            pieces.push(Piece::Text(text));
        }
        Ok(Replacement { pieces })
    }

    fn group_index(&self, name: &str) -> Option<usize> {
        self.first.capture_names().position(|n| n == Some(name))
    }

    /// Kafka's routing step: `None` unless the whole of `text` matches,
    /// otherwise `text` with its first match replaced.
    pub fn reroute(&self, text: &str, replacement: &Replacement) -> Option<String> {
        if !self.matches(text) {
            return None;
        }
        let caps = self.first.captures(text)?;
        let whole = caps.get(0)?;
        let mut out = String::with_capacity(text.len() + 16);
        out.push_str(&text[..whole.start()]);
        replacement.expand(&caps, &mut out);
        out.push_str(&text[whole.end()..]);
        Some(out)
    }
}

impl Replacement {
    fn expand(&self, caps: &Captures<'_>, out: &mut String) {
        for piece in &self.pieces {
            match piece {
                Piece::Text(t) => out.push_str(t),
                // A group that took no part in the match contributes nothing, as in Java.
                Piece::Group(i) => out.push_str(caps.get(*i).map_or("", |m| m.as_str())),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn route(pattern: &str, replacement: &str, topic: &str) -> Option<String> {
        let re = JavaRegex::compile(pattern).unwrap();
        let r = re.replacement(replacement).unwrap();
        re.reroute(topic, &r)
    }

    #[test]
    fn numbered_and_named_groups() {
        assert_eq!(
            route("(.*)customers_shard(.*)", "$1customers_all", "db.inv.customers_shard7").as_deref(),
            Some("db.inv.customers_all")
        );
        assert_eq!(
            route("(?<routedByValue>.*)", "outbox.event.${routedByValue}", "order").as_deref(),
            Some("outbox.event.order")
        );
        assert_eq!(route("a(b)?c", "x$1y", "ac").as_deref(), Some("xy"));
        assert_eq!(route("(a)", "\\$1", "a").as_deref(), Some("$1"));
    }

    #[test]
    fn only_whole_matches_route() {
        assert_eq!(route("cust", "x", "customers"), None);
    }

    #[test]
    fn java_takes_extra_digits_only_while_they_name_a_group() {
        // One group: `$10` is group 1 followed by a literal 0.
        assert_eq!(route("(a)", "$10", "a").as_deref(), Some("a0"));
    }

    #[test]
    fn bad_replacements_are_rejected() {
        let re = JavaRegex::compile("(a)").unwrap();
        assert_eq!(re.replacement("$2").unwrap_err(), "No group 2");
        assert_eq!(re.replacement("${x}").unwrap_err(), "No group with name {x}");
        assert_eq!(re.replacement("$").unwrap_err(), "Illegal group reference: group index is missing");
        assert_eq!(re.replacement("a\\").unwrap_err(), "character to be escaped is missing");
        assert!(JavaRegex::compile("(?<=a)b").is_err());
    }
}
