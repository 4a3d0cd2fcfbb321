//! Display names of the codes in the data (categories, business lines, survey reasons,
//! channels, outcomes): a document shows `宽带故障`, never `broadband/outage`.
//!
//! Names come from `<data dir>/labels.toml` (a tenant's own table wins), then built-in names
//! of the codes ccpulse itself defines, then a readable form of the code
//! (`not_resolved` → `not resolved`, `broadband/outage` → `broadband / outage`):
//!
//! ```toml
//! [names]
//! "broadband/outage" = ["宽带故障", "Broadband outage"]
//! mobile = ["移动业务", "Mobile"]
//!
//! [tenant.bank.names]
//! card = ["信用卡", "Credit card"]
//! ```
//!
//! Only documents (HTML, PDF, XLSX) are named: JSON keeps the codes for machines.

use std::collections::BTreeMap;
use std::path::Path;

use crate::doc::{Cell, Document};
use crate::Lang;

/// The file, in the data directory.
pub const NAMES_FILE: &str = "labels.toml";

/// Codes ccpulse defines, named in both languages.
const BUILT_IN: &[(&str, &str, &str)] = &[
    ("voice", "语音", "Voice"),
    ("chat", "在线", "Chat"),
    ("email", "邮件", "Email"),
    ("video", "视频", "Video"),
    ("inbound", "呼入", "Inbound"),
    ("outbound", "呼出", "Outbound"),
    ("callback", "回呼", "Callback"),
    ("answered", "接通", "Answered"),
    ("abandoned", "放弃", "Abandoned"),
    ("abandoned_ring", "振铃放弃", "Abandoned while ringing"),
    ("timeout", "超时", "Timed out"),
    ("self_service", "自助完成", "Self-service"),
    ("voicemail", "留言", "Voicemail"),
    ("not_connected", "未接通", "Not connected"),
    ("overflow", "溢出", "Overflowed"),
    ("closed", "非工作时间", "Closed"),
    ("consultation", "咨询", "Consultation"),
    ("query", "查询", "Query"),
    ("transaction", "办理", "Transaction"),
    ("complaint", "投诉", "Complaint"),
    ("suggestion", "建议", "Suggestion"),
    ("praise", "表扬", "Praise"),
    ("very_satisfied", "非常满意", "Very satisfied"),
    ("satisfied", "满意", "Satisfied"),
    ("neutral", "一般", "Neutral"),
    ("dissatisfied", "不满意", "Dissatisfied"),
    ("long_wait", "等待时间长", "Long wait"),
    ("not_resolved", "问题未解决", "Not resolved"),
    ("service_attitude", "服务态度", "Service attitude"),
    ("professionalism", "业务能力", "Professionalism"),
    ("ivr", "语音导航", "IVR"),
    ("voice_bot", "语音机器人", "Voice bot"),
    ("agent", "人工", "Agent"),
];

/// The names a tenant's documents use.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Names {
    /// Code → (zh-CN, en).
    names: BTreeMap<String, (String, String)>,
    /// The codes the file names (named inside sentences too; the built-in ones are common
    /// words, named only where they stand as a whole cell or read as a code).
    from_file: std::collections::BTreeSet<String>,
}

#[derive(serde::Deserialize, Default)]
struct NamesFile {
    #[serde(default)]
    names: BTreeMap<String, (String, String)>,
    #[serde(default)]
    tenant: BTreeMap<String, TenantNames>,
}

#[derive(serde::Deserialize, Default)]
struct TenantNames {
    #[serde(default)]
    names: BTreeMap<String, (String, String)>,
}

impl Names {
    /// The built-in names only.
    pub fn built_in() -> Self {
        Self {
            names: BUILT_IN
                .iter()
                .map(|(k, zh, en)| ((*k).to_owned(), ((*zh).to_owned(), (*en).to_owned())))
                .collect(),
            from_file: std::collections::BTreeSet::new(),
        }
    }

    /// The names of `tenant` from `<dir>/labels.toml` over the built-in ones; a file that
    /// cannot be read is an error naming it.
    pub fn load(dir: &Path, tenant: &str) -> Result<Self, String> {
        let mut names = Self::built_in();
        let path = dir.join(NAMES_FILE);
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(names),
            Err(e) => return Err(format!("{}: {e}", path.display())),
        };
        let file: NamesFile = toml::from_str(&text).map_err(|e| {
            format!(
                "{}: {e} (write `code = [\"中文名\", \"English name\"]` under [names])",
                path.display()
            )
        })?;
        names.from_file.extend(file.names.keys().cloned());
        names.names.extend(file.names);
        if let Some(own) = file.tenant.get(tenant) {
            names.from_file.extend(own.names.keys().cloned());
            names.names.extend(own.names.clone());
        }
        Ok(names)
    }

    /// The display name of `code` in `lang`: named, else readable, else as it is.
    pub fn name(&self, code: &str, lang: Lang) -> String {
        if let Some((zh, en)) = self.names.get(code) {
            return lang.pick(zh, en).to_owned();
        }
        // A leaf under a named parent: `broadband/outage` → `宽带 / outage`.
        if let Some((parent, leaf)) = code.rsplit_once('/') {
            if looks_like_code(code) {
                return format!("{} / {}", self.name(parent, lang), self.name(leaf, lang));
            }
        }
        if looks_like_code(code) {
            code.replace('_', " ")
        } else {
            code.to_owned()
        }
    }

    /// Names every code in `doc`'s table cells (a cell that is a code), and the codes this
    /// file names wherever they stand alone in its paragraphs.
    pub fn apply(&self, doc: &mut Document, lang: Lang) {
        // The codes named inside sentences, longer ones first (`broadband/outage` before
        // `broadband`): the file's, and the built-in ones that read as codes.
        let mut codes: Vec<&String> = self
            .names
            .keys()
            .filter(|k| self.from_file.contains(*k) || looks_like_code(k))
            .collect();
        codes.sort_by_key(|k| std::cmp::Reverse(k.len()));
        for s in &mut doc.sections {
            if let Some(t) = &mut s.table {
                for row in t.rows.iter_mut().chain(t.total.iter_mut()) {
                    for c in row.iter_mut() {
                        if let Cell::Text(text) = c {
                            if self.names.contains_key(text.as_str()) || looks_like_code(text) {
                                *text = self.name(text, lang);
                            }
                        }
                    }
                }
            }
            for p in &mut s.paragraphs {
                *p = self.in_text(p, &codes, lang);
            }
        }
    }

    /// `text` with each of `codes` (in their order) replaced by its name where it stands
    /// alone, not inside a longer word of letters, digits, `_`, `-` or `/`.
    fn in_text(&self, text: &str, codes: &[&String], lang: Lang) -> String {
        let word = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '/');
        let mut out = text.to_owned();
        for code in codes.iter().copied() {
            let mut result = String::with_capacity(out.len());
            let mut rest = out.as_str();
            while let Some(i) = rest.find(code.as_str()) {
                let before = rest[..i].chars().next_back();
                let after = rest[i + code.len()..].chars().next();
                result.push_str(&rest[..i]);
                if before.is_some_and(word) || after.is_some_and(word) {
                    result.push_str(code);
                } else {
                    result.push_str(&self.name(code, lang));
                }
                rest = &rest[i + code.len()..];
            }
            result.push_str(rest);
            out = result;
        }
        out
    }
}

/// Whether `s` reads as a code: lower-case letters, digits, `_`, `-` and `/`, with a `_` or
/// a `/` (so plain words and numbers stay as they are).
fn looks_like_code(s: &str) -> bool {
    !s.is_empty()
        && s.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '_' | '-' | '/'))
        && (s.contains('_') || s.contains('/'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doc::{Column, Fmt, Section, Table};

    #[test]
    fn codes_are_named_from_the_file_the_built_ins_or_readably() {
        let dir = tempfile::tempdir().expect("dir");
        std::fs::write(
            dir.path().join(NAMES_FILE),
            "[names]\n\"broadband/outage\" = [\"宽带故障\", \"Broadband outage\"]\nbroadband = [\"宽带\", \"Broadband\"]\n\n[tenant.bank.names]\nbroadband = [\"宽带业务\", \"Home broadband\"]\n",
        )
        .expect("write");
        let n = Names::load(dir.path(), "tel").expect("names");
        assert_eq!(n.name("broadband/outage", Lang::Zh), "宽带故障");
        assert_eq!(n.name("broadband/outage", Lang::En), "Broadband outage");
        assert_eq!(n.name("broadband/speed", Lang::Zh), "宽带 / speed");
        assert_eq!(n.name("long_wait", Lang::Zh), "等待时间长");
        assert_eq!(n.name("voice", Lang::En), "Voice");
        assert_eq!(n.name("weird_code", Lang::Zh), "weird code");
        assert_eq!(n.name("2026-11-05", Lang::Zh), "2026-11-05");
        let bank = Names::load(dir.path(), "bank").expect("names");
        assert_eq!(
            bank.name("broadband", Lang::Zh),
            "宽带业务",
            "the tenant's own wins"
        );
        let mut doc = Document {
            sections: vec![Section {
                paragraphs: vec!["broadband/outage投诉2件，broadband投诉5件，broadbandx不变".into()],
                table: Some(Table {
                    columns: vec![Column::new("c", Fmt::Text)],
                    rows: vec![
                        vec![Cell::Text("broadband/outage".into())],
                        vec![Cell::Text("not_resolved".into())],
                        vec![Cell::Text("Total".into())],
                    ],
                    total: None,
                }),
                ..Default::default()
            }],
            ..Default::default()
        };
        n.apply(&mut doc, Lang::Zh);
        let t = doc.sections[0].table.as_ref().expect("table");
        assert_eq!(t.rows[0][0], Cell::Text("宽带故障".into()));
        assert_eq!(t.rows[1][0], Cell::Text("问题未解决".into()));
        assert_eq!(t.rows[2][0], Cell::Text("Total".into()));
        assert_eq!(
            doc.sections[0].paragraphs[0],
            "宽带故障投诉2件，宽带投诉5件，broadbandx不变"
        );
        std::fs::write(dir.path().join(NAMES_FILE), "[names]\nx = 1\n").expect("write");
        let e = Names::load(dir.path(), "tel").expect_err("bad file");
        assert!(e.contains("labels.toml"), "{e}");
    }
}
