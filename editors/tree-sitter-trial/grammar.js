/**
 * Tree-sitter grammar of the `.trial` language (trialc).
 *
 * A transcription of the normative pest grammar, grammar/trial.pest, rule
 * for rule: where the two could disagree the pest grammar is right, and
 * test.sh checks that this grammar accepts exactly the files pest accepts
 * among every example and tests/ui spec. Keywords are contextual, as in
 * pest: tree-sitter's keyword extraction (`word`) turns a word into a
 * keyword only where the grammar expects that keyword.
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
      ),

    start_field: ($) => seq('start', $.date),
    run_in_field: ($) => seq('run_in', $.duration),
    period_field: ($) => seq('period', $.duration),
    cycles_field: ($) => seq('cycles', $.integer),
    periods_field: ($) => seq('periods', $.integer),
    sequence_field: ($) => seq('sequence', $.sequence_design),
    max_run_field: ($) => seq('max_run', $.integer),
    washout_field: ($) => seq('washout', $.duration),
    carryover_field: (_) => seq('carryover', 'modelled'),
    blinding_field: (_) => seq('blinding', choice('open', 'single', 'double')),
    seed_field: ($) => seq('seed', $.integer),

    sequence_design: ($) =>
      choice('alternating', 'counterbalanced', seq('fixed', $.string), seq('randomized', choice('pairs', 'blocks'))),

    duration: ($) => seq($.integer, $.time_unit),
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
    mcid_field: ($) => seq('mcid', $.signed_number),
    unit_field: ($) => seq('unit', $.string),

    outcome_type: ($) =>
      choice(
        seq('continuous', optional($.bounds)),
        'binary',
        seq('count', optional('overdispersed')),
        seq('ordinal', $.signed_integer, '..', $.signed_integer),
      ),
    bounds: ($) => seq('in', '[', $.signed_number, ',', $.signed_number, ']'),

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
      ),

    effect_statement: ($) => seq('effect', field('arm', $.identifier), '~', $._prior),
    intercept_statement: ($) => seq('intercept', '~', $._prior),
    trend_statement: ($) => seq('trend', '~', $._prior, optional(seq('per', $.duration))),
    errors_statement: ($) =>
      seq('errors', $.error_structure, '(', optional(commaSep1($.named_prior)), ')'),
    cutpoints_statement: ($) => seq('cutpoints', '~', $._prior),
    dispersion_statement: ($) => seq('dispersion', '~', $._prior),
    carryover_statement: ($) => seq('carryover', field('arm', $.identifier), '~', $._prior),

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
          field('source', $.identifier),
          '.',
          field('id', $.identifier),
          optional(seq('discount', $.signed_number)),
          optional(seq('robust', $.signed_number)),
          optional(seq('vague', $._prior)),
        ),
      ),

    distribution: ($) =>
      seq(field('name', $.identifier), '(', optional(commaSep1($.signed_number)), ')'),
    preset: ($) => $.identifier,

    // ------------------------------------------------------------ decisions

    decide_block: ($) => seq('decide', '{', repeat($._decision_rule), '}'),

    _decision_rule: ($) => choice($.recommend_rule, $.stop_rule, $.otherwise_rule),

    recommend_rule: ($) => seq('recommend', field('arm', $.identifier), 'if', $.conditions),
    stop_rule: ($) =>
      seq('stop', 'early', 'if', $.conditions, optional(seq('after', $.integer, choice('periods', 'period')))),
    otherwise_rule: (_) => seq('otherwise', 'inconclusive'),

    conditions: ($) => seq($.condition, repeat(seq('and', $.condition))),

    condition: ($) => seq('P', '(', $.statement, ')', $.comparison, $.signed_number),
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
    interval_entry: ($) => seq('interval', $.signed_number),
    estimate_entry: ($) => seq('estimate', $.identifier),
    probability_entry: ($) => seq('P', '(', $.statement, ')'),

    comparison: (_) => choice('<=', '>=', '<', '>'),
    _threshold: ($) => choice($.mcid_threshold, $.signed_number),
    mcid_threshold: (_) => token(seq(optional('-'), 'mcid')),

    // ------------------------------------------------------------ lexical

    // `/// …` documents the item below it; `// …` is a comment. Both run
    // to the end of the line (`\n`, `\r\n` or `\r`).
    doc_comment: (_) => token(prec(2, seq('///', /[^\r\n]*/))),
    comment: (_) => token(prec(1, seq('//', /[^\r\n]*/))),

    identifier: (_) => /[\p{XID_Start}_][\p{XID_Continue}]*/,

    string: (_) => token(seq('"', repeat(choice(/[^"\\\r\n]/, /\\["\\n]/)), '"')),

    number: (_) => NUMBER,
    signed_number: (_) => token(seq(optional('-'), NUMBER)),
    // pest: ASCII_DIGIT{1, 18} ~ !ASCII_DIGIT; a 19th digit starts a new
    // token, which no rule accepts there.
    integer: (_) => /[0-9]{1,18}/,
    signed_integer: (_) => token(seq(optional('-'), /[0-9]{1,18}/)),

    date: (_) => /[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])/,
  },
});
