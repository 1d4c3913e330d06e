/**
 * Tree-sitter grammar of the `.trial` language (trialc).
 *
 * A transcription of the normative pest grammar, grammar/trial.pest, rule
 * for rule: where the two could disagree the pest grammar is right, and
 * test.sh checks that this grammar accepts exactly the files pest accepts
 * among every example, standard-library and tests/ui spec and the
 * agreement cases under test/agreement. Keywords are contextual, as in
 * pest: tree-sitter's keyword extraction (`word`) turns a word into a
 * keyword only where the grammar expects that keyword. Where pest's
 * ordered choice lets a name be spelled like a keyword that is also
 * expected there (`carryover decay ~ …`, a preset or hypothesis set named
 * `mixture`, a simulated value `prior.H1` or `mcid.H1`), the keyword is
 * aliased to an identifier and the next token decides, as it does in pest.
 *
 * `seed commitment "…" key "…"` is issue 13's seed commitment; its pest
 * rule comes with the merge of branch wt-protocol2.
 */

/// Comma-separated, at least one.
const commaSep1 = (rule) => seq(rule, repeat(seq(',', rule)));

// pest: number = digits ("." digits)? (("e" | "E") ("+" | "-")? digits)?
const NUMBER = /[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?/;

module.exports = grammar({
  name: 'trial',

  word: ($) => $.identifier,

  extras: ($) => [/[ \t\r\n]/, $.comment, $.doc_comment],

  rules: {
    // ------------------------------------------------------------ file

    source_file: ($) => seq(optional('\uFEFF'), repeat($._item)),

    _item: ($) =>
      choice(
        $.use_declaration,
        $.trial_block,
        $.hypotheses_declaration,
        $.data_declaration,
        $.arm_declaration,
        $.schedule_block,
        $.design_declaration,
        $.prior_declaration,
        $.outcome_block,
        $.model_block,
        $.decide_block,
        $.report_block,
        $.simulate_block,
      ),

    use_declaration: ($) =>
      seq('use', field('path', seq($.identifier, repeat(seq('.', $.identifier)))), optional(seq('.', $.glob))),
    glob: (_) => '*',

    trial_block: ($) => seq('trial', field('id', $.string), '{', repeat($.trial_field), '}'),
    trial_field: ($) => seq(field('key', $.identifier), field('value', $.string)),

    hypotheses_declaration: ($) =>
      seq('hypotheses', field('name', $.identifier), 'from', field('path', $.string), optional($.name_map)),
    name_map: ($) => seq('{', repeat($.name_mapping), '}'),
    name_mapping: ($) =>
      seq(field('kind', choice('intervention', 'outcome')), field('text', $.string), 'is', field('target', $.identifier)),

    data_declaration: ($) => seq('data', field('path', $.string)),

    arm_declaration: ($) =>
      seq('arm', field('name', $.identifier), optional(field('description', $.string)), optional($.reference)),
    reference: (_) => 'reference',

    // ------------------------------------------------------------ schedule

    schedule_block: ($) =>
      seq('schedule', optional(seq('from', field('design', $.identifier))), '{', repeat($._schedule_field), '}'),

    design_declaration: ($) => seq('design', field('name', $.identifier), '{', repeat($._schedule_field), '}'),

    _schedule_field: ($) =>
      choice(
        $.start_field,
        $.run_in_field,
        $.period_field,
        $.cycles_field,
        $.periods_field,
        $.sequence_field,
        $.max_run_field,
        $.washout_field,
        $.carryover_field,
        $.blinding_field,
        $.seed_field,
        $.window_field,
      ),

    start_field: ($) => seq('start', $.date),
    run_in_field: ($) => seq('run_in', $.duration),
    period_field: ($) => seq('period', choice($.duration, $.duration_list)),
    cycles_field: ($) => seq('cycles', $.integer),
    periods_field: ($) => seq('periods', $.integer),
    sequence_field: ($) => seq('sequence', $.sequence_design),
    max_run_field: ($) => seq('max_run', $.integer),
    washout_field: ($) => seq('washout', $.duration),
    carryover_field: (_) => seq('carryover', 'modelled'),
    blinding_field: (_) => seq('blinding', choice('open', 'single', 'double')),
    // `seed 20261201`, or the commitment to the pharmacy's key file (its
    // SHA-256), optionally with the key file's path:
    // `seed commitment "9f86d08…" key "PHARMACY-SECRET.key"`.
    seed_field: ($) =>
      seq(
        'seed',
        choice(
          $.integer,
          seq('commitment', field('commitment', $.string), optional(seq('key', field('key', $.string)))),
        ),
      ),
    // `window days 18..70`: only these trial days are analysed.
    window_field: ($) => seq('window', 'days', field('first', $.integer), '..', field('last', $.integer)),

    // `randomized periods` draws every period's arm; `from data` takes the
    // sequence from the diary's `arm` column.
    sequence_design: ($) =>
      choice(
        'alternating',
        'counterbalanced',
        seq('fixed', $.string),
        seq('randomized', choice('pairs', 'blocks', 'periods')),
        seq('from', 'data'),
      ),

    // `14 days`; a list gives each period its own length: `[10, 14] days`.
    duration: ($) => seq($.integer, $.time_unit),
    duration_list: ($) => seq('[', commaSep1($.integer), ']', $.time_unit),
    time_unit: (_) => choice('days', 'day', 'weeks', 'week'),

    // ------------------------------------------------------------ outcomes

    outcome_block: ($) =>
      seq('outcome', field('name', $.identifier), optional(field('description', $.string)), '{', repeat($._outcome_field), '}'),

    _outcome_field: ($) =>
      choice($.type_field, $.measured_field, $.better_field, $.mcid_field, $.unit_field, $.primary, $.secondary),
    primary: (_) => 'primary',
    secondary: (_) => 'secondary',

    type_field: ($) => seq('type', $.outcome_type),
    measured_field: ($) => seq('measured', $.measurement),
    better_field: (_) => seq('better', choice('lower', 'higher')),
    mcid_field: ($) => seq('mcid', $._signed_number),
    unit_field: ($) => seq('unit', $.string),

    outcome_type: ($) =>
      choice(
        seq('continuous', optional($.bounds)),
        'binary',
        // `binomial of 10`, or the trials in a diary column: `binomial of attempts`
        seq('binomial', 'of', field('trials', choice($.integer, $.identifier))),
        seq('count', optional('overdispersed')),
        seq('ordinal', $.signed_integer, '..', $.signed_integer),
      ),
    bounds: ($) => seq('in', '[', $._signed_number, ',', $._signed_number, ']'),

    measurement: ($) =>
      choice('daily', 'weekly', seq('per', 'period'), seq('on', 'days', '[', commaSep1($.integer), ']')),

    // ------------------------------------------------------------ models

    model_block: ($) => seq('model', field('outcome', $.identifier), '{', repeat($._model_statement), '}'),

    _model_statement: ($) =>
      choice(
        $.effect_statement,
        $.intercept_statement,
        $.trend_statement,
        $.errors_statement,
        $.cutpoints_statement,
        $.dispersion_statement,
        $.carryover_statement,
        $.covariate_statement,
        $.lag_statement,
        $.clock_statement,
      ),

    effect_statement: ($) => seq('effect', field('arm', $.identifier), '~', $._prior),
    intercept_statement: ($) => seq('intercept', '~', $._prior),
    trend_statement: ($) => seq('trend', '~', $._prior, optional(seq('per', $.duration))),
    errors_statement: ($) =>
      seq('errors', $.error_structure, '(', optional(commaSep1($.named_prior)), ')'),
    cutpoints_statement: ($) => seq('cutpoints', '~', $._prior),
    dispersion_statement: ($) => seq('dispersion', '~', $._prior),
    // `carryover ARM ~ PRIOR`, or `carryover decay(rate ~ PRIOR)`. An arm
    // named `decay` still takes a prior (`carryover decay ~ normal(0, 1)`):
    // the word after `decay` tells the two apart.
    carryover_statement: ($) =>
      seq(
        'carryover',
        choice($.carryover_decay, seq(field('arm', choice($.identifier, alias('decay', $.identifier))), '~', $._prior)),
      ),
    carryover_decay: ($) => seq('decay', '(', optional(commaSep1($.named_prior)), ')'),
    // `covariate stress standardised ~ normal(0, 0.5) missing excluded`
    covariate_statement: ($) =>
      seq(
        'covariate',
        field('column', $.identifier),
        optional($.standardised),
        '~',
        $._prior,
        optional($.missing_excluded),
      ),
    standardised: (_) => 'standardised',
    missing_excluded: (_) => seq('missing', 'excluded'),
    // `lag ~ uniform(-1, 1)`: the previous measurement of the outcome.
    lag_statement: ($) => seq('lag', '~', $._prior),
    // `clock hour`: gaps of the serial terms counted in this diary column.
    clock_statement: ($) => seq('clock', field('column', $.identifier)),

    error_structure: (_) => choice('independent', 'ar1'),
    named_prior: ($) => seq(field('name', $.identifier), '~', $._prior),

    prior_declaration: ($) => seq('prior', field('name', $.identifier), '=', $._prior),

    // pest tries mixture, hypothesis_prior, distribution, preset in order;
    // what follows the first word tells them apart.
    _prior: ($) => choice($.mixture, $.hypothesis_prior, $.distribution, $.preset),

    mixture: ($) => seq('mixture', '(', commaSep1($.mixture_component), ')'),
    mixture_component: ($) => seq(field('weight', $.number), ':', $._prior),

    hypothesis_prior: ($) =>
      prec.right(
        seq(
          field('source', choice($.identifier, alias('mixture', $.identifier))),
          '.',
          field('id', $.identifier),
          optional(seq('discount', $._signed_number)),
          optional(seq('robust', $._signed_number)),
          optional(seq('vague', $._prior)),
        ),
      ),

    // `mixture(1, 2)` is a distribution named `mixture` to pest (its
    // components need a weight and a colon): the token after the first
    // number tells the two apart, so a weight and an argument are the same
    // token until then (see `number` and `signed_number`).
    distribution: ($) =>
      seq(
        field('name', choice($.identifier, alias('mixture', $.identifier))),
        '(',
        optional(commaSep1($._signed_number)),
        ')',
      ),
    // pest falls back to a preset when `mixture` is not followed by `(`.
    preset: ($) => choice($.identifier, alias('mixture', $.identifier)),

    // ------------------------------------------------------------ decisions

    decide_block: ($) => seq('decide', '{', repeat($._decision_rule), '}'),

    _decision_rule: ($) => choice($.recommend_rule, $.stop_rule, $.otherwise_rule),

    recommend_rule: ($) => seq('recommend', field('arm', $.identifier), 'if', $.conditions),
    stop_rule: ($) =>
      seq('stop', 'early', 'if', $.conditions, optional(seq('after', $.integer, choice('periods', 'period')))),
    otherwise_rule: (_) => seq('otherwise', 'inconclusive'),

    conditions: ($) => seq($.condition, repeat(seq('and', $.condition))),

    condition: ($) => seq('P', '(', $.statement, ')', $.comparison, $._signed_number),
    statement: ($) => seq($.quantity, $.comparison, $._threshold),

    quantity: ($) =>
      seq(
        field('scale', $.scale),
        optional(seq('of', field('arm', $.identifier), optional(seq('vs', field('versus', $.identifier))))),
        'on',
        field('outcome', $.identifier),
      ),
    scale: (_) => choice('effect', 'odds_ratio', 'rate_ratio', 'risk_difference'),

    report_block: ($) => seq('report', '{', repeat($._report_entry), '}'),
    _report_entry: ($) =>
      choice(
        $.interval_entry,
        $.estimate_entry,
        $.probability_entry,
        $.quantity,
      ),
    interval_entry: ($) => seq('interval', $._signed_number),
    estimate_entry: ($) => seq('estimate', $.identifier),
    probability_entry: ($) => seq('P', '(', $.statement, ')'),

    comparison: (_) => choice('<=', '>=', '<', '>'),
    _threshold: ($) => choice($.mcid_threshold, $._signed_number),
    // pest: "-"? "mcid" !XID_CONTINUE. `mcid` alone is the keyword, so that
    // a simulated value may still name a hypothesis set `mcid`.
    mcid_threshold: (_) => choice('mcid', alias(token(seq('-', 'mcid')), '-mcid')),

    // ------------------------------------------------------------ simulation

    // `simulate { replicates 1000  scenario …  require …  sweep … }`
    simulate_block: ($) => seq('simulate', '{', repeat($._simulate_entry), '}'),
    _simulate_entry: ($) => choice($.replicates_entry, $.scenario_entry, $.require_entry, $.sweep_entry),

    replicates_entry: ($) => seq('replicates', $.integer),

    // `scenario benefit: effect of magnesium on pain = -mcid, missing 0.1`
    scenario_entry: ($) =>
      seq('scenario', field('name', $.identifier), optional(seq(':', commaSep1($.scenario_setting)))),
    scenario_setting: ($) =>
      choice(
        seq(field('kind', 'missing'), $.number),
        seq(field('kind', 'dropout'), $.number, 'per', 'period'),
        seq(field('kind', 'adherence'), $.number, optional('unrecorded')),
        seq(
          $.simulated_parameter,
          choice(seq('=', $.simulated_value), seq('in', '[', commaSep1($._grid_value), ']')),
        ),
      ),
    simulated_parameter: ($) =>
      choice(
        seq(field('name', 'effect'), optional(seq('of', field('arm', $.identifier))), 'on', field('outcome', $.identifier)),
        seq(field('name', 'carryover'), 'of', field('arm', $.identifier), 'on', field('outcome', $.identifier)),
        seq(
          field('name', choice('intercept', 'trend', 'sigma', 'phi', 'dispersion', 'cutpoints')),
          'on',
          field('outcome', $.identifier),
        ),
      ),
    // A hypothesis' mean (`lfm.H1`), a draw from the prior, the MCID,
    // cutpoints, a number. pest tries a hypothesis first, so `prior` and
    // `mcid` followed by `.` name a hypothesis set.
    simulated_value: ($) =>
      choice(
        seq(
          field('source', choice($.identifier, alias('prior', $.identifier), alias('mcid', $.identifier))),
          '.',
          field('id', $.identifier),
        ),
        'prior',
        $.mcid_threshold,
        seq('[', commaSep1($._signed_number), ']'),
        $._signed_number,
      ),
    _grid_value: ($) => choice($.mcid_threshold, $._signed_number),

    // `require P(recommend magnesium) >= 0.80 under benefit`
    require_entry: ($) =>
      seq(
        'require',
        'P',
        '(',
        $.simulated_event,
        ')',
        $.comparison,
        $._signed_number,
        'under',
        field('scenario', $.identifier),
      ),
    simulated_event: ($) =>
      choice(seq('recommend', field('arm', $.identifier)), seq('stop', 'early'), 'inconclusive'),

    // `sweep cycles [2, 3, 4]`, `sweep period [1 week, 2 weeks]`
    sweep_entry: ($) =>
      seq(
        'sweep',
        choice(seq('cycles', '[', commaSep1($.integer), ']'), seq('period', '[', commaSep1($.duration), ']')),
      ),

    // ------------------------------------------------------------ lexical

    // `/// …` documents the item below it; `// …` is a comment. Both run
    // to the end of the line (`\n`, `\r\n` or `\r`).
    doc_comment: (_) => token(prec(2, seq('///', /[^\r\n]*/))),
    comment: (_) => token(prec(1, seq('//', /[^\r\n]*/))),

    identifier: (_) => /[\p{XID_Start}_][\p{XID_Continue}]*/,

    string: (_) => token(seq('"', repeat(choice(/[^"\\\r\n]/, /\\["\\n]/)), '"')),

    // An unsigned number is one token wherever it stands, so that after
    // `mixture(` a weight (`number`) and an argument (`signed_number`) are
    // told apart by what follows, not by the lexer. Both forms of a signed
    // number are visible leaves (aliases), so that a number the parser had
    // to invent in error recovery shows as MISSING: a hidden token would
    // hide the error from `tree-sitter parse`.
    number: (_) => NUMBER,
    _signed_number: ($) => choice(alias($.number, $.signed_number), alias($._negative_number, $.signed_number)),
    _negative_number: (_) => token(seq('-', NUMBER)),
    // pest: ASCII_DIGIT{1, 18} ~ !ASCII_DIGIT; a 19th digit starts a new
    // token, which no rule accepts there.
    integer: (_) => /[0-9]{1,18}/,
    signed_integer: (_) => token(seq(optional('-'), /[0-9]{1,18}/)),

    date: (_) => /[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])/,
  },
});
