//! Convolution and max-pooling, forward and backward, with the
//! convolution's sums as products on the packed, cache-blocked GEMM of
//! [`super::gemm`] (im2col).
//!
//! # The products
//!
//! For a chunk of examples, *im2col* copies each output position's
//! receptive field (in_channels · k² values, contiguous) into one row of a
//! matrix `col` (positions × K, K = in_channels · k², row-major). Then,
//! with M the chunk's positions (examples × (H − k + 1)(W − k + 1)):
//!
//! - forward: Z (M × out_channels) = col · Wᵀ, then each value is moved to
//!   its example's map with the map's bias (`Z` is written map-major, so
//!   that move copies rows of positions);
//! - weight gradient: ∂C/∂Wᵀ (K × out_channels) = colᵀ · Δ, with Δ the
//!   chunk's errors (M × out_channels, map-major);
//! - input error: ∂C/∂col (M × K) = Δ · W, then *col2im* adds each row
//!   back onto the receptive field it came from.
//!
//! # Chunks, threads and summation order
//!
//! Examples go in chunks of a fixed number, chosen by the layer's shape
//! and the scalar size alone ([`ConvPlan`]) so that a chunk's `col` stays
//! in L2 (384 KiB). Forward values and input errors are sums over K or over
//! the maps, whose order the GEMM fixes by K alone, so they do not depend
//! on the chunks. The weight gradient is a sum over every position of
//! every example: each chunk's share is computed on its own (into a slot
//! of its own) and the shares are added in chunk order. So a call splits
//! its chunks across threads, each with its own `col` and `Z`, and gives
//! the same bits for any number of threads.

use super::gemm::{Gemm, Start};
use crate::aligned::Aligned;
use crate::layer::{Conv2d, MaxPool2d, Shape};
use crate::threads;
use crate::{Real, Result};

/// Bytes of one chunk's `col` (about half an L2).
const CHUNK_BYTES: usize = 384 << 10;

/// A convolution's sizes, and how its examples are chunked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ConvPlan {
    /// Input maps, and their height and width.
    pub c_in: usize,
    pub h: usize,
    pub w: usize,
    /// Output maps, and their height and width.
    pub c_out: usize,
    pub oh: usize,
    pub ow: usize,
    /// The kernel's side.
    pub k: usize,
    /// Examples per chunk.
    pub chunk: usize,
}

impl ConvPlan {
    /// The plan of `conv` for scalars of `bytes` bytes.
    pub(crate) fn new(conv: &Conv2d, bytes: usize) -> Self {
        let (i, o) = (conv.input_shape(), conv.output_shape());
        let k = conv.kernel();
        let per_example = (o.height * o.width * i.channels * k * k).max(1);
        ConvPlan {
            c_in: i.channels,
            h: i.height,
            w: i.width,
            c_out: o.channels,
            oh: o.height,
            ow: o.width,
            k,
            chunk: (CHUNK_BYTES / bytes / per_example).max(1),
        }
    }

    /// K: the values of one receptive field (in_channels · k²).
    pub(crate) fn fan_in(&self) -> usize {
        self.c_in * self.k * self.k
    }

    /// Output positions of one map.
    fn positions(&self) -> usize {
        self.oh * self.ow
    }

    /// Values of one example's input.
    fn n_in(&self) -> usize {
        self.c_in * self.h * self.w
    }

    /// Values of one example's output.
    fn n_out(&self) -> usize {
        self.c_out * self.positions()
    }

    /// The chunks of `m` examples.
    fn chunks(&self, m: usize) -> usize {
        m.div_ceil(self.chunk)
    }

    /// Values of one chunk's `col` (and of its input error).
    fn col_len(&self) -> usize {
        self.chunk * self.positions() * self.fan_in()
    }

    /// Values of one chunk's `Z` (or Δ).
    fn z_len(&self) -> usize {
        self.chunk * self.n_out()
    }
}

/// One thread's buffers for a convolution: a chunk's `col` and `Z`.
#[derive(Debug, Default)]
pub(crate) struct ConvScratch<T> {
    col: Aligned<T>,
    z: Aligned<T>,
}

/// The buffers of the convolutions of a network: per thread a chunk's
/// `col` and `Z`, sized for its largest convolution; Wᵀ; and the weight
/// gradient's per-chunk shares (sized for a batch of `capacity`).
#[derive(Debug, Default)]
pub(crate) struct ConvBuffers<T> {
    scratch: Vec<ConvScratch<T>>,
    wt: Vec<T>,
    shares: Vec<T>,
    /// The plans of the network's convolutions, in order.
    plans: Vec<ConvPlan>,
    /// Per layer, the index of its plan (for convolutions).
    plan_of: Vec<Option<usize>>,
}

impl<T: Real> ConvBuffers<T> {
    /// Buffers for the convolutions among `layers` with batches of up to
    /// `capacity` examples; `training` adds what backpropagation needs.
    /// Without convolutions it holds nothing.
    ///
    /// # Errors
    /// [`crate::Error::Allocation`] if they do not fit in memory.
    pub(crate) fn new(
        layers: &[crate::layer::Layer],
        capacity: usize,
        training: bool,
    ) -> Result<Self> {
        const WHAT: &str = "the convolutions' buffers";
        let mut buffers = ConvBuffers::default();
        for layer in layers {
            let plan = match layer {
                crate::layer::Layer::Conv2d(c) => Some(ConvPlan::new(c, size_of::<T>())),
                _ => None,
            };
            buffers.plan_of.push(plan.map(|_| buffers.plans.len()));
            buffers.plans.extend(plan);
        }
        if buffers.plans.is_empty() {
            return Ok(buffers);
        }
        buffers.scratch.push(buffers.new_scratch()?);
        if training {
            let max = |f: &dyn Fn(&ConvPlan) -> usize| buffers.plans.iter().map(f).max();
            let wt = max(&|p| p.c_out * p.fan_in()).unwrap_or(0);
            let shares = max(&|p| p.chunks(capacity).saturating_mul(p.c_out * p.fan_in()));
            buffers.wt = crate::aligned::try_vec(wt, WHAT)?;
            buffers.shares = crate::aligned::try_vec(shares.unwrap_or(0), WHAT)?;
        }
        Ok(buffers)
    }

    fn new_scratch(&self) -> Result<ConvScratch<T>> {
        const WHAT: &str = "a convolution's chunk buffers";
        let col = self.plans.iter().map(ConvPlan::col_len).max().unwrap_or(0);
        let z = self.plans.iter().map(ConvPlan::z_len).max().unwrap_or(0);
        Ok(ConvScratch {
            col: Aligned::try_zeroed(col, WHAT)?,
            z: Aligned::try_zeroed(z, WHAT)?,
        })
    }

    /// Scratch for `threads` threads (allocated on the first call that
    /// needs more, then kept); fewer if memory runs out.
    fn threads(&mut self, threads: usize) -> usize {
        while self.scratch.len() < threads {
            match self.new_scratch() {
                Ok(s) => self.scratch.push(s),
                Err(_) => break,
            }
        }
        threads.min(self.scratch.len()).max(1)
    }

    /// The plan of layer `l`, a convolution.
    pub(crate) fn plan(&self, l: usize) -> ConvPlan {
        self.plans[self.plan_of[l].expect("layer l is a convolution")]
    }

    /// The largest weight gradient of the convolutions (out_channels · K).
    pub(crate) fn max_gradient(&self) -> usize {
        self.plans
            .iter()
            .map(|p| p.c_out * p.fan_in())
            .max()
            .unwrap_or(0)
    }
}

/// The examples of part `t` of `parts` over `chunks` chunks of `chunk`
/// examples, of `m` in all.
fn part(t: usize, parts: usize, chunks: usize, chunk: usize, m: usize) -> std::ops::Range<usize> {
    let (c0, c1) = (chunks * t / parts, chunks * (t + 1) / parts);
    (c0 * chunk).min(m)..(c1 * chunk).min(m)
}

/// Forward pass of a convolution over `m` examples: z (n_out × m) = the
/// weighted inputs of `x` (n_in × m) with weights `w` (out_channels × K,
/// map-major) and biases `b`. The activation is left to the caller.
pub(crate) fn conv_forward<T: Real>(
    plan: ConvPlan,
    bufs: &mut ConvBuffers<T>,
    w: &[T],
    b: &[T],
    x: &[T],
    z: &mut [T],
    m: usize,
) {
    let (n_in, n_out) = (plan.n_in(), plan.n_out());
    let chunks = plan.chunks(m);
    let wanted = threads::threads_for(m * plan.fan_in() * n_out, chunks);
    let parts = bufs.threads(wanted);
    let mut tasks = Vec::with_capacity(parts);
    let (mut rest, mut scratch) = (&mut z[..n_out * m], &mut bufs.scratch[..]);
    for t in 0..parts {
        let r = part(t, parts, chunks, plan.chunk, m);
        let (mine, tail) = std::mem::take(&mut rest).split_at_mut(r.len() * n_out);
        let (s, s_tail) = std::mem::take(&mut scratch)
            .split_first_mut()
            .expect("a scratch per part");
        (rest, scratch) = (tail, s_tail);
        tasks.push((r, mine, s));
    }
    threads::run_each(tasks, |(r, z, s)| {
        let (t0, t1) = (r.start, r.end);
        for c0 in (t0..t1).step_by(plan.chunk) {
            let c1 = (c0 + plan.chunk).min(t1);
            let zc = &mut z[(c0 - t0) * n_out..(c1 - t0) * n_out];
            forward_chunk(plan, s, w, b, &x[c0 * n_in..c1 * n_in], zc, c1 - c0);
        }
    });
}

/// [`conv_forward`] of one chunk of `mc` examples.
fn forward_chunk<T: Real>(
    plan: ConvPlan,
    s: &mut ConvScratch<T>,
    w: &[T],
    b: &[T],
    x: &[T],
    z: &mut [T],
    mc: usize,
) {
    let (kk, p) = (plan.fan_in(), plan.positions());
    let rows = mc * p;
    let col = &mut s.col[..rows * kk];
    im2col(plan, x, col, mc);
    let zt = &mut s.z[..rows * plan.c_out];
    Gemm {
        m: rows,
        n: plan.c_out,
        k: kk,
        a: col,
        rsa: kk,
        csa: 1,
        b: w,
        csb: kk,
        c: zt,
        rsc: 1,
        csc: rows,
        start: Start::Zero,
    }
    .compute();
    // Map-major Z to each example's maps, with the maps' biases.
    for (t, zt_ex) in z.chunks_exact_mut(plan.n_out()).enumerate() {
        for (j, (out, &bj)) in zt_ex.chunks_exact_mut(p).zip(b).enumerate() {
            let src = &zt[j * rows + t * p..j * rows + (t + 1) * p];
            for (o, &v) in out.iter_mut().zip(src) {
                *o = bj + v;
            }
        }
    }
}

/// Copies the receptive field of each output position of the `mc`
/// examples of `x` into a row of `col` (positions × K, row-major; the
/// field ordered input map, then row, then column, as the weights are).
fn im2col<T: Real>(plan: ConvPlan, x: &[T], col: &mut [T], mc: usize) {
    let (kk, k) = (plan.fan_in(), plan.k);
    let mut rows = col.chunks_exact_mut(kk);
    for ex in x.chunks_exact(plan.n_in()).take(mc) {
        for y in 0..plan.oh {
            for xo in 0..plan.ow {
                let row = rows.next().expect("col holds every position");
                let mut fields = row.chunks_exact_mut(k);
                for c in 0..plan.c_in {
                    let map = &ex[c * plan.h * plan.w..];
                    for di in 0..k {
                        let at = (y + di) * plan.w + xo;
                        fields
                            .next()
                            .expect("k rows per map")
                            .copy_from_slice(&map[at..at + k]);
                    }
                }
            }
        }
    }
}

/// Backward pass of a convolution over `m` examples, after its forward
/// pass: from the errors `delta` (n_out × m) of its weighted inputs and
/// the inputs `x` (n_in × m) that fed it, writes `scale` · ∂C/∂W summed
/// over the examples into `gw` (map-major, as the weights), the errors'
/// sums per map into `sums` (unscaled), and, if `prev` is given, the
/// error of the inputs, Σ_j w_j ⋆ δ_j (n_in × m, before any activation's
/// derivative), with the weights `w` the forward pass used.
#[allow(clippy::too_many_arguments)]
pub(crate) fn conv_backward<T: Real>(
    plan: ConvPlan,
    bufs: &mut ConvBuffers<T>,
    w: &[T],
    x: &[T],
    delta: &[T],
    m: usize,
    scale: T,
    gw: &mut [T],
    sums: &mut [T],
    prev: Option<&mut [T]>,
) {
    let (n_in, n_out, kk, p) = (plan.n_in(), plan.n_out(), plan.fan_in(), plan.positions());
    let share_len = plan.c_out * kk;
    let chunks = plan.chunks(m);
    // Bias sums: one pass, in example order.
    sums[..plan.c_out].fill(T::zero());
    for ex in delta[..n_out * m].chunks_exact(n_out) {
        for (s, map) in sums.iter_mut().zip(ex.chunks_exact(p)) {
            *s += map.iter().fold(T::zero(), |acc, &d| acc + d);
        }
    }
    // Wᵀ (K × out_channels), for the input error's product.
    let want_prev = prev.is_some();
    if want_prev {
        for (j, wj) in w.chunks_exact(kk).enumerate() {
            for (q, &v) in wj.iter().enumerate() {
                bufs.wt[q * plan.c_out + j] = v;
            }
        }
    }
    let wanted = threads::threads_for(2 * m * kk * n_out, chunks);
    let parts = bufs.threads(wanted);
    let ConvBuffers {
        scratch,
        wt,
        shares,
        ..
    } = bufs;
    let wt = &wt[..];
    let mut tasks = Vec::with_capacity(parts);
    let mut shares_rest = &mut shares[..chunks * share_len];
    let mut prev_rest = prev.map(|d| &mut d[..n_in * m]);
    let mut scratch = &mut scratch[..];
    for t in 0..parts {
        let r = part(t, parts, chunks, plan.chunk, m);
        let my_chunks = r.len().div_ceil(plan.chunk);
        let (sh, tail) = std::mem::take(&mut shares_rest).split_at_mut(my_chunks * share_len);
        shares_rest = tail;
        let dp = match prev_rest.take() {
            Some(d) => {
                let (mine, tail) = d.split_at_mut(r.len() * n_in);
                prev_rest = Some(tail);
                Some(mine)
            }
            None => None,
        };
        let (s, s_tail) = std::mem::take(&mut scratch)
            .split_first_mut()
            .expect("a scratch per part");
        scratch = s_tail;
        tasks.push((r, sh, dp, s));
    }
    threads::run_each(tasks, |(r, sh, mut dp, s)| {
        let (t0, t1) = (r.start, r.end);
        for (i, c0) in (t0..t1).step_by(plan.chunk).enumerate() {
            let c1 = (c0 + plan.chunk).min(t1);
            let mc = c1 - c0;
            let rows = mc * p;
            let share = &mut sh[i * share_len..(i + 1) * share_len];
            let col = &mut s.col[..rows * kk];
            im2col(plan, &x[c0 * n_in..c1 * n_in], col, mc);
            // Δ map-major: dz[j·rows + t·p + pos].
            let dz = &mut s.z[..rows * plan.c_out];
            for (t, ex) in delta[c0 * n_out..c1 * n_out]
                .chunks_exact(n_out)
                .enumerate()
            {
                for (j, map) in ex.chunks_exact(p).enumerate() {
                    dz[j * rows + t * p..j * rows + (t + 1) * p].copy_from_slice(map);
                }
            }
            // The chunk's share of ∂C/∂Wᵀ = colᵀ·Δ (K × out_channels).
            Gemm {
                m: kk,
                n: plan.c_out,
                k: rows,
                a: col,
                rsa: 1,
                csa: kk,
                b: dz,
                csb: rows,
                c: share,
                rsc: 1,
                csc: kk,
                start: Start::Zero,
            }
            .compute();
            if let Some(dp) = dp.as_deref_mut() {
                // ∂C/∂col = Δ·W (rows × K, column-major), into col's buffer.
                let dcol = &mut s.col[..rows * kk];
                Gemm {
                    m: rows,
                    n: kk,
                    k: plan.c_out,
                    a: dz,
                    rsa: 1,
                    csa: rows,
                    b: wt,
                    csb: plan.c_out,
                    c: dcol,
                    rsc: 1,
                    csc: rows,
                    start: Start::Zero,
                }
                .compute();
                col2im(plan, dcol, &mut dp[(c0 - t0) * n_in..(c1 - t0) * n_in], mc);
            }
        }
    });
    // The shares, in chunk order, scaled.
    let gw = &mut gw[..share_len];
    gw.copy_from_slice(&shares[..share_len]);
    for share in shares[share_len..chunks * share_len].chunks_exact(share_len) {
        for (g, &v) in gw.iter_mut().zip(share) {
            *g += v;
        }
    }
    for g in gw.iter_mut() {
        *g *= scale;
    }
}

/// Adds each row of `dcol` (positions × K, column-major: `dcol[q·rows +
/// i]`) back onto the receptive field it was copied from, into `dx`
/// (n_in × mc), which it first clears.
fn col2im<T: Real>(plan: ConvPlan, dcol: &[T], dx: &mut [T], mc: usize) {
    let (k, p, ow) = (plan.k, plan.positions(), plan.ow);
    let rows = mc * p;
    dx.fill(T::zero());
    for c in 0..plan.c_in {
        for di in 0..k {
            for dj in 0..k {
                let q = (c * k + di) * k + dj;
                let src = &dcol[q * rows..(q + 1) * rows];
                for (t, ex) in dx.chunks_exact_mut(plan.n_in()).enumerate() {
                    let map = &mut ex[c * plan.h * plan.w..(c + 1) * plan.h * plan.w];
                    for y in 0..plan.oh {
                        let s = &src[t * p + y * ow..t * p + (y + 1) * ow];
                        let at = (y + di) * plan.w + dj;
                        for (d, &v) in map[at..at + ow].iter_mut().zip(s) {
                            *d += v;
                        }
                    }
                }
            }
        }
    }
}

/// Max-pooling's forward pass over `m` examples: each p × p block of each
/// map of `x` (n_in × m) to its largest value in `z`.
pub(crate) fn max_pool_forward<T: Real>(pool: &MaxPool2d, x: &[T], z: &mut [T], m: usize) {
    let (i, o, s) = (pool.input_shape(), pool.output_shape(), pool.size());
    let mut out = z[..o.len() * m].iter_mut();
    for ex in x[..i.len() * m].chunks_exact(i.len()) {
        for map in ex.chunks_exact(i.height * i.width) {
            for y in 0..o.height {
                for xo in 0..o.width {
                    let at = argmax(map, i, s, y, xo);
                    *out.next().expect("one output per block") = map[at];
                }
            }
        }
    }
}

/// The index in `map` of the largest value of block (y, x): the first in
/// row-major order on a tie (and where comparisons fail, for NaN).
#[inline]
fn argmax<T: Real>(map: &[T], shape: Shape, s: usize, y: usize, x: usize) -> usize {
    let mut best = y * s * shape.width + x * s;
    for di in 0..s {
        let row = (y * s + di) * shape.width + x * s;
        for at in row..row + s {
            if map[at] > map[best] {
                best = at;
            }
        }
    }
    best
}

/// Max-pooling's backward pass: each block's error `delta` (n_out × m) to
/// the input that was its maximum in `x` (the pass's input), 0 to the
/// others, into `dx` (n_in × m).
pub(crate) fn max_pool_backward<T: Real>(
    pool: &MaxPool2d,
    x: &[T],
    delta: &[T],
    dx: &mut [T],
    m: usize,
) {
    let (i, o, s) = (pool.input_shape(), pool.output_shape(), pool.size());
    let plane = i.height * i.width;
    dx[..i.len() * m].fill(T::zero());
    let mut d = delta[..o.len() * m].iter();
    for (ex, dex) in x[..i.len() * m]
        .chunks_exact(i.len())
        .zip(dx.chunks_exact_mut(i.len()))
    {
        for (map, dmap) in ex.chunks_exact(plane).zip(dex.chunks_exact_mut(plane)) {
            for y in 0..o.height {
                for xo in 0..o.width {
                    let at = argmax(map, i, s, y, xo);
                    dmap[at] = *d.next().expect("one error per block");
                }
            }
        }
    }
}
