; Highlights for Zed (generated from editors/tree-sitter-trial/queries/highlights.scm). Keywords are
; contextual: a word is a keyword node only where the grammar expects it.

[
  "and"
  "vs"
  "odds_ratio"
  "rate_ratio"
  "risk_difference"
  "report"
  "interval"
  "estimate"
  "use"
  "trial"
  "hypotheses"
  "from"
  "intervention"
  "is"
  "data"
  "arm"
  "schedule"
  "design"
  "start"
  "run_in"
  "period"
  "cycles"
  "periods"
  "sequence"
  "max_run"
  "washout"
  "carryover"
  "modelled"
  "blinding"
  "open"
  "single"
  "double"
  "seed"
  "commitment"
  "key"
  "window"
  "alternating"
  "counterbalanced"
  "fixed"
  "randomized"
  "pairs"
  "blocks"
  "outcome"
  "type"
  "measured"
  "better"
  "unit"
  "continuous"
  "in"
  "binary"
  "binomial"
  "count"
  "overdispersed"
  "ordinal"
  "daily"
  "weekly"
  "per"
  "on"
  "days"
  "lower"
  "higher"
  "model"
  "effect"
  "intercept"
  "trend"
  "errors"
  "cutpoints"
  "dispersion"
  "decay"
  "covariate"
  "missing"
  "excluded"
  "lag"
  "clock"
  "independent"
  "ar1"
  "prior"
  "mixture"
  "discount"
  "robust"
  "vague"
  "decide"
  "recommend"
  "if"
  "stop"
  "early"
  "after"
  "otherwise"
  "inconclusive"
  "P"
  "of"
  "simulate"
  "replicates"
  "scenario"
  "require"
  "under"
  "sweep"
  "dropout"
  "adherence"
  "unrecorded"
  "sigma"
  "phi"
  "day"
  "week"
  "weeks"
] @keyword

(reference) @keyword
(mcid_field "mcid" @keyword)
[(primary) (secondary) (standardised)] @keyword
(time_unit) @keyword
(scale) @keyword
(comparison) @operator
(error_structure) @keyword
(sequence_design) @keyword
(outcome_type) @keyword
(measurement) @keyword
(glob) @punctuation.special

(comment) @comment
(doc_comment) @comment.doc
(string) @string
[(number) (signed_number) (integer) (signed_integer)] @number
(date) @string.special
(mcid_threshold) @constant

["~" "=" ".."] @operator
["{" "}" "(" ")" "[" "]"] @punctuation.bracket
["," ":" "."] @punctuation.delimiter

(arm_declaration name: (identifier) @constant)
(effect_statement arm: (identifier) @constant)
(carryover_statement arm: (identifier) @constant)
(simulated_parameter arm: (identifier) @constant)
(simulated_event arm: (identifier) @constant)
(recommend_rule arm: (identifier) @constant)
(quantity arm: (identifier) @constant)
(quantity versus: (identifier) @constant)
(name_mapping kind: "intervention" target: (identifier) @constant)

(outcome_block name: (identifier) @property)
(model_block outcome: (identifier) @property)
(quantity outcome: (identifier) @property)
(simulated_parameter outcome: (identifier) @property)
(name_mapping kind: "outcome" target: (identifier) @property)

(hypotheses_declaration name: (identifier) @namespace)
(hypothesis_prior source: (identifier) @namespace)
(hypothesis_prior id: (identifier) @label)
(simulated_value source: (identifier) @namespace)
(simulated_value id: (identifier) @label)

; Diary columns and simulation scenarios.
(covariate_statement column: (identifier) @property)
(clock_statement column: (identifier) @property)
(outcome_type trials: (identifier) @property)
(scenario_entry name: (identifier) @label)
(require_entry scenario: (identifier) @label)

(use_declaration path: (identifier) @namespace)
(design_declaration name: (identifier) @type)
(schedule_block design: (identifier) @type)
(prior_declaration name: (identifier) @variable)
(preset (identifier) @variable)
(distribution name: (identifier) @function)
(named_prior name: (identifier) @variable)
(trial_field key: (identifier) @property)
(estimate_entry (identifier) @keyword)
