//! The checklist: SPIRIT 2013's items in its numbering, which SPENT 2019
//! keeps, with the N-of-1 elaborations SPENT adds written out as items of
//! their own (why an N-of-1 design, how alike the arms look, run-in,
//! washout, the MCID, the decision rules). The extension's own sub-numbers
//! are not used: each N-of-1 item carries the number of the SPIRIT item it
//! elaborates and is named in words.
//!
//! Each item has labels: a doc-comment paragraph that starts with one
//! (`Eligibility: …`, any case, then a colon) is that item's text.

/// One checklist item.
#[derive(Debug, PartialEq, Eq)]
pub struct Item {
    /// The SPIRIT item number (`6a`, `16b`).
    pub number: &'static str,
    /// What the item asks for.
    pub name: &'static str,
    /// The anchor of its section in the protocol.
    pub id: &'static str,
    /// The labels of doc-comment paragraphs that address it; the first is
    /// the one the protocol suggests.
    pub labels: &'static [&'static str],
    /// Whether SPENT 2019 adds to it for N-of-1 trials.
    pub n_of_1: bool,
}

macro_rules! item {
    ($number:literal, $name:literal, $id:literal, [$($label:literal),*], $n1:literal) => {
        Item { number: $number, name: $name, id: $id, labels: &[$($label),*], n_of_1: $n1 }
    };
}

/// Every item, in the protocol's order.
pub static ITEMS: &[Item] = &[
    item!(
        "1",
        "Title identifying the trial as an N-of-1 trial",
        "title",
        ["Title"],
        true
    ),
    item!(
        "2a",
        "Trial registration",
        "registration",
        ["Registration", "Registry"],
        false
    ),
    item!("3", "Protocol version", "version", ["Version"], false),
    item!("4", "Funding", "funding", ["Funding"], false),
    item!(
        "5a",
        "Roles and responsibilities",
        "roles",
        ["Roles", "Responsibilities"],
        false
    ),
    item!(
        "6a",
        "Background and rationale",
        "background",
        ["Background", "Rationale"],
        false
    ),
    item!(
        "6a",
        "Why an N-of-1 design",
        "why-n-of-1",
        ["Why N-of-1", "Why an N-of-1 trial", "N-of-1 rationale"],
        true
    ),
    item!(
        "6b",
        "Choice of comparator",
        "comparator",
        ["Comparator", "Comparators"],
        false
    ),
    item!(
        "7",
        "Objectives",
        "objectives",
        ["Objectives", "Objective"],
        false
    ),
    item!(
        "8",
        "Trial design",
        "design",
        ["Design", "Trial design"],
        true
    ),
    item!("9", "Setting", "setting", ["Setting"], false),
    item!(
        "10",
        "Eligibility of the participant",
        "eligibility",
        ["Eligibility", "Participant"],
        false
    ),
    item!(
        "11a",
        "Interventions (arms)",
        "interventions",
        ["Interventions"],
        false
    ),
    item!(
        "11a",
        "How alike the arms look",
        "appearance",
        ["Appearance", "Matching", "Masking"],
        true
    ),
    item!("11a", "Run-in", "run-in", ["Run-in"], true),
    item!(
        "11a",
        "Washout and carryover, and their justification",
        "washout",
        ["Washout", "Carryover"],
        true
    ),
    item!(
        "11b",
        "Criteria for modifying or stopping an arm",
        "modifications",
        ["Modifications", "Discontinuation"],
        false
    ),
    item!("11c", "Adherence", "adherence", ["Adherence"], false),
    item!(
        "11d",
        "Concomitant care",
        "concomitant",
        ["Concomitant care", "Co-interventions", "Rescue medication"],
        false
    ),
    item!(
        "12",
        "Outcomes and their measurement schedule",
        "outcomes",
        ["Outcomes"],
        true
    ),
    item!(
        "12",
        "Minimal clinically important difference of the primary outcome",
        "mcid",
        ["MCID"],
        true
    ),
    item!("13", "Participant timeline", "timeline", ["Timeline"], true),
    item!(
        "14",
        "Justification of the trial's length (periods, cycles)",
        "length",
        ["Trial length", "Sample size"],
        true
    ),
    item!("15", "Recruitment", "recruitment", ["Recruitment"], false),
    item!(
        "16a",
        "Sequence generation and its restrictions",
        "sequence",
        ["Sequence"],
        true
    ),
    item!(
        "16b",
        "Allocation concealment",
        "concealment",
        ["Concealment", "Allocation concealment"],
        false
    ),
    item!(
        "16c",
        "Implementation of the allocation",
        "implementation",
        ["Implementation"],
        false
    ),
    item!("17a", "Blinding", "blinding", ["Blinding"], false),
    item!(
        "17b",
        "Emergency unblinding",
        "unblinding",
        ["Unblinding"],
        false
    ),
    item!(
        "18a",
        "Data collection",
        "data-collection",
        ["Data collection"],
        false
    ),
    item!(
        "18b",
        "Retention and completeness of the diary",
        "retention",
        ["Retention"],
        false
    ),
    item!(
        "19",
        "Data management",
        "data-management",
        ["Data management"],
        false
    ),
    item!(
        "20a",
        "Statistical model",
        "model",
        ["Statistical methods", "Model"],
        true
    ),
    item!(
        "20a",
        "Decision rules",
        "decision",
        ["Decision", "Decision rules"],
        true
    ),
    item!(
        "20b",
        "Sensitivity analysis",
        "sensitivity",
        ["Sensitivity", "Sensitivity analysis"],
        true
    ),
    item!(
        "20c",
        "Missing data and deviations",
        "missing",
        ["Missing data", "Deviations"],
        true
    ),
    item!(
        "21a",
        "Data monitoring",
        "monitoring",
        ["Monitoring", "Data monitoring"],
        false
    ),
    item!(
        "21b",
        "Interim analyses and stopping",
        "interim",
        ["Interim analyses", "Stopping"],
        true
    ),
    item!("22", "Harms", "harms", ["Harms", "Adverse events"], false),
    item!("23", "Auditing", "auditing", ["Auditing", "Audit"], false),
    item!(
        "24",
        "Ethics approval",
        "ethics",
        ["Ethics", "Ethics approval"],
        false
    ),
    item!(
        "25",
        "Protocol amendments",
        "amendments",
        ["Amendments"],
        false
    ),
    item!(
        "26a",
        "Informed consent",
        "consent",
        ["Consent", "Informed consent"],
        false
    ),
    item!(
        "27",
        "Confidentiality",
        "confidentiality",
        ["Confidentiality", "Privacy"],
        false
    ),
    item!(
        "28",
        "Declaration of interests",
        "interests",
        ["Interests", "Competing interests"],
        false
    ),
    item!(
        "29",
        "Access to data",
        "data-access",
        ["Data access", "Access to data"],
        false
    ),
    item!(
        "30",
        "Ancillary and post-trial care",
        "post-trial",
        ["Post-trial care", "After the trial"],
        false
    ),
    item!(
        "31a",
        "Dissemination of the result",
        "dissemination",
        ["Dissemination"],
        false
    ),
    item!(
        "32",
        "Consent materials",
        "consent-materials",
        ["Consent materials", "Consent form"],
        false
    ),
    item!(
        "33",
        "Biological specimens",
        "specimens",
        ["Specimens", "Biological specimens"],
        false
    ),
];

/// The item with section anchor `id`.
pub fn by_id(id: &str) -> &'static Item {
    ITEMS.iter().find(|i| i.id == id).unwrap_or(&ITEMS[0])
}

/// The item a paragraph's label names, and the paragraph without its label.
pub fn labelled(paragraph: &str) -> Option<(&'static Item, String)> {
    let (head, rest) = paragraph.split_once(':')?;
    let head = head.trim();
    if head.is_empty() || head.contains('\n') {
        return None;
    }
    let item = ITEMS
        .iter()
        .find(|i| i.labels.iter().any(|l| l.eq_ignore_ascii_case(head)))?;
    Some((item, rest.trim().to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anchors_and_labels_are_unique() {
        let mut ids: Vec<&str> = ITEMS.iter().map(|i| i.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), ITEMS.len());
        let mut labels: Vec<String> = ITEMS
            .iter()
            .flat_map(|i| i.labels.iter().map(|l| l.to_ascii_lowercase()))
            .collect();
        let n = labels.len();
        labels.sort();
        labels.dedup();
        assert_eq!(labels.len(), n, "a label names two items");
    }

    #[test]
    fn labels_are_matched_whole_and_case_blind() {
        assert_eq!(
            labelled("HARMS: none expected").map(|(i, _)| i.id),
            Some("harms")
        );
        assert_eq!(labelled("Harmless: x"), None);
        assert_eq!(labelled("no colon here"), None);
        assert_eq!(
            labelled("Why N-of-1: stable, chronic").map(|(i, t)| (i.id, t)),
            Some(("why-n-of-1", "stable, chronic".into()))
        );
    }
}
