//! `trialc init --from hypotheses.json` (in progress).
