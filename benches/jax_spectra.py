#!/usr/bin/env python3
"""PyHessian-style Hessian analysis in JAX, to time `ridge-rider spectrum --trace --density`
against: the same MLP (784 -> 128 -> 10, tanh, mean softmax cross-entropy, flat [W1, b1, W2, b2]),
the same first --batch embedded digits (pixels / 255), the same theta (a row of a .npy, e.g. the
ride `ridge-rider mnist --save-ride` writes), and the same number of HVPs: Hutch++ with
--trace-products products, then SLQ with --starts x --steps products (full reorthogonalisation,
Rademacher starts, weights = squared first components of the Ritz vectors). Each HVP is one call of
the map jax.linearize(jax.grad(loss), theta) returns, jitted, from a Python loop as PyHessian does.
Prints one JSON object.

Run (with the anchors' virtualenv, which has jax and numpy):
  ~/.cache/ridge-rider-anchors-venv/bin/python benches/jax_spectra.py \
      --mnist ../shared/data/mnist --params ride.npy --row 0
"""
import argparse, gzip, json, os, time
os.environ.setdefault("JAX_PLATFORMS", "cpu")
import numpy as np
import jax, jax.numpy as jnp
jax.config.update("jax_enable_x64", True)

D, C = 784, 10

def load(d, b):
    with gzip.open(os.path.join(d, "mnist10k-images-idx3-ubyte.gz")) as f: img = np.frombuffer(f.read(), np.uint8, offset=16)
    with gzip.open(os.path.join(d, "mnist10k-labels-idx1-ubyte.gz")) as f: lab = np.frombuffer(f.read(), np.uint8, offset=8)
    return img.reshape(-1, D)[:b] / 255.0, lab[:b].astype(np.int64)

def make_loss(X, Y, H):
    def loss(t):
        W1 = t[:D * H].reshape(D, H); o = D * H; b1 = t[o:o + H]; o += H
        W2 = t[o:o + H * C].reshape(H, C); o += H * C; b2 = t[o:o + C]
        z = jnp.tanh(X @ W1 + b1) @ W2 + b2
        return jnp.mean(jax.nn.logsumexp(z, axis=1) - jnp.take_along_axis(z, Y[:, None], 1)[:, 0])
    return loss

def hutch_pp(hvp, n, m, rng):
    k = m // 3
    S = rng.choice([-1.0, 1.0], size=(n, k))
    Q, _ = np.linalg.qr(np.stack([hvp(S[:, j]) for j in range(k)], 1))
    t1 = sum(Q[:, j] @ hvp(Q[:, j]) for j in range(k))
    G = rng.choice([-1.0, 1.0], size=(n, k)); G -= Q @ (Q.T @ G)
    t2 = [G[:, j] @ hvp(G[:, j]) for j in range(k)]
    return t1 + float(np.mean(t2))

def slq(hvp, n, starts, steps, rng):
    out = []
    for _ in range(starts):
        v = rng.choice([-1.0, 1.0], size=n); v /= np.linalg.norm(v)
        V, a, b = [v], [], []
        for i in range(steps):
            w = hvp(V[-1]); a.append(w @ V[-1])
            for u in V: w -= (w @ u) * u          # full reorthogonalisation
            beta = np.linalg.norm(w)
            if i + 1 == steps or beta < 1e-10: break
            b.append(beta); V.append(w / beta)
        T = np.diag(a) + np.diag(b, 1) + np.diag(b, -1)
        nodes, vecs = np.linalg.eigh(T)
        out.append((nodes, vecs[0] ** 2))
    return out

def main():
    p = argparse.ArgumentParser()
    p.add_argument("--mnist", required=True); p.add_argument("--params", required=True)
    p.add_argument("--row", type=int, default=-1); p.add_argument("--batch", type=int, default=2236)
    p.add_argument("--hidden", type=int, default=128); p.add_argument("--trace-products", type=int, default=90)
    p.add_argument("--starts", type=int, default=10); p.add_argument("--steps", type=int, default=40)
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args()
    theta = np.load(a.params); theta = theta[a.row] if theta.ndim == 2 else theta
    X, Y = load(a.mnist, a.batch); n = theta.size
    loss = make_loss(jnp.asarray(X), jnp.asarray(Y), a.hidden)
    t0 = time.perf_counter()
    _, lin = jax.linearize(jax.grad(loss), jnp.asarray(theta)); lin = jax.jit(lin)
    hvp = lambda v: np.array(lin(jnp.asarray(v)))
    hvp(np.ones(n))  # compile
    setup = time.perf_counter() - t0
    rng = np.random.default_rng(a.seed)
    t0 = time.perf_counter(); trace = hutch_pp(hvp, n, a.trace_products // 3 * 3, rng); t_trace = time.perf_counter() - t0
    t0 = time.perf_counter(); qs = slq(hvp, n, a.starts, a.steps, rng); t_slq = time.perf_counter() - t0
    neg_mass = float(np.mean([n * w[x < 0] @ x[x < 0] for x, w in qs]))
    neg_frac = float(np.mean([w[x < 0].sum() for x, w in qs]))
    print(json.dumps({"jax": jax.__version__, "n": n, "row": a.row, "setup_seconds": setup,
        "trace": {"estimate": trace, "hvps": a.trace_products // 3 * 3, "seconds": t_trace},
        "density": {"negative_mass": neg_mass, "negative_fraction": neg_frac,
                    "hvps": sum(len(x) for x, _ in qs), "seconds": t_slq}}, indent=1))

if __name__ == "__main__":
    main()
