//! Random flag vectors through the CLI's parser and validation, in-process and without
//! training (`cli::check_args`): any vector is accepted or refused with an error, and
//! nothing panics.

use proptest::prelude::*;

const COMMANDS: [&str; 11] = [
    "tree",
    "dice",
    "search",
    "levers",
    "mnist",
    "mnist-classes",
    "cmnist",
    "spectrum",
    "paper",
    "bench-hvp",
    "no-such",
];

const FLAGS: [&str; 51] = [
    "--seed",
    "--threads",
    "--out",
    "--depths",
    "--trees",
    "--methods",
    "--budget",
    "--problem",
    "--depth",
    "--tree-seed",
    "--round",
    "--resume",
    "--force",
    "--payoffs",
    "--replicates",
    "--repeats",
    "--hidden",
    "--activation",
    "--steps",
    "--batch",
    "--alpha",
    "--s",
    "--lr-x",
    "--lr-lambda",
    "--descent-steps",
    "--probe-batch",
    "--eval-every",
    "--ridge",
    "--fixed-ev-alpha",
    "--ridges",
    "--early",
    "--runs",
    "--betas",
    "--ride-steps",
    "--inner-steps",
    "--mis-steps",
    "--irm-anneal",
    "--k",
    "--tol",
    "--max-subspace",
    "--max-hvps",
    "--init",
    "--which",
    "--quick",
    "--inputs",
    "--storage",
    "--fd-step",
    "--json",
    "--samples",
    "--policy",
    "--pg-lr",
];

const VALUES: [&str; 33] = [
    "0",
    "1",
    "2",
    "-1",
    "7",
    "30",
    "31",
    "256",
    "257",
    "18446744073709551615",
    "18446744073709551616",
    "1e308",
    "1e-300",
    "nan",
    "inf",
    "-inf",
    "",
    ",",
    "rr,rr",
    "rr,sgd",
    "random,mnist",
    "mnist,mnist",
    "sparse",
    "4,6",
    "4,4",
    "0..9",
    "9..2",
    "a..b",
    "tanh",
    "bogus",
    "1,1,1,10,1,1",
    "/no/such/dir/x.json",
    "figure1",
];

fn arg() -> impl Strategy<Value = Vec<String>> {
    let value = prop_oneof![
        proptest::sample::select(&VALUES[..]).prop_map(str::to_string),
        any::<i64>().prop_map(|n| n.to_string()),
        any::<f64>().prop_map(|x| x.to_string()),
        "[ -~]{0,12}",
    ];
    (proptest::sample::select(&FLAGS[..]), proptest::option::weighted(0.85, value)).prop_map(|(f, v)| {
        let mut a = vec![f.to_string()];
        a.extend(v);
        a
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]
    #[test]
    fn random_flags_are_accepted_or_refused_never_a_panic(
        command in proptest::sample::select(&COMMANDS[..]),
        args in proptest::collection::vec(arg(), 0..8),
    ) {
        let mut argv = vec!["ridge-rider".to_string(), command.to_string()];
        argv.extend(args.into_iter().flatten());
        if let Err(e) = ridge_rider::cli::check_args(&argv) {
            prop_assert!([1, 2].contains(&e.exit_code()), "{argv:?}: {e}");
            prop_assert!(!e.to_string().is_empty() && e.to_string().lines().count() == 1, "{argv:?}: {e}");
        }
    }
}

/// Every default is valid: a command with no flags passes its own checks.
#[test]
fn every_command_accepts_its_defaults() {
    for c in &COMMANDS[..9] {
        assert!(ridge_rider::cli::check_args(["ridge-rider", c]).is_ok(), "{c}");
    }
}
