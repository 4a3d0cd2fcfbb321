//! Metric references as written by users: `name` or `name[key=value,key=value]`.

use std::collections::BTreeMap;

/// A metric reference: its name and the parameters given in brackets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetricSpec {
    /// Exactly as written, used as the output key.
    pub written: String,
    pub name: String,
    pub params: BTreeMap<String, String>,
}

/// A metric reference that cannot be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SpecError {
    #[error("`{0}`: expected NAME or NAME[KEY=VALUE,...]")]
    Malformed(String),
    #[error("metric list is empty")]
    Empty,
}

impl MetricSpec {
    /// A reference to `name` without parameters.
    pub fn plain(name: &str) -> Self {
        Self {
            written: name.to_owned(),
            name: name.to_owned(),
            params: BTreeMap::new(),
        }
    }

    /// Parses one reference.
    pub fn parse(written: &str) -> Result<Self, SpecError> {
        let written = written.trim();
        let malformed = || SpecError::Malformed(written.to_owned());
        let (name, rest) = match written.find('[') {
            None => (written, None),
            Some(i) => (&written[..i], Some(&written[i + 1..])),
        };
        let name_ok =
            !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !name_ok {
            return Err(malformed());
        }
        let mut params = BTreeMap::new();
        if let Some(rest) = rest {
            let inner = rest.strip_suffix(']').ok_or_else(malformed)?;
            for pair in inner.split(',').filter(|p| !p.trim().is_empty()) {
                let (k, v) = pair.split_once('=').ok_or_else(malformed)?;
                let (k, v) = (k.trim(), v.trim());
                if k.is_empty() || v.is_empty() || v.contains(['[', ']']) {
                    return Err(malformed());
                }
                params.insert(k.to_owned(), v.to_owned());
            }
        }
        Ok(Self {
            written: written.to_owned(),
            name: name.to_owned(),
            params,
        })
    }

    /// Parses a comma-separated list; commas inside brackets belong to the parameters.
    pub fn parse_list(list: &str) -> Result<Vec<Self>, SpecError> {
        let mut out = Vec::new();
        let mut depth = 0usize;
        let mut start = 0usize;
        for (i, ch) in list.char_indices() {
            match ch {
                '[' => depth += 1,
                ']' => depth = depth.saturating_sub(1),
                ',' if depth == 0 => {
                    if !list[start..i].trim().is_empty() {
                        out.push(Self::parse(&list[start..i])?);
                    }
                    start = i + 1;
                }
                _ => {}
            }
        }
        if !list[start..].trim().is_empty() {
            out.push(Self::parse(&list[start..])?);
        }
        if out.is_empty() {
            return Err(SpecError::Empty);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_with_brackets() {
        let l = MetricSpec::parse_list("answered,service_level[threshold=20,variant=amazon], asa")
            .expect("list");
        assert_eq!(l.len(), 3);
        assert_eq!(l[1].written, "service_level[threshold=20,variant=amazon]");
        assert_eq!(l[1].name, "service_level");
        assert_eq!(
            l[1].params.get("variant").map(String::as_str),
            Some("amazon")
        );
        assert_eq!(l[2].written, "asa");
        assert!(MetricSpec::parse("x[threshold]").is_err());
        assert!(MetricSpec::parse("x[a=1").is_err());
        assert!(MetricSpec::parse("drop table;").is_err());
        assert_eq!(MetricSpec::parse_list(" , "), Err(SpecError::Empty));
    }
}
