//! `mirdump SPEC.trial [DIARY.csv]`: the same pipeline as `trialc run`'s
//! `prepare` (parse, check, hypotheses, schedule, diary, lower), then one
//! JSON document: per outcome the runtime `mir::Model` (serde) plus dbar,
//! per-days, the analysed days/arms and the parameter names/priors as text.
use std::path::Path;
use trialc::{data, hir, hypotheses, lower, schedule, syntax};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let spec_path = Path::new(&args[1]);
    let text = std::fs::read_to_string(spec_path).expect("read spec");
    let (file, diags) = syntax::parse(&text);
    let (spec, more) = hir::check(&file);
    for d in diags.iter().chain(more.iter()) {
        if d.is_error() {
            eprintln!("spec error: {d:?}");
        }
    }
    let spec = spec.expect("spec has errors");
    let dir = spec_path.parent().unwrap_or(Path::new("."));
    let loaded = hypotheses::load(&spec, &args[1], &text, &mut |rel: &str| {
        let p = dir.join(rel);
        (p.display().to_string(), std::fs::read_to_string(&p).map_err(|e| e.to_string()))
    });
    let built = schedule::build(&spec.schedule_spec()).expect("schedule");
    let diary_path = match args.get(2) {
        Some(p) => Path::new(p).to_path_buf(),
        None => dir.join(&spec.data.as_ref().expect("no diary").value),
    };
    let diary_text = std::fs::read_to_string(&diary_path).expect("read diary");
    let (diary, dd) = data::read_diary(&diary_text, &spec, &built);
    for d in &dd {
        if d.is_error() {
            eprintln!("diary error: {d:?}");
        }
    }
    let diary = diary.expect("diary has errors");
    let lowered = lower::lower(&spec, &built, &diary, &loaded.effects()).expect("lower");
    let out: Vec<serde_json::Value> = lowered
        .iter()
        .map(|l| {
            serde_json::json!({
                "outcome": spec.outcomes[l.outcome].name,
                "model": l.model,
                "dbar": l.dbar,
                "per_days": l.per_days,
                "unit_scale": l.unit_scale,
                "days": l.analysis.days,
                "arms": l.analysis.arms,
                "params": l.params.iter().map(|p| serde_json::json!({
                    "id": p.id, "name": p.name, "prior": p.prior_text})).collect::<Vec<_>>(),
            })
        })
        .collect();
    println!("{}", serde_json::to_string_pretty(&out).unwrap());
}
