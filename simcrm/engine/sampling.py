"""Random numbers: blocks, samplers and the Gaussian copula.

Randomness contract
-------------------
Draws come in fixed blocks of :data:`BLOCK` draws.  Block ``k`` takes its
numbers from child streams of ``SeedSequence(seed)`` with spawn key ``(k, ...)``,
exactly the ``k``-th child that ``SeedSequence(seed).spawn(...)`` gives.  A
computation chunk is a whole number of blocks, so the numbers depend on neither
the chunk size nor the number of workers or the scheduler.  Draw ``i`` is the
same whatever the total number of draws.

Within a block each purpose has its own stream (uncertain input ``j``, market
shocks, jump events, appeal events), so adding a world with jumps or an
uncertainty to a scenario leaves the other numbers of a pseudo-random run as
they were.  Latin hypercube sampling is stratified per block and per input;
scrambled Sobol' points are taken from one sequence by their global index.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field

import numpy as np
from scipy import special
from scipy.stats import qmc

BLOCK = 1024
"""Draws per random-number block (a power of two, so Sobol' blocks are balanced)."""

_INPUTS, _MARKET, _JUMP, _EVENT, _SOBOL = 0, 1, 2, 3, 2**32 - 1


def _stream(seed: int, *key: int) -> np.random.Generator:
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=key)))


def key_id(name: str) -> int:
    """Stable integer for a name (used in spawn keys)."""
    return zlib.crc32(name.encode())


@dataclass
class BlockDraws:
    """The random numbers of a range of draws.

    Attributes
    ----------
    u : ndarray, shape (draw, n_uncertain)
        Uniforms for the uncertain inputs, after the copula.
    z : ndarray, shape (draw, year, n_markets)
        Independent standard normals for the market shocks.
    jumps : dict
        ``(market, "crash"|"spike") -> ndarray (draw, year)`` of uniforms.
    appeal : ndarray, shape (draw,)
        Uniform for the permit-appeal event.
    events : dict
        ``name -> ndarray (draw,)`` of uniforms for the events of development
        (:data:`EVENTS`: a refusal of the permit, the market window closing); empty
        where a caller (a design, the base case) has none: then no such event happens.
    memo : dict
        What the worlds evaluated on these numbers share, filled by the first world
        that needs it (:func:`simcrm.engine.evaluate.world_draws`): the values of an
        input's distribution, the correlated shocks and market paths.  Keyed by
        content, so a world that changes an input recomputes what depends on it.  The
        arrays above must not change once it holds something.
    """

    u: np.ndarray
    z: np.ndarray
    jumps: dict
    appeal: np.ndarray
    events: dict = field(default_factory=dict)
    memo: dict = field(default_factory=dict, repr=False, compare=False)


EVENTS = ("refusal", "window")
"""Events of development, each with its own uniform per draw (and its own stream)."""


def sample_block(seed: int, block: int, keys: list[str], n_years: int, markets: tuple[str, ...],
                 jump_streams: list[tuple[str, str]], sampler: str = "random",
                 copula: np.ndarray | None = None, copula_idx: list[int] | None = None,
                 ) -> BlockDraws:
    """Random numbers of block ``block`` (draws ``block*BLOCK`` to ``(block+1)*BLOCK``).

    Parameters
    ----------
    seed : int
    block : int
    keys : list of str
        Names of the uncertain inputs (columns of ``u``).
    n_years : int
    markets : tuple of str
    jump_streams : list of (market, kind)
        Jump uniforms to draw (only those some world uses).
    sampler : {"random", "lhs", "sobol"}
    copula : ndarray, optional
        Lower Cholesky factor of the normal-score correlation of the inputs in
        ``copula_idx``.
    """
    return sample_blocks(seed, range(block, block + 1), keys, n_years, markets, jump_streams,
                         sampler, copula, copula_idx)


def sample_blocks(seed: int, blocks: range, keys: list[str], n_years: int,
                  markets: tuple[str, ...], jump_streams: list[tuple[str, str]],
                  sampler: str = "random", copula: np.ndarray | None = None,
                  copula_idx: list[int] | None = None) -> BlockDraws:
    """Random numbers of the consecutive blocks ``blocks``, one after the other.

    The same numbers as :func:`concat` of :func:`sample_block` of each block (the
    parameters are the same), drawn straight into the joined arrays: no copies.
    """
    n = len(blocks) * BLOCK
    out = BlockDraws(np.empty((n, len(keys))), np.empty((n, n_years, len(markets))),
                     {s: np.empty((n, n_years)) for s in jump_streams}, np.empty(n),
                     {e: np.empty(n) for e in EVENTS})
    for i, block in enumerate(blocks):
        rows = slice(i * BLOCK, (i + 1) * BLOCK)
        _fill_block(seed, block, keys, sampler, copula, copula_idx,
                    BlockDraws(out.u[rows], out.z[rows], {s: v[rows] for s, v in out.jumps.items()},
                               out.appeal[rows], {e: v[rows] for e, v in out.events.items()}))
    return out


def _fill_block(seed: int, block: int, keys: list[str], sampler: str,
                copula: np.ndarray | None, copula_idx: list[int] | None,
                out: BlockDraws) -> None:
    """Draw the numbers of block ``block`` into ``out`` (views of :data:`BLOCK` draws), in
    place; the parameters are those of :func:`sample_block`."""
    d = len(keys)
    u = out.u
    if sampler == "sobol" and d:
        eng = qmc.Sobol(d, scramble=True, rng=_stream(seed, _SOBOL))
        if block:
            eng.fast_forward(block * BLOCK)
        u[:] = eng.random(BLOCK)
    else:
        for j, k in enumerate(keys):
            g = _stream(seed, block, _INPUTS, key_id(k))
            if sampler == "lhs":
                u[:, j] = (g.permutation(BLOCK) + g.random(BLOCK)) / BLOCK
            else:
                u[:, j] = g.random(BLOCK)
    # keep uniforms strictly inside (0, 1) for the inverse CDFs
    np.clip(u, 1e-12, 1 - 1e-12, out=u)
    if copula is not None and copula_idx:
        zs = special.ndtri(u[:, copula_idx]) @ copula.T
        u[:, copula_idx] = special.ndtr(zs)
    _stream(seed, block, _MARKET).standard_normal(out=out.z)
    for (m, kind), v in out.jumps.items():
        _stream(seed, block, _JUMP, key_id(m), key_id(kind)).random(out=v)
    _stream(seed, block, _EVENT).random(out=out.appeal)
    # each event its own child stream, so the numbers drawn before these existed are unchanged
    for e, v in out.events.items():
        _stream(seed, block, _EVENT, key_id(e)).random(out=v)


def concat(blocks: list[BlockDraws], n: int) -> BlockDraws:
    """Join blocks and keep the first ``n`` draws."""
    return BlockDraws(
        u=np.concatenate([b.u for b in blocks])[:n],
        z=np.concatenate([b.z for b in blocks])[:n],
        jumps={k: np.concatenate([b.jumps[k] for b in blocks])[:n] for k in blocks[0].jumps},
        appeal=np.concatenate([b.appeal for b in blocks])[:n],
        events={k: np.concatenate([b.events[k] for b in blocks])[:n] for k in blocks[0].events},
    )
