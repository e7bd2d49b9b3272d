//! `message.key.columns`: `<table regex>:<col>,<col>;<table regex>:<col>`,
//! custom key columns per table instead of the primary key.

use crate::filters::Patterns;

/// The parsed setting.
#[derive(Debug, Clone, Default)]
pub struct KeyColumns(Vec<(Patterns, Vec<String>)>);

impl KeyColumns {
    /// Parses the setting; the error names the bad entry.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut out = Vec::new();
        for entry in text.split(';').map(str::trim).filter(|e| !e.is_empty()) {
            let (table, columns) = entry
                .rsplit_once(':')
                .ok_or_else(|| format!("'{entry}' is not of the form <fully-qualified table>:<column>[,<column>]"))?;
            let columns: Vec<String> =
                columns.split(',').map(str::trim).filter(|c| !c.is_empty()).map(str::to_string).collect();
            if table.trim().is_empty() || columns.is_empty() {
                return Err(format!("'{entry}' is not of the form <fully-qualified table>:<column>[,<column>]"));
            }
            out.push((Patterns::parse(table.trim())?, columns));
        }
        Ok(Self(out))
    }

    /// The key columns configured for `table` (fully qualified), if any.
    pub fn for_table(&self, table: &str) -> Option<&[String]> {
        self.0.iter().find(|(p, _)| p.matches(table)).map(|(_, c)| c.as_slice())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_tables_and_columns() {
        let k = KeyColumns::parse("inventory.customers:pk1,pk2;(.*).purchaseorders:pk3").expect("valid");
        assert_eq!(k.for_table("inventory.customers"), Some(&["pk1".to_string(), "pk2".to_string()][..]));
        assert_eq!(k.for_table("x.purchaseorders"), Some(&["pk3".to_string()][..]));
        assert_eq!(k.for_table("x.other"), None);
        assert!(KeyColumns::parse("nocolon").is_err());
    }
}
