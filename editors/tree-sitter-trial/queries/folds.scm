; Folds: every block and run of comments.
[
  (trial_block)
  (name_map)
  (schedule_block)
  (design_declaration)
  (outcome_block)
  (model_block)
  (decide_block)
  (report_block)
  (simulate_block)
] @fold
