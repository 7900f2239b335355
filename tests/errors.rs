//! The library's errors are typed to the bottom: each wraps the error it comes from and
//! hands it out through `source()`, and each Display is one line.

use ridge_rider::ad::{loss_fn, AdError, Var};
use ridge_rider::io::npy::{read_npy, NpyError};
use ridge_rider::linalg::{HessianOperator, LinalgError, LinearOperator};
use ridge_rider::problems::data::mnist::{embedded_all, parse_images, Dataset, IdxError};
use ridge_rider::problems::mnist::mlp::{Activation, Mlp};
use ridge_rider::problems::mnist::rr::{check_ridge, train, MnistConfig, MnistMethod};
use ridge_rider::problems::tree::{Tree, TreeError};
use ridge_rider::rr::checkpoint::{decode, encode, load, save, search_key, CheckpointError, Identity};
use ridge_rider::rr::{
    get_ridges, start_search, ApproximateParams, BranchParams, InputError, RrError, RrParams, Spectrum,
};
use std::error::Error;
use std::path::PathBuf;

/// `e` and its sources, outermost first.
fn chain<'a>(e: &'a (dyn Error + 'static)) -> Vec<&'a (dyn Error + 'static)> {
    std::iter::successors(Some(e), |&e| e.source()).collect()
}

/// A loss that returns a 2×1 tensor, which the autodiff refuses.
fn not_scalar() -> impl ridge_rider::rr::Objective {
    loss_fn(2, |t: Var| t * 2.0)
}

const NOT_SCALAR: AdError = AdError::NotScalar { shape: (2, 1) };

#[test]
fn the_hessian_operator_keeps_the_autodiff_error() {
    let err = HessianOperator::new(&not_scalar(), vec![1.0, 2.0]).err().unwrap();
    assert_eq!(err, LinalgError::Operator(NOT_SCALAR));
    assert_eq!(err.source().unwrap().downcast_ref::<AdError>(), Some(&NOT_SCALAR));
    // A direction of the wrong length fails inside the HVP, one sweep or a block.
    let op = HessianOperator::new(&loss_fn(2, |t: Var| t.dot(t)), vec![1.0, 2.0]).unwrap();
    let wrong = LinalgError::Operator(AdError::DimensionMismatch { what: "direction", expected: 2, got: 1 });
    assert_eq!(op.apply(&[1.0], &mut [0.0; 2]), Err(wrong.clone()));
    assert_eq!(op.apply_block(&[&[1.0]], &mut [vec![0.0; 2]]), Err(wrong));
    assert_eq!(err.to_string(), "operator failed: the loss must return a 1×1 tensor, got 2×1");
}

#[test]
fn an_rr_error_from_a_failing_hvp_reaches_the_autodiff_error() {
    let mut lanczos = BranchParams::default();
    lanczos.ridges = 2;
    lanczos.spectrum = Spectrum::Lanczos { tol: 1e-8, max_hvps_per_call: 100, update: ApproximateParams::default() };
    let err = get_ridges(&not_scalar(), &[1.0, 2.0], &lanczos, 0).unwrap_err();
    assert_eq!(err, RrError::Linalg(LinalgError::Operator(NOT_SCALAR)));
    let links = chain(&err);
    assert_eq!(links.len(), 3, "RrError → LinalgError → AdError");
    assert!(links[0].downcast_ref::<RrError>().is_some());
    assert_eq!(links[1].downcast_ref::<LinalgError>(), Some(&LinalgError::Operator(NOT_SCALAR)));
    assert_eq!(links[2].downcast_ref::<AdError>(), Some(&NOT_SCALAR));
    // The search itself evaluates the loss first: the autodiff error, one link down.
    let err = start_search(&not_scalar(), &[1.0, 2.0], &RrParams::default()).err().unwrap();
    assert_eq!(chain(&err)[1].downcast_ref::<AdError>(), Some(&NOT_SCALAR));
}

/// A unique path under the temporary directory.
fn temp(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("rr-errors-{}-{name}", std::process::id()))
}

#[test]
fn a_checkpoint_that_cannot_be_read_keeps_the_io_error() {
    let path = temp("missing.checkpoint");
    let id = Identity { key: 1, dim: 2, shape: "wells".into() };
    let err = load(&path, &id, &RrParams::default()).err().unwrap();
    let links = chain(&err);
    assert_eq!(links.len(), 3, "RrError → CheckpointError → io::Error");
    assert!(
        matches!(links[1].downcast_ref::<CheckpointError>(), Some(CheckpointError::Io { path: p, .. }) if *p == path)
    );
    assert_eq!(links[2].downcast_ref::<std::io::Error>().unwrap().kind(), std::io::ErrorKind::NotFound);
    assert!(err.to_string().starts_with(&format!("checkpoint: {}: ", path.display())), "{err}");
    // Writing into a directory that does not exist fails the same way.
    let f = loss_fn(2, |t: Var| (t * t - 1.0).powi(2).sum() - 0.1 * t.at(0) * t.at(0));
    let state = start_search(&f, &[0.0, 0.0], &RrParams::default()).unwrap();
    let nowhere = temp("no-such-dir").join("x.checkpoint");
    let err = save(&nowhere, &state, &id).unwrap_err();
    assert!(matches!(&err, RrError::Checkpoint(CheckpointError::Io { path, .. }) if *path == nowhere), "{err:?}");
    assert!(chain(&err)[2].downcast_ref::<std::io::Error>().is_some());
}

#[test]
fn a_checkpoint_of_another_search_says_whose_it_is() {
    let f = loss_fn(2, |t: Var| (t * t - 1.0).powi(2).sum() - 0.1 * t.at(0) * t.at(0));
    let p = RrParams::default();
    let key = search_key(&p, "wells", 2, &[0.0, 0.0]);
    let id = Identity { key, dim: 2, shape: "wells".into() };
    let bytes = encode(&start_search(&f, &[0.0, 0.0], &p).unwrap(), &id);
    let mut other = p.clone();
    other.seed = 1;
    let other_key = search_key(&other, "wells", 2, &[0.0, 0.0]);
    let err = decode(&bytes, &Identity { key: other_key, ..id.clone() }, &other).err().unwrap();
    assert_eq!(err, RrError::Checkpoint(CheckpointError::OtherSearch { key, expected: other_key }));
    let bowl = Identity { key, dim: 3, shape: "bowl".into() };
    let err = decode(&bytes, &bowl, &p).err().unwrap();
    let expected =
        CheckpointError::OtherProblem { shape: "wells".into(), dim: 2, expected_shape: "bowl".into(), expected_dim: 3 };
    assert_eq!(err, RrError::Checkpoint(expected.clone()));
    assert_eq!(err.to_string(), "checkpoint: it belongs to wells with 2 parameters, this search is bowl with 3");
    // Loaded from a file, the refusal names the file and keeps the reason as its source.
    let path = temp("wells.checkpoint");
    std::fs::write(&path, &bytes).unwrap();
    let err = load(&path, &bowl, &p).err().unwrap();
    std::fs::remove_file(&path).unwrap();
    assert_eq!(
        err,
        RrError::Checkpoint(CheckpointError::InFile { path: path.clone(), error: Box::new(expected.clone()) })
    );
    assert_eq!(chain(&err)[2].downcast_ref::<CheckpointError>(), Some(&expected));
    assert!(err.to_string().starts_with(&format!("checkpoint: {}: it belongs to wells", path.display())));
    // A flipped byte, and the two earlier formats.
    let mut corrupt = bytes.clone();
    corrupt[40] ^= 1;
    assert_eq!(decode(&corrupt, &id, &p).err(), Some(RrError::Checkpoint(CheckpointError::Corrupt)));
    for (magic, version) in [(b"RRCKPT01", 1), (b"RRCKPT02", 2)] {
        let mut old = bytes.clone();
        old[..8].copy_from_slice(magic);
        let err = decode(&old, &id, &p).err().unwrap();
        assert_eq!(err, RrError::Checkpoint(CheckpointError::OldFormat { version }));
        assert!(err.to_string().contains("--force"), "{err}");
    }
    assert_eq!(decode(b"PK\x03\x04", &id, &p).err(), Some(RrError::Checkpoint(CheckpointError::NotACheckpoint)));
}

#[test]
fn data_the_training_cannot_use_is_a_typed_bad_input() {
    let digits = embedded_all().slice(0..200);
    let c =
        MnistConfig { probe_batch: 200, steps: 2, eval_every: 1, ..MnistConfig::new(Mlp::mnist(4, Activation::Tanh)) };
    let bad = |e: RrError| match e {
        RrError::BadInput(i) => {
            assert!(chain(&RrError::BadInput(i.clone()))[1].downcast_ref::<InputError>() == Some(&i));
            i
        }
        e => panic!("not bad input: {e:?}"),
    };
    let empty = digits.slice(0..0);
    let err = train(MnistMethod::Sgd, &c, &digits, &empty, |_| {}).unwrap_err();
    assert_eq!(bad(err.clone()), InputError::NoExamples { set: "test set" });
    assert_eq!(err.to_string(), "the test set holds no examples");
    let tiny = Dataset { x: vec![0.5; 20], labels: vec![1; 10], pixels: 2 };
    let err = train(MnistMethod::Sgd, &c, &tiny, &digits, |_| {}).unwrap_err();
    assert_eq!(bad(err), InputError::ImageSize { set: "training set", pixels: 2, expected: 784 });
    // The probe batch: none asked for, or a label the MLP has no class for.
    let none = MnistConfig { probe_batch: 0, ..c.clone() };
    assert_eq!(bad(check_ridge(&none, &digits, 0).unwrap_err()), InputError::NoExamples { set: "probe batch" });
    let mut eleven = digits.clone();
    eleven.labels[3] = 11;
    let err = check_ridge(&c, &eleven, 0).unwrap_err();
    let expected = InputError::LabelOutOfRange { set: "probe batch", index: 3, label: 11, classes: 10 };
    assert_eq!(bad(err.clone()), expected);
    assert_eq!(err.to_string(), "label 11 at row 3 of the probe batch is not below 10");
}

#[test]
fn file_errors_keep_the_io_error() {
    let err = read_npy(&temp("missing.npy")).unwrap_err();
    assert!(matches!(err, NpyError::Io(_)));
    assert_eq!(err.source().unwrap().downcast_ref::<std::io::Error>().unwrap().kind(), std::io::ErrorKind::NotFound);
    let err = parse_images("g", &[0x1f, 0x8b, 1, 2, 3]).unwrap_err();
    assert!(matches!(err, IdxError::Gzip { .. }));
    assert!(err.source().unwrap().downcast_ref::<std::io::Error>().is_some());
    assert!(err.to_string().starts_with("g: not valid gzip: "), "{err}");
    // An error with nothing beneath it has no source.
    let err = parse_images("m", &[0, 0, 8, 1, 0, 0, 0, 0]).unwrap_err();
    assert!(!matches!(err, IdxError::Io { .. } | IdxError::Gzip { .. }) && err.source().is_none(), "{err:?}");
}

#[test]
fn a_tree_of_a_depth_outside_1_to_30_is_a_typed_error() {
    assert_eq!(Tree::generate(0, 1).unwrap_err(), TreeError::Depth { depth: 0 });
    assert_eq!(Tree::generate(31, 1).unwrap_err(), TreeError::Depth { depth: 31 });
    assert_eq!(Tree::generate(31, 1).unwrap_err().to_string(), "tree depth 31 is not within 1–30");
    assert!(Tree::generate(30, 1).is_ok() && Tree::generate(1, 1).is_ok());
}
