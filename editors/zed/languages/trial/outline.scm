(trial_block "trial" @context id: (string) @name) @item
(arm_declaration "arm" @context name: (identifier) @name) @item
(schedule_block "schedule" @name) @item
(outcome_block "outcome" @context name: (identifier) @name) @item
(model_block "model" @context outcome: (identifier) @name) @item
(decide_block "decide" @name) @item
(report_block "report" @name) @item
(design_declaration "design" @context name: (identifier) @name) @item
(prior_declaration "prior" @context name: (identifier) @name) @item
(hypotheses_declaration "hypotheses" @context name: (identifier) @name) @item
(simulate_block "simulate" @name) @item
(scenario_entry "scenario" @context name: (identifier) @name) @item
