"""Contraction hierarchy (CH) for exact many-to-many travel time and length.

Why one module of this size: the numba kernels (contraction, witness search, bucket queries) share heap and adjacency helpers that must be compiled together.

The road graph's edges carry one exact integer weight each: whole milliseconds
in the high 32 bits and whole centimetres in the low 32 bits of an int64
(:func:`packed_edge_weights`). Integer sums are exact, so the shortest packed
distance is the fastest route at 1 ms resolution with ties broken by length,
and its low bits are the length along that route -- the same objective as the
plain Dijkstra engine in :mod:`~countylink.accessibility.road.travel_time`,
answered to the bit.

Preparation contracts the nodes one by one, least important first, adding a
shortcut ``u → w`` whenever the path ``u → v → w`` through the contracted node
``v`` may be the only shortest one (a bounded local "witness" Dijkstra looks
for another). A bounded witness search only adds superfluous shortcuts, never
drops a needed one, so the hierarchy is exact for any node ordering; the
ordering only decides its size and speed. Two ways to prepare:

* :func:`compute_ordering` -- greedy ordering by edge difference (shortcuts
  added minus edges removed) plus contracted neighbours and level, with lazy
  updates, contracting as it goes; about 60-65 % of the preparation (CPU from
  scratch vs with a stored ordering: 0.14 s vs 0.05 s on Helsinki all roads,
  0.68 s vs 0.28 s on Liechtenstein). Compute it once when the network is
  built and keep it (:func:`attach_ordering`; :func:`save_ordering` /
  :func:`load_ordering`, an ``.npz`` of node ids beside the graph);
* :func:`contract` with ``ordering=`` -- contracts in a given order: only the
  witness searches, no priority bookkeeping. The ordering stays valid when
  the weights change (speed scenarios); only its quality may drift.

Queries are many-to-many with buckets (Knopp et al. 2007): an upward backward
search from every target leaves ``(target, distance)`` entries in the buckets
of the nodes it settles; an upward forward search from every source scans the
buckets of the nodes it settles. Both searches use stall-on-demand. All loops
are compiled with numba (``cache=True``): the first use in a fresh cache
compiles for about 15 s (measured on a loaded 2-core machine: 12 s for the
contraction, 3 s for the queries); later processes load the machine code in
about 0.3 s. The cache lives in ``__pycache__`` beside this file, or in
``NUMBA_CACHE_DIR``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from numba import njit

from countylink.errors import DataError, NotFoundError

if TYPE_CHECKING:
    import networkx as nx

    from countylink.accessibility.road.travel_time import RoutingNetwork

#: Unreachable marker in packed distances.
INF = np.int64(2**62)
_LEN_SHIFT = 32
_LEN_MASK = np.int64(2**32 - 1)
# settled-node limits of the witness searches: small while estimating priorities, larger when
# contracting (fewer superfluous shortcuts); any limit keeps the hierarchy exact
_SIM_LIMIT = 60
_CONTRACT_LIMIT = 400


def packed_edge_weights(edge_times: np.ndarray, edge_lengths: np.ndarray) -> np.ndarray:
    """Exact int64 edge weights: milliseconds in the high bits, centimetres in the low 32 bits.

    Zero weights become 1 (one centimetre), like the plain Dijkstra engine's packing.

    Raises
    ------
    DataError
        If a time or length is negative, not finite, or too large for its field.
    """
    t = np.asarray(edge_times, dtype=float)
    length = np.asarray(edge_lengths, dtype=float)
    if not (np.all(np.isfinite(t)) and np.all(np.isfinite(length))) or np.any(t < 0) or np.any(length < 0):
        raise DataError("edge times and lengths must be finite and non-negative")
    ms = np.round(t * 1000.0).astype(np.int64)
    cm = np.round(length * 100.0).astype(np.int64)
    if ms.size and (ms.max() >= 2**28 or cm.max() >= 2**31):
        raise DataError("an edge is longer than 74 hours or 21,000 km; the packed weights cannot hold it")
    return np.maximum((ms << _LEN_SHIFT) | cm, 1)


def unpack(packed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Seconds and metres of packed distances; :data:`INF` gives NaN."""
    packed = np.ascontiguousarray(packed, dtype=np.int64)
    time_s = np.empty(packed.shape)
    dist_m = np.empty(packed.shape)
    _unpack_into(packed.reshape(-1), time_s.reshape(-1), dist_m.reshape(-1))
    return time_s, dist_m


@njit(cache=True)
def _unpack_into(packed, time_s, dist_m):
    # same float operations as the Dijkstra engine's decoding (ms / 1000, cm * 0.01)
    for i in range(packed.shape[0]):
        p = packed[i]
        if p >= INF:
            time_s[i] = np.nan
            dist_m[i] = np.nan
        else:
            time_s[i] = np.float64(p >> 32) / 1000.0
            dist_m[i] = np.float64(p & 0xFFFFFFFF) * 0.01


# --------------------------------------------------------------------------- indexed binary heap
# pos[node]: -1 never reached, >= 0 slot in the heap, -2 popped. Keys are int64.


@njit(cache=True)
def _heap_push(hk, hn, pos, size, node, key):
    i = pos[node]
    if i < 0:
        i = size
        size += 1
        hn[i] = node
        hk[i] = key
        pos[node] = i
    elif key < hk[i]:
        hk[i] = key
    else:
        return size
    while i > 0:
        p = (i - 1) >> 1
        if hk[p] <= hk[i]:
            break
        hk[p], hk[i] = hk[i], hk[p]
        hn[p], hn[i] = hn[i], hn[p]
        pos[hn[p]] = p
        pos[hn[i]] = i
        i = p
    return size


@njit(cache=True)
def _heap_pop(hk, hn, pos, size):
    node = hn[0]
    key = hk[0]
    pos[node] = -2
    size -= 1
    if size > 0:
        hk[0] = hk[size]
        hn[0] = hn[size]
        pos[hn[0]] = 0
        i = 0
        while True:
            c = 2 * i + 1
            if c >= size:
                break
            if c + 1 < size and hk[c + 1] < hk[c]:
                c += 1
            if hk[c] >= hk[i]:
                break
            hk[c], hk[i] = hk[i], hk[c]
            hn[c], hn[i] = hn[i], hn[c]
            pos[hn[c]] = c
            pos[hn[i]] = i
            i = c
    return node, key, size


# --------------------------------------------------------------------------- dynamic adjacency
# Every node has two lists in one pool: k = 2*v (out-edges) and k = 2*v + 1 (in-edges),
# each a slice start[k] : start[k] + size[k] of (pnode, pw) with capacity cap[k].


@njit(cache=True)
def _append(k, node, wt, start, size, cap, pnode, pw, end):
    if size[k] == cap[k]:
        newcap = max(4, 2 * cap[k])
        if end + newcap > pnode.shape[0]:
            newlen = max(2 * pnode.shape[0], end + newcap)
            pn2 = np.empty(newlen, np.int64)
            pw2 = np.empty(newlen, np.int64)
            pn2[:end] = pnode[:end]
            pw2[:end] = pw[:end]
            pnode, pw = pn2, pw2
        s0 = start[k]
        for i in range(size[k]):
            pnode[end + i] = pnode[s0 + i]
            pw[end + i] = pw[s0 + i]
        start[k] = end
        cap[k] = newcap
        end += newcap
    pnode[start[k] + size[k]] = node
    pw[start[k] + size[k]] = wt
    size[k] += 1
    return pnode, pw, end


@njit(cache=True)
def _remove(k, node, start, size, pnode, pw):
    s0 = start[k]
    for i in range(s0, s0 + size[k]):
        if pnode[i] == node:
            last = s0 + size[k] - 1
            pnode[i] = pnode[last]
            pw[i] = pw[last]
            size[k] -= 1
            return


@njit(cache=True)
def _witness(src, skip, bound, limit, start, size, pnode, pw, dist, hk, hn, pos, touched):
    """Bounded Dijkstra from ``src`` avoiding ``skip``; returns how many nodes it touched."""
    nt = 0
    dist[src] = 0
    touched[nt] = src
    nt += 1
    hsize = _heap_push(hk, hn, pos, 0, src, np.int64(0))
    settled = 0
    while hsize > 0:
        x, d, hsize = _heap_pop(hk, hn, pos, hsize)
        if d > bound:
            break
        settled += 1
        if settled > limit:
            break
        k = 2 * x
        for e in range(start[k], start[k] + size[k]):
            y = pnode[e]
            if y == skip:
                continue
            nd = d + pw[e]
            if nd < dist[y]:
                if dist[y] == INF:
                    touched[nt] = y
                    nt += 1
                dist[y] = nd
                hsize = _heap_push(hk, hn, pos, hsize, y, nd)
    return nt


@njit(cache=True)
def _reset(nt, touched, dist, pos):
    for i in range(nt):
        dist[touched[i]] = INF
        pos[touched[i]] = -1


@njit(cache=True)
def _shortcuts(v, limit, start, size, pnode, pw, dist, hk, hn, pos, touched, out_u, out_w, out_s):
    """Shortcuts needed to contract ``v`` (written to out_*); returns their count."""
    kin = 2 * v + 1
    kout = 2 * v
    maxout = np.int64(0)
    for e in range(start[kout], start[kout] + size[kout]):
        if pw[e] > maxout:
            maxout = pw[e]
    count = 0
    for ei in range(start[kin], start[kin] + size[kin]):
        u = pnode[ei]
        a = pw[ei]
        nt = _witness(u, v, a + maxout, limit, start, size, pnode, pw, dist, hk, hn, pos, touched)
        for eo in range(start[kout], start[kout] + size[kout]):
            w = pnode[eo]
            if w == u:
                continue
            s = a + pw[eo]
            if dist[w] > s:
                if count < out_u.shape[0]:
                    out_u[count] = u
                    out_w[count] = w
                    out_s[count] = s
                count += 1
        _reset(nt, touched, dist, pos)
    return count


@njit(cache=True)
def _contract(n, tail, head, weight, order, compute_order):
    """Contract all nodes; returns (rank, fwd CSR, bwd CSR) in rank space and the order used."""
    m = tail.shape[0]
    deg = np.zeros(2 * n, np.int64)
    for i in range(m):
        deg[2 * tail[i]] += 1
        deg[2 * head[i] + 1] += 1
    start = np.empty(2 * n, np.int64)
    cap = deg + 2
    size = np.zeros(2 * n, np.int64)
    end = 0
    for k in range(2 * n):
        start[k] = end
        end += cap[k]
    pnode = np.empty(2 * end, np.int64)
    pw = np.empty(2 * end, np.int64)
    for i in range(m):
        k = 2 * tail[i]
        pnode[start[k] + size[k]] = head[i]
        pw[start[k] + size[k]] = weight[i]
        size[k] += 1
        k = 2 * head[i] + 1
        pnode[start[k] + size[k]] = tail[i]
        pw[start[k] + size[k]] = weight[i]
        size[k] += 1

    dist = np.full(n, INF, np.int64)
    pos = np.full(n, -1, np.int64)
    hk = np.empty(n, np.int64)
    hn = np.empty(n, np.int64)
    touched = np.empty(n, np.int64)
    buf = 64
    su = np.empty(buf, np.int64)
    sw = np.empty(buf, np.int64)
    ss = np.empty(buf, np.int64)

    contracted = np.zeros(n, np.bool_)
    deleted = np.zeros(n, np.int64)
    level = np.zeros(n, np.int64)
    # the priority queue over nodes has its own indexed heap
    qk = np.empty(n, np.int64)
    qn = np.empty(n, np.int64)
    qpos = np.full(n, -1, np.int64)
    qsize = 0
    if compute_order:
        for v in range(n):
            c = _shortcuts(v, _SIM_LIMIT, start, size, pnode, pw, dist, hk, hn, pos, touched, su, sw, ss)
            prio = 4 * (c - size[2 * v] - size[2 * v + 1])
            qsize = _heap_push(qk, qn, qpos, qsize, v, np.int64(prio))
        order = np.empty(n, np.int64)

    # search graph in contraction order (converted to rank space at the end)
    up_cap = 2 * m + 16
    f_head = np.empty(up_cap, np.int64)
    f_w = np.empty(up_cap, np.int64)
    b_head = np.empty(up_cap, np.int64)
    b_w = np.empty(up_cap, np.int64)
    f_off = np.zeros(n + 1, np.int64)
    b_off = np.zeros(n + 1, np.int64)
    nf = 0
    nb = 0

    for step in range(n):
        if compute_order:
            while True:
                v, _, qsize = _heap_pop(qk, qn, qpos, qsize)
                c = _shortcuts(v, _SIM_LIMIT, start, size, pnode, pw, dist, hk, hn, pos, touched, su, sw, ss)
                prio = 4 * (c - size[2 * v] - size[2 * v + 1]) + 2 * deleted[v] + level[v]
                if qsize == 0 or prio <= qk[0]:
                    break
                qpos[v] = -1
                qsize = _heap_push(qk, qn, qpos, qsize, v, np.int64(prio))
            order[step] = v
        else:
            v = order[step]
        # shortcuts with the full witness limit, growing the buffer when needed
        while True:
            c = _shortcuts(v, _CONTRACT_LIMIT, start, size, pnode, pw, dist, hk, hn, pos, touched, su, sw, ss)
            if c <= su.shape[0]:
                break
            buf = 2 * c
            su = np.empty(buf, np.int64)
            sw = np.empty(buf, np.int64)
            ss = np.empty(buf, np.int64)
        # the remaining edges of v are its upward edges in the hierarchy
        kout = 2 * v
        kin = 2 * v + 1
        need = max(nf + size[kout], nb + size[kin])
        if need > f_head.shape[0]:
            grow = max(2 * f_head.shape[0], need)
            f2 = np.empty(grow, np.int64)
            f2[:nf] = f_head[:nf]
            f_head = f2
            f2 = np.empty(grow, np.int64)
            f2[:nf] = f_w[:nf]
            f_w = f2
            b2 = np.empty(grow, np.int64)
            b2[:nb] = b_head[:nb]
            b_head = b2
            b2 = np.empty(grow, np.int64)
            b2[:nb] = b_w[:nb]
            b_w = b2
        for e in range(start[kout], start[kout] + size[kout]):
            f_head[nf] = pnode[e]
            f_w[nf] = pw[e]
            nf += 1
            _remove(2 * pnode[e] + 1, v, start, size, pnode, pw)
        for e in range(start[kin], start[kin] + size[kin]):
            b_head[nb] = pnode[e]
            b_w[nb] = pw[e]
            nb += 1
            _remove(2 * pnode[e], v, start, size, pnode, pw)
        f_off[step + 1] = nf
        b_off[step + 1] = nb
        for e in range(start[kout], start[kout] + size[kout]):
            x = pnode[e]
            deleted[x] += 1
            level[x] = max(level[x], level[v] + 1)
        for e in range(start[kin], start[kin] + size[kin]):
            x = pnode[e]
            deleted[x] += 1
            level[x] = max(level[x], level[v] + 1)
        size[kout] = 0
        size[kin] = 0
        contracted[v] = True
        for i in range(c):
            u = su[i]
            w = sw[i]
            s = ss[i]
            ku = 2 * u
            found = False
            for e in range(start[ku], start[ku] + size[ku]):
                if pnode[e] == w:
                    found = True
                    if s < pw[e]:
                        pw[e] = s
                        kw = 2 * w + 1
                        for e2 in range(start[kw], start[kw] + size[kw]):
                            if pnode[e2] == u:
                                pw[e2] = s
                                break
                    break
            if not found:
                pnode, pw, end = _append(ku, w, s, start, size, cap, pnode, pw, end)
                pnode, pw, end = _append(2 * w + 1, u, s, start, size, cap, pnode, pw, end)

    rank = np.empty(n, np.int64)
    for i in range(n):
        rank[order[i]] = i
    f_head = f_head[:nf].copy()
    b_head = b_head[:nb].copy()
    for i in range(nf):
        f_head[i] = rank[f_head[i]]
    for i in range(nb):
        b_head[i] = rank[b_head[i]]
    return order, rank, f_off, f_head, f_w[:nf].copy(), b_off, b_head, b_w[:nb].copy()


# --------------------------------------------------------------------------- queries (rank space)


@njit(cache=True)
def _upward(src, off, head, wt, s_off, s_head, s_wt, dist, hk, hn, pos, touched, out_node, out_dist):
    """Upward search with stall-on-demand; settled (node, dist) into out_*; returns (count, touched)."""
    nt = 0
    dist[src] = 0
    touched[0] = src
    nt = 1
    hsize = _heap_push(hk, hn, pos, 0, src, np.int64(0))
    cnt = 0
    while hsize > 0:
        x, d, hsize = _heap_pop(hk, hn, pos, hsize)
        # stalled if a higher node reaches x faster from the other direction's edges
        stalled = False
        for e in range(s_off[x], s_off[x + 1]):
            y = s_head[e]
            if dist[y] < INF and dist[y] + s_wt[e] < d:
                stalled = True
                break
        if stalled:
            continue
        out_node[cnt] = x
        out_dist[cnt] = d
        cnt += 1
        for e in range(off[x], off[x + 1]):
            y = head[e]
            nd = d + wt[e]
            if nd < dist[y]:
                if dist[y] == INF:
                    touched[nt] = y
                    nt += 1
                dist[y] = nd
                hsize = _heap_push(hk, hn, pos, hsize, y, nd)
    return cnt, nt


@njit(cache=True)
def _many_to_many(src, tgt, f_off, f_head, f_w, b_off, b_head, b_w):
    n = f_off.shape[0] - 1
    dist = np.full(n, INF, np.int64)
    pos = np.full(n, -1, np.int64)
    hk = np.empty(n, np.int64)
    hn = np.empty(n, np.int64)
    touched = np.empty(n, np.int64)
    sn = np.empty(n, np.int64)
    sd = np.empty(n, np.int64)
    # backward searches fill the buckets
    cap = 64 * tgt.shape[0] + 16
    e_node = np.empty(cap, np.int64)
    e_tgt = np.empty(cap, np.int64)
    e_d = np.empty(cap, np.int64)
    ne = 0
    for j in range(tgt.shape[0]):
        cnt, nt = _upward(tgt[j], b_off, b_head, b_w, f_off, f_head, f_w, dist, hk, hn, pos, touched, sn, sd)
        _reset(nt, touched, dist, pos)
        if ne + cnt > cap:
            cap = max(2 * cap, ne + cnt)
            a = np.empty(cap, np.int64)
            a[:ne] = e_node[:ne]
            e_node = a
            a = np.empty(cap, np.int64)
            a[:ne] = e_tgt[:ne]
            e_tgt = a
            a = np.empty(cap, np.int64)
            a[:ne] = e_d[:ne]
            e_d = a
        for i in range(cnt):
            e_node[ne] = sn[i]
            e_tgt[ne] = j
            e_d[ne] = sd[i]
            ne += 1
    bucket_off = np.zeros(n + 1, np.int64)
    for i in range(ne):
        bucket_off[e_node[i] + 1] += 1
    for i in range(n):
        bucket_off[i + 1] += bucket_off[i]
    fill = bucket_off[:-1].copy()
    bt = np.empty(ne, np.int64)
    bd = np.empty(ne, np.int64)
    for i in range(ne):
        p = fill[e_node[i]]
        bt[p] = e_tgt[i]
        bd[p] = e_d[i]
        fill[e_node[i]] += 1
    out = np.full((src.shape[0], tgt.shape[0]), INF, np.int64)
    for i in range(src.shape[0]):
        row = out[i]
        cnt, nt = _upward(src[i], f_off, f_head, f_w, b_off, b_head, b_w, dist, hk, hn, pos, touched, sn, sd)
        _reset(nt, touched, dist, pos)
        for k in range(cnt):
            x = sn[k]
            d = sd[k]
            for p in range(bucket_off[x], bucket_off[x + 1]):
                nd = d + bd[p]
                if nd < row[bt[p]]:
                    row[bt[p]] = nd
    return out


@njit(cache=True)
def _pairwise(src, tgt, f_off, f_head, f_w, b_off, b_head, b_w):
    n = f_off.shape[0] - 1
    dist = np.full(n, INF, np.int64)
    pos = np.full(n, -1, np.int64)
    hk = np.empty(n, np.int64)
    hn = np.empty(n, np.int64)
    touched = np.empty(n, np.int64)
    sn = np.empty(n, np.int64)
    sd = np.empty(n, np.int64)
    mark = np.full(n, INF, np.int64)
    bn = np.empty(n, np.int64)
    out = np.full(src.shape[0], INF, np.int64)
    for i in range(src.shape[0]):
        cnt_b, nt = _upward(tgt[i], b_off, b_head, b_w, f_off, f_head, f_w, dist, hk, hn, pos, touched, sn, sd)
        _reset(nt, touched, dist, pos)
        for k in range(cnt_b):
            mark[sn[k]] = sd[k]
            bn[k] = sn[k]
        cnt, nt = _upward(src[i], f_off, f_head, f_w, b_off, b_head, b_w, dist, hk, hn, pos, touched, sn, sd)
        _reset(nt, touched, dist, pos)
        best = INF
        for k in range(cnt):
            m = mark[sn[k]]
            if m < INF and sd[k] + m < best:
                best = sd[k] + m
        out[i] = best
        for k in range(cnt_b):
            mark[bn[k]] = INF
    return out


@njit(cache=True)
def _matrix_block(packed, inv_s, inv_d, o_snap, d_snap, speed, block):
    """Fill a travel-time result block in one pass; returns the number of unreachable pairs.

    ``block`` is ``(3, len(o_snap) * len(d_snap))``: time with access legs, length with
    snap distances, snap distance, origins major. ``inv_s``/``inv_d`` map each point
    to its row/column of ``packed`` (-1: not snapped). The float operations are those
    of :mod:`~countylink.accessibility.road.travel_time` so both give the same bits.
    """
    n_d = d_snap.shape[0]
    unreachable = 0
    for i in range(o_snap.shape[0]):
        row = inv_s[i]
        for j in range(n_d):
            k = i * n_d + j
            snap = o_snap[i] + d_snap[j]
            t = np.nan
            d = np.nan
            col = inv_d[j]
            if row >= 0 and col >= 0:
                p = packed[row, col]
                if p >= INF:
                    unreachable += 1
                else:
                    t = np.float64(p >> 32) / 1000.0
                    d = np.float64(p & 0xFFFFFFFF) * 0.01
            block[0, k] = t + snap / speed
            block[1, k] = d + snap
            block[2, k] = snap
    return unreachable


# --------------------------------------------------------------------------- public API


@dataclass
class ContractionHierarchy:
    """Upward search graphs of a contracted road network, in rank space.

    ``rank[i]`` is the contraction position of node index ``i``; ``f_*`` are the
    upward out-edges (CSR by rank), ``b_*`` the upward in-edges reversed; weights
    are packed (see :func:`packed_edge_weights`).
    """

    rank: np.ndarray
    f_off: np.ndarray
    f_head: np.ndarray
    f_w: np.ndarray
    b_off: np.ndarray
    b_head: np.ndarray
    b_w: np.ndarray

    @property
    def n(self) -> int:
        return len(self.rank)

    @property
    def edge_count(self) -> int:
        """Upward edges (original plus shortcuts) in both search graphs."""
        return len(self.f_head) + len(self.b_head)

    def many_to_many(self, sources: np.ndarray, targets: np.ndarray) -> np.ndarray:
        """Packed shortest distances, shape ``(len(sources), len(targets))``; :data:`INF` if unreachable.

        ``sources`` and ``targets`` are node indices of the network (not ranks).
        """
        src = self.rank[np.asarray(sources, dtype=np.int64)]
        tgt = self.rank[np.asarray(targets, dtype=np.int64)]
        return _many_to_many(src, tgt, self.f_off, self.f_head, self.f_w, self.b_off, self.b_head, self.b_w)

    def result_block(
        self,
        o_node: np.ndarray,
        d_node: np.ndarray,
        o_snap: np.ndarray,
        d_snap: np.ndarray,
        *,
        speed: float,
    ) -> tuple[np.ndarray, int]:
        """Travel-time matrix block straight from the many-to-many distances (see :func:`_matrix_block`).

        ``o_node``/``d_node`` are snapped node indices (-1: not snapped). Returns the
        ``(3, len(o_node) * len(d_node))`` block and the number of unreachable pairs.
        """
        ok_s, ok_d = o_node >= 0, d_node >= 0
        sources, inv_s = np.unique(o_node[ok_s], return_inverse=True)
        targets, inv_d = np.unique(d_node[ok_d], return_inverse=True)
        row = np.full(len(o_node), -1, dtype=np.int64)
        col = np.full(len(d_node), -1, dtype=np.int64)
        row[ok_s], col[ok_d] = inv_s, inv_d
        if len(sources) and len(targets):
            packed = self.many_to_many(sources, targets)
        else:
            packed = np.full((1, 1), INF, dtype=np.int64)
        block = np.empty((3, len(o_node) * len(d_node)))
        o_snap = np.ascontiguousarray(o_snap, dtype=float)
        d_snap = np.ascontiguousarray(d_snap, dtype=float)
        unreachable = _matrix_block(packed, row, col, o_snap, d_snap, float(speed), block)
        return block, int(unreachable)

    def pairwise(self, sources: np.ndarray, targets: np.ndarray) -> np.ndarray:
        """Packed shortest distance of each pair ``sources[i] → targets[i]``; :data:`INF` if unreachable."""
        src = self.rank[np.asarray(sources, dtype=np.int64)]
        tgt = self.rank[np.asarray(targets, dtype=np.int64)]
        return _pairwise(src, tgt, self.f_off, self.f_head, self.f_w, self.b_off, self.b_head, self.b_w)


def _edge_arrays(network: RoutingNetwork) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    tail, head = np.divmod(network.edge_keys.astype(np.int64), network.n)
    weight = packed_edge_weights(network.edge_times, network.edge_lengths)
    keep = tail != head  # self-loops never shorten a route
    return tail[keep], head[keep], weight[keep]


def _ordering_indices(network: RoutingNetwork, ordering: np.ndarray) -> np.ndarray:
    """Node indices in contraction order from an ordering given as node ids."""
    ordering = np.asarray(ordering)
    if len(ordering) != network.n:
        raise DataError(f"the node ordering has {len(ordering)} nodes but the network has {network.n}")
    index = {node: i for i, node in enumerate(network.node_ids.tolist())}
    try:
        idx = np.fromiter((index[node] for node in ordering.tolist()), dtype=np.int64, count=len(ordering))
    except KeyError as exc:
        raise DataError(f"the node ordering names node {exc.args[0]!r}, which is not in the network") from exc
    if len(np.unique(idx)) != network.n:
        raise DataError("the node ordering repeats nodes; compute it again with compute_ordering")
    return idx


def contract(network: RoutingNetwork, *, ordering: np.ndarray | None = None) -> ContractionHierarchy:
    """Build the contraction hierarchy of a prepared network.

    Parameters
    ----------
    network
        A :class:`~countylink.accessibility.road.travel_time.RoutingNetwork`.
    ordering
        Node ids in contraction order (from :func:`compute_ordering` or
        :func:`load_ordering`); ``None`` computes the ordering while contracting.

    Returns
    -------
    ContractionHierarchy
    """
    tail, head, weight = _edge_arrays(network)
    if ordering is None:
        order = np.empty(0, np.int64)
        _, rank, *graphs = _contract(network.n, tail, head, weight, order, True)
    else:
        order = _ordering_indices(network, ordering)
        _, rank, *graphs = _contract(network.n, tail, head, weight, order, False)
    return ContractionHierarchy(rank, *graphs)


def compute_ordering(network: RoutingNetwork) -> np.ndarray:
    """Node ids of ``network`` in contraction order (greedy edge difference, lazy updates).

    The ordering depends only on the graph's structure and weights at the time;
    it stays valid (exact results) for any later weights.
    """
    tail, head, weight = _edge_arrays(network)
    order, *_ = _contract(network.n, tail, head, weight, np.empty(0, np.int64), True)
    return network.node_ids[order]


def attach_ordering(graph: nx.MultiDiGraph) -> nx.MultiDiGraph:
    """Compute the node ordering of an OSMnx-style graph and keep it in ``graph.graph["ch_ordering"]``.

    Call it once when the network is built: :func:`~countylink.accessibility.road.network.save_road_network`
    stores it beside the GraphML, :func:`~countylink.accessibility.road.network.load_road_network`
    reads it back, and :func:`~countylink.accessibility.road.travel_time.prepare_network` uses it.
    Returns the same graph.
    """
    from countylink.accessibility.road.travel_time import prepare_network

    graph.graph.pop("ch_ordering", None)
    graph.graph["ch_ordering"] = compute_ordering(prepare_network(graph))
    return graph


def ordering_path(graph_path: str | os.PathLike) -> Path:
    """Where the ordering of the graph saved at ``graph_path`` is kept: ``<name>.ch.npz`` beside it."""
    p = Path(graph_path).expanduser()
    return p.with_name(p.name + ".ch.npz")


def save_ordering(ordering: np.ndarray, path: str | os.PathLike) -> Path:
    """Write a node ordering (node ids in contraction order) as ``.npz``."""
    target = Path(path).expanduser()
    ids = np.asarray(ordering)
    if ids.dtype == object:
        ids = ids.astype(np.int64) if all(isinstance(v, (int, np.integer)) for v in ids.tolist()) else ids.astype(str)
    with open(target, "wb") as fh:
        np.savez_compressed(fh, ordering=ids)
    return target


def load_ordering(path: str | os.PathLike) -> np.ndarray:
    """Read a node ordering written by :func:`save_ordering`.

    Raises
    ------
    NotFoundError, DataError
        If the file is missing or holds no ordering.
    """
    p = Path(path).expanduser()
    if not p.is_file():
        raise NotFoundError(f"node ordering file not found: {p}")
    try:
        with np.load(p, allow_pickle=False) as data:
            return data["ordering"]
    except (KeyError, ValueError, OSError) as exc:
        raise DataError(f"{p} is not a node ordering written by save_ordering") from exc


@njit(cache=True)
def tree_path_lengths(
    pred: np.ndarray,
    rows: np.ndarray,
    targets: np.ndarray,
    edge_rows: np.ndarray,
    edge_v: np.ndarray,
    lengths: np.ndarray,
) -> np.ndarray:
    """Length (m) from the root of predecessor tree ``pred[rows[i]]`` to ``targets[i]``, for every ``i``.

    ``pred`` is scipy's predecessor matrix (one row per source, -9999 at the
    root and at unreachable nodes). Each tree is walked at most once: lengths of
    the nodes on a walked path are kept (per row) and later walks stop there, so
    a row costs at most one step per node, however many targets share it.
    Edge ``u -> v`` is looked up in ``u``'s slice of the sorted edge keys.
    Why here: with the other compiled kernels of the routing engine.
    """
    n = pred.shape[1]
    out = np.empty(len(rows))
    memo = np.full(n, -1.0)
    touched = np.empty(n, np.int64)
    path = np.empty(n, np.int64)
    n_touched = 0
    current = -1
    for i in range(len(rows)):
        r = rows[i]
        if r != current:
            for k in range(n_touched):  # forget the previous tree
                memo[touched[k]] = -1.0
            n_touched = 0
            current = r
        v = targets[i]
        depth = 0
        while memo[v] < 0.0 and pred[r, v] >= 0:
            path[depth] = v
            depth += 1
            v = pred[r, v]
        acc = memo[v] if memo[v] >= 0.0 else 0.0  # a known node, or the root
        if memo[v] < 0.0:
            memo[v] = 0.0
            touched[n_touched] = v
            n_touched += 1
        for k in range(depth - 1, -1, -1):
            w = path[k]
            u = pred[r, w]
            best = np.inf
            for e in range(edge_rows[u], edge_rows[u + 1]):
                if edge_v[e] == w:
                    best = lengths[e]
                    break
            acc += best
            memo[w] = acc
            touched[n_touched] = w
            n_touched += 1
        out[i] = acc
    return out
