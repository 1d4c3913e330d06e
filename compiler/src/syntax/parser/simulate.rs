//! The `simulate` block (`grammar/trial.pest`, "simulation"): replicates,
//! scenarios, requirements and a sweep of designs.

use super::{ast, Entries, Parser, Spanned, Token};

/// The entries of a `simulate` block.
pub(super) const SIMULATE_ENTRIES: &[&str] = &["replicates", "scenario", "require", "sweep"];

impl Parser<'_> {
    pub(super) fn simulate_block(&mut self) -> Option<ast::SimulateBlock> {
        let mut entries = Vec::new();
        let words = Entries::Keywords {
            kind: "simulate entry",
            words: SIMULATE_ENTRIES,
        };
        self.block(words, |p, start| {
            let kind = p.simulate_entry()?;
            entries.push(ast::SimulateEntry {
                kind,
                span: p.since(start),
            });
            Some(())
        })?;
        Some(ast::SimulateBlock { entries })
    }

    fn simulate_entry(&mut self) -> Option<ast::SimulateEntryKind> {
        use ast::SimulateEntryKind as E;
        let keyword = self.bump_word();
        Some(match keyword {
            "replicates" => E::Replicates(self.integer("the number of replicates, e.g. `1000`")?),
            "scenario" => {
                let name = self.ident("the scenario's name")?;
                let mut settings = Vec::new();
                if self.eat(Token::Colon).is_some() {
                    loop {
                        settings.push(self.scenario_setting()?);
                        if self.eat(Token::Comma).is_none() {
                            break;
                        }
                    }
                }
                E::Scenario { name, settings }
            }
            "require" => {
                self.expect_word("P")?;
                self.expect(Token::LParen, "`(`")?;
                let event = self.simulated_event()?;
                self.expect(Token::RParen, "`)`")?;
                let comparison = self.comparison()?;
                let probability = self.signed_number("a probability, e.g. `0.80`")?;
                self.expect_word("under")?;
                let scenario = self.ident("the name of a scenario")?;
                E::Require {
                    event,
                    comparison,
                    probability,
                    scenario,
                }
            }
            "sweep" => {
                let (word, _) = self.one_of(&["cycles", "period"], "`cycles` or `period`")?;
                self.expect(Token::LBracket, "`[`")?;
                let values = if word == "cycles" {
                    let mut cycles = vec![self.integer("a number of cycles")?];
                    while self.eat(Token::Comma).is_some() {
                        cycles.push(self.integer("a number of cycles")?);
                    }
                    ast::SweepValues::Cycles(cycles)
                } else {
                    let mut periods = vec![self.duration()?];
                    while self.eat(Token::Comma).is_some() {
                        periods.push(self.duration()?);
                    }
                    ast::SweepValues::Period(periods)
                };
                self.expect(Token::RBracket, "`,` or `]`")?;
                E::Sweep(values)
            }
            _ => return None,
        })
    }

    /// `recommend ARM`, `stop early` or `inconclusive`.
    fn simulated_event(&mut self) -> Option<Spanned<ast::SimulatedEvent>> {
        let (word, start) = self.one_of(
            &["recommend", "stop", "inconclusive"],
            "`recommend ARM`, `stop early` or `inconclusive`",
        )?;
        let event = match word {
            "recommend" => ast::SimulatedEvent::Recommend(self.ident("the arm recommended")?),
            "stop" => {
                self.expect_word("early")?;
                ast::SimulatedEvent::StopEarly
            }
            _ => ast::SimulatedEvent::Inconclusive,
        };
        Some(Spanned::new(event, self.since(start)))
    }

    fn scenario_setting(&mut self) -> Option<ast::ScenarioSetting> {
        use ast::ScenarioSettingKind as K;
        let Some(first) = self.peek() else {
            self.error_expected("a scenario setting");
            return None;
        };
        let start = first.span;
        let word = self.word_at(self.pos);
        let kind = match word {
            Some("missing") => {
                self.bump();
                K::Missing(
                    self.number("the probability that a measurement is missing, e.g. `0.1`")?,
                )
            }
            Some("dropout") => {
                self.bump();
                let share =
                    self.number("the probability of dropping out in a period, e.g. `0.05`")?;
                self.expect_word("per")?;
                self.expect_word("period")?;
                K::Dropout(share)
            }
            Some("adherence") => {
                self.bump();
                let share =
                    self.number("the share of days the scheduled arm is taken, e.g. `0.9`")?;
                K::Adherence {
                    share,
                    unrecorded: self.eat_word("unrecorded"),
                }
            }
            Some(w) => match ast::SimulatedParameter::from_word(w) {
                Some(parameter) => {
                    let parameter = Spanned::new(parameter, self.bump().span);
                    let arm = match parameter.node {
                        ast::SimulatedParameter::Effect => match self.eat_word("of") {
                            Some(_) => Some(self.ident("an arm")?),
                            None => None,
                        },
                        ast::SimulatedParameter::Carryover => {
                            self.expect_word("of")?;
                            Some(self.ident("the arm whose carryover this is")?)
                        }
                        _ => None,
                    };
                    self.expect_word("on")?;
                    let outcome = self.ident("an outcome")?;
                    let (values, grid) = if self.eat_word("in").is_some() {
                        self.expect(Token::LBracket, "`[`")?;
                        let mut values = vec![self.grid_value()?];
                        while self.eat(Token::Comma).is_some() {
                            values.push(self.grid_value()?);
                        }
                        self.expect(Token::RBracket, "`,` or `]`")?;
                        (values, true)
                    } else {
                        self.expect(Token::Eq, "`=` (or `in [...]` for a grid)")?;
                        (vec![self.simulated_value()?], false)
                    };
                    K::Parameter {
                        parameter,
                        arm,
                        outcome,
                        values,
                        grid,
                    }
                }
                None => {
                    self.setting_expected();
                    return None;
                }
            },
            None => {
                self.setting_expected();
                return None;
            }
        };
        Some(ast::ScenarioSetting {
            kind,
            span: self.since(start),
        })
    }

    fn setting_expected(&mut self) {
        self.error_expected(
            "a scenario setting: `effect [of ARM] on OUTCOME = …`, a parameter such as `sigma on OUTCOME = …`, `missing`, `dropout` or `adherence`",
        );
    }

    /// A value of a grid: a number, `mcid` or `-mcid`.
    fn grid_value(&mut self) -> Option<Spanned<ast::SimulatedValue>> {
        let minus = usize::from(self.at(Token::Minus));
        if self.word_at(self.pos + minus) == Some("mcid") {
            let t = self.threshold()?;
            return Some(Spanned::new(threshold_value(t.node), t.span));
        }
        let v = self.signed_number("a value: a number, `mcid` or `-mcid`")?;
        Some(Spanned::new(ast::SimulatedValue::Number(v.node), v.span))
    }

    /// `SOURCE.ID`, `prior`, `mcid`, `-mcid`, `[numbers]` or a number, in the
    /// grammar's order.
    fn simulated_value(&mut self) -> Option<Spanned<ast::SimulatedValue>> {
        use ast::SimulatedValue as V;
        let next = |p: &Self, n: usize| p.peek_at(n).map(|t| t.token);
        if next(self, 0) == Some(Token::Ident) && next(self, 1) == Some(Token::Dot) {
            let source = self.ident("a hypotheses source")?;
            self.bump();
            let id = self.ident("a hypothesis id, e.g. `H1`")?;
            let span = source.span.to(id.span);
            return Some(Spanned::new(V::Hypothesis { source, id }, span));
        }
        if let Some(span) = self.eat_word("prior") {
            return Some(Spanned::new(V::Prior, span));
        }
        let minus = usize::from(self.at(Token::Minus));
        if self.word_at(self.pos + minus) == Some("mcid") {
            let t = self.threshold()?;
            return Some(Spanned::new(threshold_value(t.node), t.span));
        }
        if let Some(open) = self.eat(Token::LBracket) {
            let mut values = vec![self.signed_number("a number")?];
            while self.eat(Token::Comma).is_some() {
                values.push(self.signed_number("a number")?);
            }
            let close = self.expect(Token::RBracket, "`,` or `]`")?;
            return Some(Spanned::new(V::Vector(values), open.to(close)));
        }
        let v = self.signed_number(
            "a value: a number, `mcid`, `-mcid`, `prior`, a hypothesis (`lfm.H1`) or `[…]`",
        )?;
        Some(Spanned::new(V::Number(v.node), v.span))
    }
}

fn threshold_value(t: ast::Threshold) -> ast::SimulatedValue {
    match t {
        ast::Threshold::Value(v) => ast::SimulatedValue::Number(v),
        ast::Threshold::Mcid { negative } => ast::SimulatedValue::Mcid { negative },
    }
}
