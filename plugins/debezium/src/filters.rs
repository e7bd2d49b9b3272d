//! Include/exclude lists: comma-separated regular expressions matched
//! against the whole name, ignoring case, as Debezium's filters do.

use regex::{Regex, RegexBuilder};

/// One list of anchored, case-insensitive patterns.
#[derive(Debug, Clone, Default)]
pub struct Patterns(Vec<Regex>);

impl Patterns {
    /// Parses a comma-separated list; the error says which pattern is bad.
    pub fn parse(list: &str) -> Result<Self, String> {
        let mut out = Vec::new();
        for part in split_list(list) {
            let re = RegexBuilder::new(&format!("^(?:{part})$"))
                .case_insensitive(true)
                .build()
                .map_err(|e| format!("A comma-separated list of valid regular expressions is expected, but {e}"))?;
            out.push(re);
        }
        Ok(Self(out))
    }

    /// Whether any pattern matches all of `name`.
    pub fn matches(&self, name: &str) -> bool {
        self.0.iter().any(|re| re.is_match(name))
    }

    /// Whether the list is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Splits on commas that are not escaped with a backslash (`\,` keeps a
/// comma inside a pattern), trimming blanks.
fn split_list(list: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut chars = list.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&',') => {
                current.push(',');
                chars.next();
            }
            ',' => parts.push(std::mem::take(&mut current)),
            _ => current.push(c),
        }
    }
    parts.push(current);
    parts.into_iter().map(|p| p.trim().to_string()).filter(|p| !p.is_empty()).collect()
}

/// An include list or an exclude list (Debezium refuses both at once).
#[derive(Debug, Clone, Default)]
pub enum Filter {
    /// Everything passes.
    #[default]
    All,
    /// Only names matching.
    Include(Patterns),
    /// Names not matching.
    Exclude(Patterns),
}

impl Filter {
    /// From the values of `<x>.include.list` and `<x>.exclude.list`.
    pub fn new(include: Option<&str>, exclude: Option<&str>) -> Result<Self, String> {
        match (include.filter(|s| !s.trim().is_empty()), exclude.filter(|s| !s.trim().is_empty())) {
            (Some(i), None) => Ok(Self::Include(Patterns::parse(i)?)),
            (None, Some(e)) => Ok(Self::Exclude(Patterns::parse(e)?)),
            (None, None) => Ok(Self::All),
            (Some(_), Some(_)) => Err("both the include and the exclude list are set".into()),
        }
    }

    /// Whether `name` is captured.
    pub fn accepts(&self, name: &str) -> bool {
        match self {
            Self::All => true,
            Self::Include(p) => p.matches(name),
            Self::Exclude(p) => !p.matches(name),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_whole_names_ignoring_case() {
        let f = Filter::new(Some("public\\.orders, inventory\\..*"), None).expect("valid");
        assert!(f.accepts("public.orders"));
        assert!(f.accepts("PUBLIC.Orders"));
        assert!(!f.accepts("public.orders_archive"), "anchored at the end");
        assert!(f.accepts("inventory.anything"));
        let f = Filter::new(None, Some("public\\.audit")).expect("valid");
        assert!(!f.accepts("public.audit"));
        assert!(f.accepts("public.orders"));
        assert!(Filter::new(Some("a"), Some("b")).is_err());
        assert!(Patterns::parse("(unclosed").is_err());
        assert_eq!(split_list("a\\,b, c ,"), vec!["a,b", "c"]);
    }
}
