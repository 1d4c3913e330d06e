//! The one table of the distributions a spec can write as a prior: each
//! one's name as written, its parameters in order with the rule each must
//! satisfy, any rule between parameters, and its support. The checker, the
//! lowering, the runtime's validation and every display of a prior read
//! this table, so a rule cannot hold in one place and not in another.

use super::{Dist, Prior};
use crate::fmt::num;
use std::fmt;

/// Every distribution a prior may name, in [`DISTRIBUTIONS`] order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DistKind {
    Normal,
    StudentT,
    Cauchy,
    LogNormal,
    HalfNormal,
    HalfStudentT,
    Exponential,
    Gamma,
    Beta,
    Uniform,
    /// Joint prior on an ordered cutpoint vector, not a [`Dist`]: the spec
    /// writes one concentration, given to each of the K categories.
    InducedDirichlet,
}

/// What one argument must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamRule {
    /// A finite number.
    Finite,
    /// A finite number above 0.
    Positive,
}

impl ParamRule {
    /// Whether `v` satisfies the rule (NaN never does).
    pub fn holds(self, v: f64) -> bool {
        match self {
            ParamRule::Finite => v.is_finite(),
            ParamRule::Positive => v.is_finite() && v > 0.0,
        }
    }

    /// The rule in words, to follow "must be": `finite`, `positive`.
    pub fn describe(self) -> &'static str {
        match self {
            ParamRule::Finite => "finite",
            ParamRule::Positive => "positive",
        }
    }
}

/// One parameter of a distribution.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParamInfo {
    /// Its name in specs and messages (`mu`, `sigma`, ...).
    pub name: &'static str,
    pub rule: ParamRule,
}

/// Where a distribution puts its mass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DistSupport {
    /// The real line.
    Real,
    /// (0, inf).
    Positive,
    /// (0, 1).
    UnitInterval,
    /// [lower, upper], its first and second arguments.
    Between,
    /// Ordered vectors (a joint prior on cutpoints).
    OrderedCutpoints,
}

impl DistSupport {
    /// (lower, upper) for a univariate distribution with arguments `args`;
    /// `None` for the joint support of cutpoints (or missing arguments).
    pub fn bounds(self, args: &[f64]) -> Option<(f64, f64)> {
        match self {
            DistSupport::Real => Some((f64::NEG_INFINITY, f64::INFINITY)),
            DistSupport::Positive => Some((0.0, f64::INFINITY)),
            DistSupport::UnitInterval => Some((0.0, 1.0)),
            DistSupport::Between => match args {
                [lower, upper, ..] => Some((*lower, *upper)),
                _ => None,
            },
            DistSupport::OrderedCutpoints => None,
        }
    }

    /// The support in words, as the language reference writes it.
    pub fn describe(self) -> &'static str {
        match self {
            DistSupport::Real => "real",
            DistSupport::Positive => "positive",
            DistSupport::UnitInterval => "(0, 1)",
            DistSupport::Between => "[lower, upper]",
            DistSupport::OrderedCutpoints => "ordered cutpoints",
        }
    }
}

/// One row of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DistInfo {
    pub kind: DistKind,
    /// The name as written in specs: `normal`, `half_student_t`, ...
    pub name: &'static str,
    /// Parameters in the order a spec writes them.
    pub params: &'static [ParamInfo],
    /// `Some((i, j))`: argument i must be below argument j (uniform's
    /// lower and upper), checked once both satisfy their own rules.
    pub increasing: Option<(usize, usize)>,
    pub support: DistSupport,
}

impl DistInfo {
    /// How a spec writes it: `normal(mu, sigma)`.
    pub fn signature(&self) -> String {
        let names: Vec<&str> = self.params.iter().map(|p| p.name).collect();
        format!("{}({})", self.name, names.join(", "))
    }
}

const fn finite(name: &'static str) -> ParamInfo {
    ParamInfo {
        name,
        rule: ParamRule::Finite,
    }
}

const fn positive(name: &'static str) -> ParamInfo {
    ParamInfo {
        name,
        rule: ParamRule::Positive,
    }
}

/// The table, in [`DistKind`] order (`DISTRIBUTIONS[k as usize].kind == k`).
pub static DISTRIBUTIONS: &[DistInfo] = &[
    DistInfo {
        kind: DistKind::Normal,
        name: "normal",
        params: &[finite("mu"), positive("sigma")],
        increasing: None,
        support: DistSupport::Real,
    },
    DistInfo {
        kind: DistKind::StudentT,
        name: "student_t",
        params: &[positive("nu"), finite("mu"), positive("sigma")],
        increasing: None,
        support: DistSupport::Real,
    },
    DistInfo {
        kind: DistKind::Cauchy,
        name: "cauchy",
        params: &[finite("mu"), positive("sigma")],
        increasing: None,
        support: DistSupport::Real,
    },
    DistInfo {
        kind: DistKind::LogNormal,
        name: "lognormal",
        params: &[finite("mu"), positive("sigma")],
        increasing: None,
        support: DistSupport::Positive,
    },
    DistInfo {
        kind: DistKind::HalfNormal,
        name: "half_normal",
        params: &[positive("sigma")],
        increasing: None,
        support: DistSupport::Positive,
    },
    DistInfo {
        kind: DistKind::HalfStudentT,
        name: "half_student_t",
        params: &[positive("nu"), positive("sigma")],
        increasing: None,
        support: DistSupport::Positive,
    },
    DistInfo {
        kind: DistKind::Exponential,
        name: "exponential",
        params: &[positive("rate")],
        increasing: None,
        support: DistSupport::Positive,
    },
    DistInfo {
        kind: DistKind::Gamma,
        name: "gamma",
        params: &[positive("shape"), positive("rate")],
        increasing: None,
        support: DistSupport::Positive,
    },
    DistInfo {
        kind: DistKind::Beta,
        name: "beta",
        params: &[positive("a"), positive("b")],
        increasing: None,
        support: DistSupport::UnitInterval,
    },
    DistInfo {
        kind: DistKind::Uniform,
        name: "uniform",
        params: &[finite("lower"), finite("upper")],
        increasing: Some((0, 1)),
        support: DistSupport::Between,
    },
    DistInfo {
        kind: DistKind::InducedDirichlet,
        name: "induced_dirichlet",
        params: &[positive("alpha")],
        increasing: None,
        support: DistSupport::OrderedCutpoints,
    },
];

impl DistKind {
    /// Every kind, in table order.
    pub const ALL: [DistKind; 11] = [
        DistKind::Normal,
        DistKind::StudentT,
        DistKind::Cauchy,
        DistKind::LogNormal,
        DistKind::HalfNormal,
        DistKind::HalfStudentT,
        DistKind::Exponential,
        DistKind::Gamma,
        DistKind::Beta,
        DistKind::Uniform,
        DistKind::InducedDirichlet,
    ];

    /// Its row of [`DISTRIBUTIONS`].
    pub fn info(self) -> &'static DistInfo {
        &DISTRIBUTIONS[self as usize]
    }

    /// The name as written in specs.
    pub fn name(self) -> &'static str {
        self.info().name
    }

    /// The kind a spec names `name`, if any.
    pub fn from_name(name: &str) -> Option<DistKind> {
        DISTRIBUTIONS
            .iter()
            .find(|d| d.name == name)
            .map(|d| d.kind)
    }

    /// Whether it is a distribution of one number (a [`Dist`]); only the
    /// induced Dirichlet is not.
    pub fn is_univariate(self) -> bool {
        self != DistKind::InducedDirichlet
    }

    /// Every way `args` break the table's rules: a wrong number of
    /// arguments alone; otherwise each argument that breaks its own rule,
    /// in order; and, when those hold, a violated order between arguments.
    pub fn arg_errors(self, args: &[f64]) -> Vec<DistArgError> {
        let info = self.info();
        if args.len() != info.params.len() {
            return vec![DistArgError::Arity {
                dist: self,
                given: args.len(),
            }];
        }
        let errors: Vec<DistArgError> = info
            .params
            .iter()
            .zip(args)
            .enumerate()
            .filter(|(_, (p, v))| !p.rule.holds(**v))
            .map(|(index, (_, v))| DistArgError::Rule {
                dist: self,
                index,
                value: *v,
            })
            .collect();
        if !errors.is_empty() {
            return errors;
        }
        match info.increasing {
            Some((lower, upper)) if !(args[lower] < args[upper]) => {
                vec![DistArgError::Order {
                    dist: self,
                    lower,
                    upper,
                    values: (args[lower], args[upper]),
                }]
            }
            _ => Vec::new(),
        }
    }

    /// The first of [`arg_errors`](Self::arg_errors), if any.
    pub fn check_args(self, args: &[f64]) -> Result<(), DistArgError> {
        match self.arg_errors(args).into_iter().next() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}

/// Why a distribution's name or arguments were refused. Its `Display` is a
/// sentence a diagnostic can quote; [`arg`](Self::arg) says which argument
/// to point at.
#[derive(Debug, Clone, PartialEq)]
pub enum DistArgError {
    /// No distribution has this name.
    Unknown { name: String },
    /// The wrong number of arguments.
    Arity { dist: DistKind, given: usize },
    /// Argument `index` (0-based) breaks its parameter's rule.
    Rule {
        dist: DistKind,
        index: usize,
        value: f64,
    },
    /// Argument `lower` is not below argument `upper` (an empty interval).
    Order {
        dist: DistKind,
        lower: usize,
        upper: usize,
        values: (f64, f64),
    },
    /// A joint prior (`induced_dirichlet`) where a distribution of one
    /// number is needed.
    NotUnivariate { dist: DistKind },
}

impl DistArgError {
    /// The 0-based index of the argument at fault; `None` when the fault is
    /// the call as a whole (name, count, an empty interval).
    pub fn arg(&self) -> Option<usize> {
        match self {
            DistArgError::Rule { index, .. } => Some(*index),
            _ => None,
        }
    }

    /// The distribution concerned, when the name was known.
    pub fn dist(&self) -> Option<DistKind> {
        match self {
            DistArgError::Unknown { .. } => None,
            DistArgError::Arity { dist, .. }
            | DistArgError::Rule { dist, .. }
            | DistArgError::Order { dist, .. }
            | DistArgError::NotUnivariate { dist } => Some(*dist),
        }
    }
}

impl fmt::Display for DistArgError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DistArgError::Unknown { name } => write!(f, "there is no distribution `{name}`"),
            DistArgError::Arity { dist, given } => {
                let n = dist.info().params.len();
                write!(
                    f,
                    "`{}` takes {n} argument{}, not {given}",
                    dist.name(),
                    if n == 1 { "" } else { "s" }
                )
            }
            DistArgError::Rule { dist, index, value } => {
                let p = dist.info().params[*index];
                write!(
                    f,
                    "`{}` of `{}` must be {}; it is {}",
                    p.name,
                    dist.name(),
                    p.rule.describe(),
                    num(*value)
                )
            }
            DistArgError::Order {
                dist,
                lower,
                upper,
                values: (a, b),
            } => {
                let ps = dist.info().params;
                write!(
                    f,
                    "`{}({}, {})` is empty: `{}` must be below `{}`",
                    dist.name(),
                    num(*a),
                    num(*b),
                    ps[*lower].name,
                    ps[*upper].name
                )
            }
            DistArgError::NotUnivariate { dist } => write!(
                f,
                "`{}` is a joint prior on ordered cutpoints, not a distribution of one number",
                dist.name()
            ),
        }
    }
}

impl std::error::Error for DistArgError {}

impl Dist {
    /// The distribution a spec writes `name(args...)`, with every argument
    /// checked against the table (the first broken rule is the error).
    pub fn from_args(name: &str, args: &[f64]) -> Result<Dist, DistArgError> {
        let kind = DistKind::from_name(name).ok_or_else(|| DistArgError::Unknown {
            name: name.to_string(),
        })?;
        kind.check_args(args)?;
        let a = |i: usize| args[i];
        Ok(match kind {
            DistKind::Normal => Dist::Normal {
                mu: a(0),
                sigma: a(1),
            },
            DistKind::StudentT => Dist::StudentT {
                nu: a(0),
                mu: a(1),
                sigma: a(2),
            },
            DistKind::Cauchy => Dist::Cauchy {
                mu: a(0),
                sigma: a(1),
            },
            DistKind::LogNormal => Dist::LogNormal {
                mu: a(0),
                sigma: a(1),
            },
            DistKind::HalfNormal => Dist::HalfNormal { sigma: a(0) },
            DistKind::HalfStudentT => Dist::HalfStudentT {
                nu: a(0),
                sigma: a(1),
            },
            DistKind::Exponential => Dist::Exponential { rate: a(0) },
            DistKind::Gamma => Dist::Gamma {
                shape: a(0),
                rate: a(1),
            },
            DistKind::Beta => Dist::Beta { a: a(0), b: a(1) },
            DistKind::Uniform => Dist::Uniform {
                lower: a(0),
                upper: a(1),
            },
            DistKind::InducedDirichlet => return Err(DistArgError::NotUnivariate { dist: kind }),
        })
    }

    /// Its row of the table.
    pub fn kind(&self) -> DistKind {
        match self {
            Dist::Normal { .. } => DistKind::Normal,
            Dist::StudentT { .. } => DistKind::StudentT,
            Dist::Cauchy { .. } => DistKind::Cauchy,
            Dist::LogNormal { .. } => DistKind::LogNormal,
            Dist::HalfNormal { .. } => DistKind::HalfNormal,
            Dist::HalfStudentT { .. } => DistKind::HalfStudentT,
            Dist::Exponential { .. } => DistKind::Exponential,
            Dist::Gamma { .. } => DistKind::Gamma,
            Dist::Beta { .. } => DistKind::Beta,
            Dist::Uniform { .. } => DistKind::Uniform,
        }
    }

    /// The name as written in specs.
    pub fn name(&self) -> &'static str {
        self.kind().name()
    }

    /// The arguments in the order a spec writes them (the table's).
    pub fn args(&self) -> Vec<f64> {
        match *self {
            Dist::Normal { mu, sigma }
            | Dist::Cauchy { mu, sigma }
            | Dist::LogNormal { mu, sigma } => vec![mu, sigma],
            Dist::StudentT { nu, mu, sigma } => vec![nu, mu, sigma],
            Dist::HalfNormal { sigma } => vec![sigma],
            Dist::HalfStudentT { nu, sigma } => vec![nu, sigma],
            Dist::Exponential { rate } => vec![rate],
            Dist::Gamma { shape, rate } => vec![shape, rate],
            Dist::Beta { a, b } => vec![a, b],
            Dist::Uniform { lower, upper } => vec![lower, upper],
        }
    }

    /// Checks the arguments against the table's rules (as
    /// [`from_args`](Self::from_args) does).
    pub fn validate(&self) -> Result<(), DistArgError> {
        self.kind().check_args(&self.args())
    }

    /// Support (lower, upper) of the distribution, from the table.
    pub fn support(&self) -> (f64, f64) {
        self.kind()
            .info()
            .support
            .bounds(&self.args())
            .unwrap_or((f64::NEG_INFINITY, f64::INFINITY))
    }
}

/// `normal(-1.2, 0.8485)`: as a spec writes it, numbers by [`num`].
impl fmt::Display for Dist {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let args: Vec<String> = self.args().into_iter().map(num).collect();
        write!(f, "{}({})", self.name(), args.join(", "))
    }
}

/// A distribution as [`Dist`] shows it; a mixture as its weighted
/// components, `0.8 normal(-1.2, 0.8485) + 0.2 normal(0, 3)`; the induced
/// Dirichlet as a spec writes it, `induced_dirichlet(1)`, when all its
/// concentrations are equal, and as the list `induced_dirichlet([1, 2, 1.5])`
/// otherwise (which only the IR can hold).
impl fmt::Display for Prior {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Prior::Dist(d) => write!(f, "{d}"),
            Prior::Mixture(components) => {
                for (i, c) in components.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" + ")?;
                    }
                    write!(f, "{} {}", num(c.weight), c.dist)?;
                }
                Ok(())
            }
            Prior::InducedDirichlet { alpha } => {
                let name = DistKind::InducedDirichlet.name();
                match alpha.as_slice() {
                    [first, rest @ ..] if rest.iter().all(|a| a.to_bits() == first.to_bits()) => {
                        write!(f, "{name}({})", num(*first))
                    }
                    _ => {
                        let list: Vec<String> = alpha.iter().map(|a| num(*a)).collect();
                        write!(f, "{name}([{}])", list.join(", "))
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mir::MixtureComponent;

    /// Arguments that satisfy every rule of `info`: distinct, increasing.
    fn valid_args(info: &DistInfo) -> Vec<f64> {
        info.params
            .iter()
            .enumerate()
            .map(|(i, p)| match p.rule {
                ParamRule::Finite => -1.25 + 2.0 * i as f64,
                ParamRule::Positive => 0.75 + 1.5 * i as f64,
            })
            .collect()
    }

    #[test]
    fn the_table_is_in_kind_order_with_unique_names() {
        assert_eq!(DISTRIBUTIONS.len(), DistKind::ALL.len());
        for (i, (info, kind)) in DISTRIBUTIONS.iter().zip(DistKind::ALL).enumerate() {
            assert_eq!(info.kind, kind, "row {i}");
            assert_eq!(kind as usize, i);
            assert_eq!(DistKind::from_name(info.name), Some(kind));
            assert!(!info.params.is_empty());
        }
        assert_eq!(DistKind::from_name("norml"), None);
        assert_eq!(DistKind::from_name("Normal"), None);
    }

    /// The names, arities and rules the checker applied before the table
    /// (hir/check.rs DISTRIBUTIONS, docs/language.md "Priors").
    #[test]
    fn the_table_says_what_the_language_reference_says() {
        use ParamRule::{Finite as F, Positive as P};
        type Row = (
            &'static str,
            &'static [(&'static str, ParamRule)],
            &'static str,
        );
        let want: &[Row] = &[
            ("normal", &[("mu", F), ("sigma", P)], "real"),
            ("student_t", &[("nu", P), ("mu", F), ("sigma", P)], "real"),
            ("cauchy", &[("mu", F), ("sigma", P)], "real"),
            ("lognormal", &[("mu", F), ("sigma", P)], "positive"),
            ("half_normal", &[("sigma", P)], "positive"),
            ("half_student_t", &[("nu", P), ("sigma", P)], "positive"),
            ("exponential", &[("rate", P)], "positive"),
            ("gamma", &[("shape", P), ("rate", P)], "positive"),
            ("beta", &[("a", P), ("b", P)], "(0, 1)"),
            ("uniform", &[("lower", F), ("upper", F)], "[lower, upper]"),
            ("induced_dirichlet", &[("alpha", P)], "ordered cutpoints"),
        ];
        assert_eq!(want.len(), DISTRIBUTIONS.len());
        for ((name, params, support), info) in want.iter().zip(DISTRIBUTIONS) {
            assert_eq!(info.name, *name);
            let got: Vec<(&str, ParamRule)> =
                info.params.iter().map(|p| (p.name, p.rule)).collect();
            assert_eq!(got, params.to_vec(), "{name}");
            assert_eq!(info.support.describe(), *support, "{name}");
            assert_eq!(info.increasing.is_some(), *name == "uniform", "{name}");
        }
        assert_eq!(
            DistKind::StudentT.info().signature(),
            "student_t(nu, mu, sigma)"
        );
    }

    #[test]
    fn every_univariate_entry_round_trips() {
        for info in DISTRIBUTIONS.iter().filter(|d| d.kind.is_univariate()) {
            let args = valid_args(info);
            let d = Dist::from_args(info.name, &args).expect("valid arguments");
            assert_eq!(d.kind(), info.kind);
            assert_eq!(d.name(), info.name);
            assert_eq!(d.args(), args, "{}", info.name);
            assert_eq!(d.validate(), Ok(()));
            let (lo, hi) = d.support();
            assert_eq!(Some((lo, hi)), info.support.bounds(&args));
        }
    }

    /// Each argument lands in the field of that name (a swap would still
    /// round-trip through name + args).
    #[test]
    fn arguments_go_to_the_named_fields() {
        let cases = [
            (
                "normal",
                vec![1.0, 2.0],
                Dist::Normal {
                    mu: 1.0,
                    sigma: 2.0,
                },
            ),
            (
                "student_t",
                vec![3.0, -1.0, 2.0],
                Dist::StudentT {
                    nu: 3.0,
                    mu: -1.0,
                    sigma: 2.0,
                },
            ),
            (
                "cauchy",
                vec![1.0, 2.0],
                Dist::Cauchy {
                    mu: 1.0,
                    sigma: 2.0,
                },
            ),
            (
                "lognormal",
                vec![1.0, 2.0],
                Dist::LogNormal {
                    mu: 1.0,
                    sigma: 2.0,
                },
            ),
            ("half_normal", vec![2.0], Dist::HalfNormal { sigma: 2.0 }),
            (
                "half_student_t",
                vec![3.0, 2.0],
                Dist::HalfStudentT {
                    nu: 3.0,
                    sigma: 2.0,
                },
            ),
            ("exponential", vec![2.0], Dist::Exponential { rate: 2.0 }),
            (
                "gamma",
                vec![3.0, 2.0],
                Dist::Gamma {
                    shape: 3.0,
                    rate: 2.0,
                },
            ),
            ("beta", vec![3.0, 2.0], Dist::Beta { a: 3.0, b: 2.0 }),
            (
                "uniform",
                vec![-1.0, 2.0],
                Dist::Uniform {
                    lower: -1.0,
                    upper: 2.0,
                },
            ),
        ];
        assert_eq!(cases.len(), DISTRIBUTIONS.len() - 1);
        for (name, args, want) in cases {
            assert_eq!(Dist::from_args(name, &args), Ok(want.clone()));
            assert_eq!(want.args(), args);
        }
    }

    #[test]
    fn each_rule_rejects_what_it_should() {
        let bad_finite = [f64::NAN, f64::INFINITY, f64::NEG_INFINITY];
        let bad_positive = [0.0, -0.0, -1.0, -1e-300, f64::NAN, f64::INFINITY];
        for info in DISTRIBUTIONS {
            let good = valid_args(info);
            assert_eq!(info.kind.check_args(&good), Ok(()), "{}", info.name);
            for (i, p) in info.params.iter().enumerate() {
                let bad: &[f64] = match p.rule {
                    ParamRule::Finite => &bad_finite,
                    ParamRule::Positive => &bad_positive,
                };
                for &v in bad {
                    let mut args = good.clone();
                    args[i] = v;
                    let e = info.kind.check_args(&args).expect_err("rule broken");
                    assert_eq!(e.arg(), Some(i), "{} arg {i} = {v}", info.name);
                    assert_eq!(e.dist(), Some(info.kind));
                    let text = e.to_string();
                    assert!(
                        text.starts_with(&format!(
                            "`{}` of `{}` must be {}",
                            p.name,
                            info.name,
                            p.rule.describe()
                        )),
                        "{text}"
                    );
                    if info.kind.is_univariate() {
                        let from = Dist::from_args(info.name, &args).expect_err("rule broken");
                        assert_eq!((from.arg(), from.to_string()), (e.arg(), text));
                    }
                }
            }
            // One argument too few and one too many.
            for n in [good.len() - 1, good.len() + 1] {
                let args = vec![1.0; n];
                let e = info.kind.check_args(&args).expect_err("arity");
                assert_eq!(
                    e,
                    DistArgError::Arity {
                        dist: info.kind,
                        given: n
                    }
                );
                assert_eq!(e.arg(), None);
            }
        }
        // Every broken argument is reported, in order.
        let all = DistKind::StudentT.arg_errors(&[0.0, f64::NAN, -2.0]);
        let idx: Vec<Option<usize>> = all.iter().map(|e| e.arg()).collect();
        assert_eq!(idx, vec![Some(0), Some(1), Some(2)]);
    }

    #[test]
    fn uniform_needs_lower_below_upper() {
        for (a, b) in [(1.0, 1.0), (2.0, -1.0), (-0.0, 0.0)] {
            let e = Dist::from_args("uniform", &[a, b]).expect_err("empty interval");
            assert_eq!(
                e,
                DistArgError::Order {
                    dist: DistKind::Uniform,
                    lower: 0,
                    upper: 1,
                    values: (a, b)
                }
            );
            assert_eq!(e.arg(), None);
        }
        assert_eq!(
            DistArgError::Order {
                dist: DistKind::Uniform,
                lower: 0,
                upper: 1,
                values: (2.0, -1.0)
            }
            .to_string(),
            "`uniform(2, -1)` is empty: `lower` must be below `upper`"
        );
        // A non-finite end breaks its own rule first.
        let e = Dist::from_args("uniform", &[f64::NEG_INFINITY, 1.0]).expect_err("infinite");
        assert_eq!(e.arg(), Some(0));
        assert!(Dist::from_args("uniform", &[-1.0, 1.0]).is_ok());
        // validate applies the same rule to a Dist built directly.
        let d = Dist::Uniform {
            lower: 1.0,
            upper: 0.5,
        };
        assert!(matches!(d.validate(), Err(DistArgError::Order { .. })));
    }

    #[test]
    fn names_and_joint_priors() {
        let e = Dist::from_args("norml", &[0.0, 1.0]).expect_err("unknown");
        assert_eq!(e.to_string(), "there is no distribution `norml`");
        assert_eq!(e.dist(), None);
        let e = Dist::from_args("induced_dirichlet", &[1.0]).expect_err("joint");
        assert_eq!(
            e,
            DistArgError::NotUnivariate {
                dist: DistKind::InducedDirichlet
            }
        );
        assert!(DistKind::InducedDirichlet.check_args(&[1.0]).is_ok());
        assert_eq!(
            Dist::from_args("half_normal", &[1.0, 2.0])
                .expect_err("arity")
                .to_string(),
            "`half_normal` takes 1 argument, not 2"
        );
        assert_eq!(
            Dist::from_args("normal", &[1.0])
                .expect_err("arity")
                .to_string(),
            "`normal` takes 2 arguments, not 1"
        );
        assert_eq!(
            Dist::from_args("normal", &[1.0, -0.5])
                .expect_err("rule")
                .to_string(),
            "`sigma` of `normal` must be positive; it is -0.5"
        );
        assert_eq!(
            Dist::from_args("cauchy", &[f64::NAN, 1.0])
                .expect_err("rule")
                .to_string(),
            "`mu` of `cauchy` must be finite; it is NaN"
        );
    }

    #[test]
    fn display() {
        let normal = |mu, sigma| Dist::Normal { mu, sigma };
        assert_eq!(normal(5.0, 0.00001).to_string(), "normal(5, 1e-5)");
        assert_eq!(
            normal(-1.2, 0.848_528_137).to_string(),
            "normal(-1.2, 0.8485)"
        );
        assert_eq!(
            Dist::StudentT {
                nu: 3.0,
                mu: 140.0,
                sigma: 15.0
            }
            .to_string(),
            "student_t(3, 140, 15)"
        );
        assert_eq!(
            Dist::Uniform {
                lower: -1.0,
                upper: 1.0
            }
            .to_string(),
            "uniform(-1, 1)"
        );
        assert_eq!(
            Dist::HalfNormal { sigma: 1.5e300 }.to_string(),
            "half_normal(1.5e300)"
        );
        assert_eq!(Prior::Dist(normal(0.0, 2.5)).to_string(), "normal(0, 2.5)");
        let mixture = Prior::Mixture(vec![
            MixtureComponent {
                weight: 0.8,
                dist: normal(-1.2, 0.848_528_137),
            },
            MixtureComponent {
                weight: 0.2,
                dist: normal(0.0, 3.0),
            },
        ]);
        assert_eq!(
            mixture.to_string(),
            "0.8 normal(-1.2, 0.8485) + 0.2 normal(0, 3)"
        );
        assert_eq!(
            Prior::InducedDirichlet {
                alpha: vec![1.0; 4]
            }
            .to_string(),
            "induced_dirichlet(1)"
        );
        assert_eq!(
            Prior::InducedDirichlet {
                alpha: vec![1.0, 2.0, 1.5]
            }
            .to_string(),
            "induced_dirichlet([1, 2, 1.5])"
        );
    }
}
