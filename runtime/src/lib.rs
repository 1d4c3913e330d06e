//! trialc runtime.
