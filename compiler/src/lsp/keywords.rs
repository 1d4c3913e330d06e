//! The reference text a hover shows for a keyword: its syntax and what it
//! means, in the words of the language reference (docs/language.md).

/// `(keyword, syntax, meaning)`; every word of `lexer::KEYWORDS` has a row
/// (a test keeps the two lists equal).
pub const REFERENCE: &[(&str, &str, &str)] = &[
    ("use", "use std.MODULE.NAME | use std.MODULE.*", "Imports a name (or every name) of a standard-library module: `std.designs` (sequence designs) or `std.priors` (prior presets)."),
    ("trial", "trial \"ID\" { title … version … sponsor … registry … }", "The trial's metadata; exactly one per spec. The id names the trial in the schedule, the calendar and the report."),
    ("hypotheses", "hypotheses NAME from \"FILE.json\" [{ intervention \"TEXT\" is ARM  outcome \"TEXT\" is OUTCOME }]", "An LFM hypotheses file (`trialc-hypotheses/1`), read from the spec's folder. Its hypotheses become priors with `NAME.ID discount w robust r`."),
    ("from", "hypotheses NAME from \"FILE\" | schedule from DESIGN { … }", "Names the file a hypotheses source is read from, or the design a schedule starts from."),
    ("intervention", "intervention \"TEXT\" is ARM", "Inside a hypotheses block: hypotheses whose `intervention` is TEXT (character for character) are about ARM."),
    ("is", "intervention \"TEXT\" is ARM | outcome \"TEXT\" is OUTCOME", "Maps the hypotheses file's wording to the spec's name."),
    ("data", "data \"diary.csv\"", "The participant's diary, relative to the spec's folder: a header row, a `day` (or `date`) column, one column per outcome and an optional `arm` column."),
    ("arm", "arm NAME \"description\" [reference]", "A treatment condition. Write the dose, timing and form in the description: it goes into the protocol and the pharmacy's schedule. Fixed patterns name arms by letter in declaration order."),
    ("reference", "arm NAME \"…\" reference", "The arm every effect is relative to (placebo, usual care); exactly one arm is the reference."),
    ("schedule", "schedule [from DESIGN] { run_in … period … cycles … sequence … seed … }", "How periods are laid out and assigned to arms. Day 1 is the first run-in day; the trial lasts run_in + periods × period days."),
    ("design", "design NAME { schedule fields }", "A named set of schedule fields (mostly in the standard library), used with `schedule from NAME`; the schedule's own fields override the design's."),
    ("start", "start YYYY-MM-DD", "The calendar date of day 1 (optional; without it the schedule is in trial days)."),
    ("run_in", "run_in N days", "Baseline days before the first period: no treatment, observed but not analysed for effects. Default 0 days."),
    ("period", "period N days | measured per period | after N period(s)", "The length of every treatment period (required in a schedule); `per period` measures once, on a period's last day."),
    ("cycles", "cycles N", "Number of cycles; one cycle gives every arm once, so periods = N × arms. Give `cycles` or `periods`, not both."),
    ("periods", "periods N | after N periods", "Number of periods (instead of `cycles`); in a stop rule, the periods that must be complete."),
    ("sequence", "sequence alternating | counterbalanced | fixed \"ABBA\" | randomized pairs | randomized blocks", "How periods are assigned to arms. A randomized schedule is drawn uniformly among the admissible sequences (those that respect `max_run`)."),
    ("max_run", "max_run N", "Never more than N consecutive periods on one arm, across cycle boundaries."),
    ("washout", "washout N days", "The first N days of every period that follows a change of arm are not analysed, while the previous treatment may still act. Choose it from the pharmacology."),
    ("carryover", "carryover modelled | carryover ARM ~ PRIOR", "In a schedule: add first-order carryover terms to the model. In a model: the prior of ARM's carryover into the period that follows it."),
    ("modelled", "carryover modelled", "Carryover is estimated by the model instead of (or besides) excluded washout days."),
    ("blinding", "blinding open | single | double", "Who knows the allocation; the blinded schedule view codes arms as \"Treatment 1/2/…\". Default open."),
    ("open", "blinding open", "Everyone knows the allocation."),
    ("single", "blinding single", "The participant does not know the allocation."),
    ("double", "blinding double", "Neither the participant nor the assessor knows the allocation."),
    ("seed", "seed N", "The randomization seed (required for randomized designs). Choose it once, write it in the protocol, never change it after the first period."),
    ("alternating", "sequence alternating", "A B A B … in declaration order; not randomized."),
    ("counterbalanced", "sequence counterbalanced", "Cycles alternate forward and reversed order (A B, B A, …); not randomized."),
    ("fixed", "sequence fixed \"ABBA BAAB\"", "Exactly this pattern; letters name arms in declaration order, spaces are for reading. Its length is the number of periods."),
    ("randomized", "sequence randomized pairs | randomized blocks", "Each cycle's order is drawn at random, uniformly among the admissible sequences."),
    ("pairs", "sequence randomized pairs", "Each cycle is A B or B A, drawn at random; exactly two arms."),
    ("blocks", "sequence randomized blocks", "Each cycle is a random order of all arms; two to eight arms."),
    ("outcome", "outcome NAME \"description\" { type … measured … better … mcid … primary } | outcome \"TEXT\" is OUTCOME", "What is measured; exactly one outcome is primary. In a hypotheses block, maps the file's outcome wording to an outcome."),
    ("type", "type continuous [in [LOW, HIGH]] | binary | count [overdispersed] | ordinal LOW..HIGH", "The outcome's type fixes its likelihood and the scale of its effects."),
    ("measured", "measured daily | weekly | per period | on days [D1, D2, …]", "When the outcome is recorded. Default daily."),
    ("better", "better lower | better higher", "The direction of benefit; decision rules and the report read benefit through it."),
    ("mcid", "mcid N | P(… < -mcid)", "The minimal clinically important difference: positive, on the effect's scale (points, mmHg, or the link scale for binary, count and ordinal outcomes). In a rule, `mcid` and `-mcid` stand for it."),
    ("unit", "unit \"mmHg\"", "The unit shown in the report."),
    ("primary", "primary", "The primary outcome: exactly one."),
    ("secondary", "secondary", "A secondary outcome (the default)."),
    ("continuous", "type continuous [in [LOW, HIGH]]", "Numbers; with bounds, inside them. Normal likelihood with independent or AR(1) errors; effects in outcome units."),
    ("in", "continuous in [LOW, HIGH]", "The bounds of a continuous outcome; a diary value outside them is an error, never clipped."),
    ("binary", "type binary", "0 or 1. Bernoulli likelihood with a logit link; effects are log odds ratios."),
    ("count", "type count [overdispersed]", "0, 1, 2, … Poisson likelihood with a log link; effects are log rate ratios."),
    ("overdispersed", "type count overdispersed", "Negative binomial (NB2) likelihood instead of Poisson; `dispersion` is its psi."),
    ("ordinal", "type ordinal LOW..HIGH", "Whole numbers LOW to HIGH. Cumulative logit likelihood with ordered cutpoints; effects are log cumulative odds ratios."),
    ("daily", "measured daily", "Every day of the trial."),
    ("weekly", "measured weekly", "Days 7, 14, 21, … from day 1: the last day of each week."),
    ("per", "measured per period | trend ~ PRIOR per N days", "Once per period (its last day); in a trend, the duration the trend is per."),
    ("on", "measured on days [D1, …] | SCALE of ARM on OUTCOME", "These days of every period (1-based within the period); in a quantity, the outcome it is about."),
    ("days", "N days | on days […]", "A duration in days (`day` for one)."),
    ("day", "1 day", "A duration of one day."),
    ("week", "1 week", "A duration of seven days."),
    ("weeks", "N weeks", "A duration in weeks of seven days."),
    ("lower", "better lower", "Lower values are better (pain, blood pressure, attacks)."),
    ("higher", "better higher", "Higher values are better (sleep quality, function)."),
    ("model", "model OUTCOME { effect … intercept … trend … errors … }", "The priors of one outcome's model; every part left out gets the documented default. eta = alpha + delta_arm + beta (d − dbar)/L."),
    ("effect", "effect ARM ~ PRIOR | P(effect [of ARM [vs ARM]] on OUTCOME …)", "The effect of ARM against the reference arm on the model's scale (difference in means, log odds ratio, log rate ratio, log cumulative odds ratio)."),
    ("intercept", "intercept ~ PRIOR", "alpha: the reference arm's level mid-trial (continuous, binary and count outcomes)."),
    ("trend", "trend ~ PRIOR per N days", "A linear time trend per the given duration; none unless written. Important when the sequence is not randomized."),
    ("errors", "errors independent(sigma ~ PRIOR) | errors ar1(phi ~ PRIOR, sigma ~ PRIOR)", "The residual structure of a continuous outcome; parameters by name, in any order."),
    ("cutpoints", "cutpoints ~ induced_dirichlet(ALPHA)", "The prior of an ordinal outcome's K−1 ordered cutpoints."),
    ("dispersion", "dispersion ~ PRIOR", "NB2 overdispersion psi of a `count overdispersed` outcome (variance = mu + mu²/psi)."),
    ("independent", "errors independent(sigma ~ PRIOR)", "Independent normal errors with SD sigma (the default)."),
    ("ar1", "errors ar1(phi ~ PRIOR, sigma ~ PRIOR)", "AR(1) errors: autocorrelation phi in (−1, 1) from one day to the next, innovation SD sigma; exact across washout and missing days."),
    ("prior", "prior NAME = PRIOR", "A named prior preset, used by name wherever a prior is expected."),
    ("mixture", "mixture(W1: PRIOR, W2: PRIOR, …)", "A mixture prior; weights in (0, 1) adding up to 1. Marginalised in the density, not sampled."),
    ("discount", "SOURCE.ID discount w", "0 < w ≤ 1 (default 1): the hypothesis' sd becomes s / √w (variance inflation, the normal power prior)."),
    ("robust", "SOURCE.ID robust r", "0 ≤ r < 1 (default 0): the prior becomes (1 − r) · normal(m, s/√w) + r · V, with a vague component V."),
    ("vague", "SOURCE.ID robust r vague PRIOR", "The vague component V of a robust LFM prior; default normal(0, U), U the outcome's unit-information scale."),
    ("decide", "decide { recommend … stop early … otherwise inconclusive }", "The decision rules, in order of preference; the report evaluates all of them."),
    ("recommend", "recommend ARM if CONDITION [and CONDITION]*", "Fires when every condition holds; the first rule that fires is the recommendation."),
    ("if", "recommend ARM if … | stop early if …", "Introduces a rule's conditions."),
    ("stop", "stop early if CONDITION [and CONDITION]* [after N periods]", "The trial may stop at an interim analysis once every condition holds."),
    ("early", "stop early if …", "A stopping rule."),
    ("and", "CONDITION and CONDITION", "Every condition must hold; each has its own probability (not the joint probability of both)."),
    ("after", "stop early if … after N periods", "The rule is active only when N periods are complete (1 ≤ N ≤ the number of periods)."),
    ("otherwise", "otherwise inconclusive", "What holds when no rule fires. Write it: the protocol should say what an inconclusive result means."),
    ("inconclusive", "otherwise inconclusive", "No rule fired: the trial does not decide."),
    ("P", "P(SCALE [of ARM [vs ARM]] on OUTCOME CMP THRESHOLD) CMP PROBABILITY", "The posterior probability of a statement: the share of posterior draws for which it holds, reported with its Monte Carlo standard error."),
    ("of", "SCALE of ARM [vs ARM] on OUTCOME", "The arm the quantity is about; may be left out with exactly two arms."),
    ("vs", "SCALE of ARM vs ARM on OUTCOME", "The arm compared with; the reference arm when left out."),
    ("odds_ratio", "odds_ratio of ARM [vs ARM] on OUTCOME", "exp(delta_A − delta_B): the (cumulative) odds ratio of a binary or ordinal outcome; no difference is 1."),
    ("rate_ratio", "rate_ratio of ARM [vs ARM] on OUTCOME", "exp(delta_A − delta_B) of a count outcome; no difference is 1."),
    ("risk_difference", "risk_difference of ARM [vs ARM] on OUTCOME", "logistic(alpha + delta_A) − logistic(alpha + delta_B) of a binary outcome, at the intercept's level; thresholds strictly between −1 and 1."),
    ("report", "report { interval P  estimate median|mean  P(…)  QUANTITY }", "How the report presents the posterior, and quantities it reports without a decision."),
    ("interval", "interval 0.95", "The probability of the central posterior intervals shown (default 0.90)."),
    ("estimate", "estimate median | estimate mean", "The point estimate shown beside each interval (default mean)."),
    ("decay", "carryover decay(rate ~ PRIOR)", "The previous arm's effect fades as exp(-rate * s) over the days s after a switch; washout days are then analysed."),
    ("covariate", "covariate COLUMN [standardised] ~ PRIOR [missing excluded]", "A time-varying diary column in the linear predictor, centred on the analysed days' mean."),
    ("standardised", "covariate COLUMN standardised ~ PRIOR", "The covariate is also divided by its SD over the analysed days."),
    ("missing", "missing excluded | missing 0.1", "A covariate's missing day is excluded and counted; in `simulate`, the share of missing diary days."),
    ("excluded", "covariate COLUMN ~ PRIOR missing excluded", "Days without the covariate's value are excluded (counted under `covariate missing`) instead of an error."),
    ("lag", "lag ~ PRIOR", "The previous measurement of the outcome, weighted rho^g across a gap of g (continuous outcomes)."),
    ("clock", "clock COLUMN", "The diary column the AR(1) terms and the lag count gaps in (hours, sessions) instead of days."),
    ("binomial", "type binomial of N | type binomial of COLUMN", "k successes of n trials a day, with a logit link; n a constant or a diary column."),
    ("window", "window days A..B", "Only days A..B are analysed; the others are counted under `outside window`."),
    ("simulate", "simulate { replicates N  scenario …  require …  sweep … }", "Design simulation: scenarios, requirements and a sweep for `trialc simulate` (docs/simulate.md)."),
    ("replicates", "replicates 1000", "Simulated trials per scenario and design."),
    ("scenario", "scenario NAME: effect on OUTCOME = -mcid, missing 0.1", "True values a simulated trial is generated from (docs/simulate.md)."),
    ("require", "require P(recommend ARM) >= 0.8 under SCENARIO", "An operating characteristic the design must meet: P of `recommend ARM`, `stop early` or `inconclusive`."),
    ("under", "require … under SCENARIO", "The scenario a requirement is evaluated under."),
    ("sweep", "sweep cycles [2, 3, 4] | sweep period [1 week, 2 weeks]", "Designs to simulate, to find the shortest that meets every requirement."),
    ("dropout", "dropout 0.05 per period", "In a scenario: the probability that the participant drops out, per period."),
    ("adherence", "adherence 0.9", "In a scenario: the probability that the scheduled arm is taken on a day."),
    ("unrecorded", "adherence 0.9 unrecorded", "Days the scheduled arm was not taken are not recorded as such (analysed as if taken)."),
    ("sigma", "sigma on OUTCOME = 1.2", "In a scenario: the true residual or innovation SD."),
    ("phi", "phi on OUTCOME = 0.3", "In a scenario: the true AR(1) correlation."),
];

/// The hover text of a keyword, as Markdown.
pub fn hover(word: &str) -> Option<String> {
    let (_, syntax, meaning) = REFERENCE.iter().find(|(k, _, _)| *k == word)?;
    Some(format!("```trial\n{syntax}\n```\n{meaning}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::lexer::KEYWORDS;

    #[test]
    fn every_keyword_has_reference_text_and_nothing_else_does() {
        for k in KEYWORDS {
            assert!(hover(k).is_some(), "no reference text for `{k}`");
        }
        for (k, _, _) in REFERENCE {
            assert!(KEYWORDS.contains(k), "`{k}` is not a keyword");
        }
        assert_eq!(REFERENCE.len(), KEYWORDS.len());
    }
}
