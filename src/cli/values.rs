//! The spellings of the flags that name one of the library's choices. Each is a
//! [`clap::ValueEnum`] here, converted into the library's enum by [`parser`], so the
//! library parses nothing, `--help` lists the accepted values, and a bad value is
//! refused by clap with the list. The results record the library's names
//! (`Method::name`, `MnistMethod::name`), which the tests below hold equal to these.

use crate::linalg::Which;
use crate::problems::mnist::mlp::Activation;
use crate::problems::mnist::rr::MnistMethod;
use crate::problems::tree::dice_search::DiceMethod;
use crate::problems::tree::methods::Method;
use clap::builder::{EnumValueParser, TypedValueParser};
use clap::ValueEnum;

/// The value parser of a flag spelled by the CLI enum `A` that gives the library's `T`.
pub fn parser<A, T>() -> impl TypedValueParser<Value = T>
where
    A: ValueEnum + Clone + Send + Sync + 'static,
    T: From<A> + Clone + Send + Sync + 'static,
{
    EnumValueParser::<A>::new().map(T::from)
}

/// `--activation`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ActivationArg {
    Tanh,
    Relu,
}

impl From<ActivationArg> for Activation {
    fn from(a: ActivationArg) -> Self {
        match a {
            ActivationArg::Tanh => Activation::Tanh,
            ActivationArg::Relu => Activation::Relu,
        }
    }
}

/// `--which`, with ARPACK's names as hidden aliases.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum WhichArg {
    #[value(alias = "sa")]
    MostNegative,
    #[value(alias = "la")]
    Largest,
    #[value(alias = "lm")]
    LargestMagnitude,
}

impl From<WhichArg> for Which {
    fn from(w: WhichArg) -> Self {
        match w {
            WhichArg::MostNegative => Which::MostNegative,
            WhichArg::Largest => Which::Largest,
            WhichArg::LargestMagnitude => Which::LargestMagnitude,
        }
    }
}

/// `tree --methods`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum TreeMethodArg {
    #[value(name = "rr")]
    RidgeRider,
    GdRandom,
    GdSaddle,
    RandomVector,
    FixedEv,
    RandRidgePlus,
}

impl From<TreeMethodArg> for Method {
    fn from(m: TreeMethodArg) -> Self {
        match m {
            TreeMethodArg::RidgeRider => Method::RidgeRider,
            TreeMethodArg::GdRandom => Method::GdRandom,
            TreeMethodArg::GdSaddle => Method::GdSaddle,
            TreeMethodArg::RandomVector => Method::RandomVector,
            TreeMethodArg::FixedEv => Method::FixedEv,
            TreeMethodArg::RandRidgePlus => Method::RandRidgePlus,
        }
    }
}

/// `mnist --methods`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum MnistMethodArg {
    #[value(name = "rr")]
    RidgeRider,
    Sgd,
    FixedEv,
    RandRidgePlus,
    Linear,
}

impl From<MnistMethodArg> for MnistMethod {
    fn from(m: MnistMethodArg) -> Self {
        match m {
            MnistMethodArg::RidgeRider => MnistMethod::RidgeRider,
            MnistMethodArg::Sgd => MnistMethod::Sgd,
            MnistMethodArg::FixedEv => MnistMethod::FixedEv,
            MnistMethodArg::RandRidgePlus => MnistMethod::RandRidgePlus,
            MnistMethodArg::Linear => MnistMethod::Linear,
        }
    }
}

/// `dice --methods`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum DiceMethodArg {
    Rr,
    PgRandom,
    PgSaddle,
    RrExact,
}

impl From<DiceMethodArg> for DiceMethod {
    fn from(m: DiceMethodArg) -> Self {
        match m {
            DiceMethodArg::Rr => DiceMethod::RidgeRider,
            DiceMethodArg::PgRandom => DiceMethod::PgRandom,
            DiceMethodArg::PgSaddle => DiceMethod::PgSaddle,
            DiceMethodArg::RrExact => DiceMethod::ExactRidgeRider,
        }
    }
}

/// `dice --policy` (the MLP's width is `--hidden`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum PolicyArg {
    Tabular,
    Mlp,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every spelling `A` accepts, aliases included, as `T`.
    fn accepted<A: ValueEnum + Clone + Send + Sync + 'static, T: From<A> + Clone + Send + Sync + 'static>(
    ) -> Vec<(String, T)> {
        let cmd = clap::Command::new("t");
        let p = parser::<A, T>();
        A::value_variants()
            .iter()
            .flat_map(|v| {
                v.to_possible_value()
                    .expect("no skipped variants")
                    .get_name_and_aliases()
                    .map(str::to_string)
                    .collect::<Vec<_>>()
            })
            .map(|name| {
                let t = p.parse_ref(&cmd, None, std::ffi::OsStr::new(&name)).expect("an accepted value");
                (name, t)
            })
            .collect()
    }

    fn names<T>(v: &[(String, T)]) -> Vec<&str> {
        v.iter().map(|(n, _)| n.as_str()).collect()
    }

    #[test]
    fn the_spellings_are_the_ones_the_results_record() {
        let tree = accepted::<TreeMethodArg, Method>();
        assert_eq!(names(&tree), ["rr", "gd-random", "gd-saddle", "random-vector", "fixed-ev", "rand-ridge-plus"]);
        assert!(tree.iter().all(|(n, m)| n == m.name()), "a CLI name differs from Method::name");
        let mnist = accepted::<MnistMethodArg, MnistMethod>();
        assert_eq!(names(&mnist), ["rr", "sgd", "fixed-ev", "rand-ridge-plus", "linear"]);
        assert!(mnist.iter().all(|(n, m)| n == m.name()), "a CLI name differs from MnistMethod::name");
        let dice = accepted::<DiceMethodArg, DiceMethod>();
        assert_eq!(names(&dice), ["rr", "pg-random", "pg-saddle", "rr-exact"]);
        assert!(dice.iter().all(|(n, m)| n == m.name()), "a CLI name differs from DiceMethod::name");
        // The MNIST config records the activation as its lower-case Debug name.
        let act = accepted::<ActivationArg, Activation>();
        assert_eq!(names(&act), ["tanh", "relu"]);
        assert!(act.iter().all(|(n, a)| *n == format!("{a:?}").to_lowercase()));
    }

    #[test]
    fn which_takes_the_long_names_and_the_arpack_ones() {
        let which = accepted::<WhichArg, Which>();
        let expected = [
            ("most-negative", Which::MostNegative),
            ("sa", Which::MostNegative),
            ("largest", Which::Largest),
            ("la", Which::Largest),
            ("largest-magnitude", Which::LargestMagnitude),
            ("lm", Which::LargestMagnitude),
        ];
        assert_eq!(which.iter().map(|(n, w)| (n.as_str(), *w)).collect::<Vec<_>>(), expected);
    }

    #[test]
    fn other_spellings_are_refused() {
        let cmd = clap::Command::new("t");
        for bad in ["", "RR", "Tanh", "most_negative", "smallest", "adam"] {
            let v = std::ffi::OsStr::new(bad);
            assert!(parser::<TreeMethodArg, Method>().parse_ref(&cmd, None, v).is_err(), "{bad}");
            assert!(parser::<MnistMethodArg, MnistMethod>().parse_ref(&cmd, None, v).is_err(), "{bad}");
            assert!(parser::<ActivationArg, Activation>().parse_ref(&cmd, None, v).is_err(), "{bad}");
            assert!(parser::<WhichArg, Which>().parse_ref(&cmd, None, v).is_err(), "{bad}");
        }
    }
}
