//! One ride of a round in a file: what a shard of a distributed search writes for
//! each archive entry it rode, to be merged by [`finish_round`](crate::rr::finish_round)
//! elsewhere. It is bound to its search (the checkpoint's key) and its entry (the
//! entry's serial), and checksummed like a checkpoint; values are stored bit for bit.

use super::{checked, fnv1a, CheckpointError, Identity, RrError, R, W};
use crate::rr::follow::RideOutcome;
use crate::rr::ridges::{Choice, Ridge};
use crate::rr::RoundRide;

const MAGIC: &[u8; 8] = b"RRRIDE01";

/// Serialise the ride of entry `serial` of the search `id`.
///
/// ```
/// use ridge_rider::ad::{loss_fn, Var};
/// use ridge_rider::rr::checkpoint::{decode_ride, encode_ride, Identity};
/// use ridge_rider::rr::{next_round, ride_entry, start_search, RrParams};
/// let f = loss_fn(2, |t: Var| (t * t - 1.0).powi(2).sum() - 0.1 * t.at(0) * t.at(0));
/// let p = RrParams::default();
/// let mut state = start_search(&f, &[0.0, 0.0], &p).unwrap();
/// let round = next_round(&mut state, &p).unwrap();
/// let ride = ride_entry(&f, &round.entries[0], &p, round.budget);
/// let id = Identity { key: 7, dim: 2, shape: "wells".into() };
/// let bytes = encode_ride(&ride, round.entries[0].serial, &id);
/// let back = decode_ride(&bytes, round.entries[0].serial, &id).unwrap();
/// assert_eq!(back.outcome.theta, ride.outcome.theta);
/// assert!(decode_ride(&bytes, round.entries[0].serial + 1, &id).is_err());
/// ```
pub fn encode_ride(ride: &RoundRide, serial: u64, id: &Identity) -> Vec<u8> {
    let mut w = W(MAGIC.to_vec());
    w.u(id.key);
    w.u(serial);
    let o = &ride.outcome;
    w.fs(&o.theta);
    w.f(o.loss);
    w.fs(&o.direction);
    w.f(o.lambda);
    for x in [o.steps, o.evaluations, o.hvps] {
        w.u(x as u64);
    }
    w.reason(o.reason);
    w.u(ride.children.len() as u64);
    for c in &ride.children {
        w.fp(&[c.choice]);
        w.fs(&c.direction);
        w.f(c.lambda);
        w.u(c.group as u64);
        w.u(c.degenerate as u64);
        w.f(c.residual);
        w.u(c.converged as u64);
    }
    w.u(ride.solutions.len() as u64);
    ride.solutions.iter().for_each(|s| w.solution(s));
    w.u(ride.hvps as u64);
    w.u(ride.descent_steps as u64);
    let sum = fnv1a(&w.0);
    w.u(sum);
    w.0
}

/// Parse the ride of entry `serial` of the search `id`, refusing another search's or
/// another entry's ride, a wrong dimension, and any corruption.
pub fn decode_ride(bytes: &[u8], serial: u64, id: &Identity) -> Result<RoundRide, RrError> {
    Ok(decode(bytes, serial, id)?)
}

fn decode(bytes: &[u8], serial: u64, id: &Identity) -> Result<RoundRide, CheckpointError> {
    let mut r = checked(bytes, MAGIC, 32)?;
    let key = r.u()?;
    if key != id.key {
        return Err(CheckpointError::OtherSearch { key, expected: id.key });
    }
    if r.u()? != serial {
        return Err(R::bad());
    }
    let dim = id.dim;
    let (theta, loss, direction, lambda) = (r.vector("θ", dim)?, r.f()?, r.vector("direction", dim)?, r.f()?);
    let (steps, evaluations, hvps) = (r.u()? as usize, r.u()? as usize, r.u()? as usize);
    let outcome = RideOutcome { theta, loss, direction, lambda, steps, evaluations, hvps, reason: r.reason()? };
    let n = r.len()?;
    let mut children = Vec::with_capacity(n.min(1 << 12));
    for _ in 0..n {
        let choice: Choice = *r.fp()?.first().ok_or_else(R::bad)?;
        children.push(Ridge {
            choice,
            direction: r.vector("ridge", dim)?,
            lambda: r.f()?,
            group: r.u()? as usize,
            degenerate: r.u()? == 1,
            residual: r.f()?,
            converged: r.u()? == 1,
        });
    }
    let n = r.len()?;
    let solutions = (0..n).map(|_| r.solution(dim)).collect::<Result<_, _>>()?;
    Ok(RoundRide { outcome, children, solutions, hvps: r.u()? as usize, descent_steps: r.u()? as usize })
}
