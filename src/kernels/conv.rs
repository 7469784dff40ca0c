//! Convolution and max-pooling, forward and backward, with the
//! convolution's sums as products on the packed, cache-blocked GEMM of
//! [`super::gemm`] (im2col).
//!
//! # The products
//!
//! For a chunk of examples, *im2col* copies each output position's
//! receptive field (in_channels · k² values) into one row of a matrix
//! `col` (M × K, with M the chunk's positions, examples × (H − k + 1)(W −
//! k + 1), and K = in_channels · k²). Then:
//!
//! - forward: Z (M × out_channels) = col · Wᵀ, then each value is moved to
//!   its example's map with the map's bias (`Z` is written map-major, so
//!   that move copies rows of positions);
//! - weight gradient: ∂C/∂Wᵀ (K × out_channels) = colᵀ · Δ, with Δ the
//!   chunk's errors (M × out_channels, map-major);
//! - input error: ∂C/∂col (M × K) = Δ · W, then *col2im* adds each row
//!   back onto the receptive field it came from.
//!
//! The GEMM reads its left operand in place when that operand's columns
//! are contiguous, and must otherwise copy it value by value into packed
//! panels, which cost as much as the product for these thin matrices. So
//! `col` is written in the layout each product reads: column-major
//! (`col[q·M + i]`, runs of a map's rows copied whole) for the forward
//! pass, row-major (`col[i·K + q]`, the fields one after another) for the
//! weight gradient, where colᵀ is the left operand.
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
use crate::layer::{Conv2d, MaxPool2d};
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
    let per_col = plan.positions() * plan.fan_in();
    let chunks = plan.chunks(m);
    let wanted = threads::threads_for(m * plan.fan_in() * n_out, 0, chunks);
    let parts = bufs.threads(wanted);
    let (mut rest, mut scratch) = (&mut z[..n_out * m], &mut bufs.scratch[..]);
    let tasks = (0..parts).map(|t| {
        let r = part(t, parts, chunks, plan.chunk, m);
        let (mine, tail) = std::mem::take(&mut rest).split_at_mut(r.len() * n_out);
        let (s, s_tail) = std::mem::take(&mut scratch)
            .split_first_mut()
            .expect("a scratch per part");
        (rest, scratch) = (tail, s_tail);
        (r, mine, s)
    });
    threads::run_each(parts, tasks, |(r, z, s)| {
        let (t0, t1) = (r.start, r.end);
        for c0 in (t0..t1).step_by(plan.chunk) {
            let c1 = (c0 + plan.chunk).min(t1);
            let zc = &mut z[(c0 - t0) * n_out..(c1 - t0) * n_out];
            forward_chunk(
                plan,
                &mut s.col[..(c1 - c0) * per_col],
                &mut s.z,
                w,
                b,
                &x[c0 * n_in..c1 * n_in],
                zc,
                c1 - c0,
            );
        }
    });
}

/// [`conv_forward`] of one chunk of `mc` examples, with `col` the
/// chunk's receptive fields *position-minor* (K × positions, column `q`
/// of the fields contiguous): the product reads its panels of positions
/// in place, with no packing.
#[allow(clippy::too_many_arguments)]
fn forward_chunk<T: Real>(
    plan: ConvPlan,
    col: &mut [T],
    zbuf: &mut [T],
    w: &[T],
    b: &[T],
    x: &[T],
    z: &mut [T],
    mc: usize,
) {
    let (kk, p) = (plan.fan_in(), plan.positions());
    let rows = mc * p;
    im2col_t(plan, x, &mut col[..rows * kk], mc);
    let zt = &mut zbuf[..rows * plan.c_out];
    Gemm {
        m: rows,
        n: plan.c_out,
        k: kk,
        a: col,
        rsa: 1,
        csa: rows,
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

/// The transpose of [`im2col`]: `col[q·rows + i]` is value `q` of the
/// receptive field of position `i` (rows = mc · positions), so each field
/// value's row of positions is filled by copying runs of a map's rows, as
/// [`col2im`] reads them back.
fn im2col_t<T: Real>(plan: ConvPlan, x: &[T], col: &mut [T], mc: usize) {
    // Runs of a width known at compile time are moved as fixed-size
    // arrays; a call to memcpy per run of 8 or 24 values took as long as
    // the copy. (Nielsen's maps: 24 and 8 positions wide.)
    match plan.ow {
        24 => im2col_t_w::<T, 24>(plan, x, col, mc),
        8 => im2col_t_w::<T, 8>(plan, x, col, mc),
        _ => im2col_t_w::<T, 0>(plan, x, col, mc),
    }
}

/// [`im2col_t`] for output maps `W` positions wide (0: any width).
#[inline(always)]
fn im2col_t_w<T: Real, const W: usize>(plan: ConvPlan, x: &[T], col: &mut [T], mc: usize) {
    let (k, p, ow) = (plan.k, plan.positions(), plan.ow);
    let rows = mc * p;
    let map_len = plan.h * plan.w;
    for c in 0..plan.c_in {
        for di in 0..k {
            for dj in 0..k {
                let q = (c * k + di) * k + dj;
                let dst = &mut col[q * rows..(q + 1) * rows];
                for (ex, out) in x.chunks_exact(plan.n_in()).zip(dst.chunks_exact_mut(p)) {
                    let map = &ex[c * map_len..(c + 1) * map_len];
                    for (y, run) in out.chunks_exact_mut(ow).enumerate() {
                        let at = (y + di) * plan.w + dj;
                        if W > 0 {
                            let src: &[T; W] = map[at..at + W].try_into().expect("W values");
                            let dst: &mut [T; W] = run.try_into().expect("W values");
                            *dst = *src;
                        } else {
                            run.copy_from_slice(&map[at..at + ow]);
                        }
                    }
                }
            }
        }
    }
}

/// Copies the receptive field of each output position of the `mc`
/// examples of `x` into a row of `col` (positions × K, row-major; the
/// field ordered input map, then row, then column, as the weights are).
fn im2col<T: Real>(plan: ConvPlan, x: &[T], col: &mut [T], mc: usize) {
    // Kernel sides known at compile time copy their rows as fixed-size
    // arrays (a handful of moves) instead of a loop or a call to memcpy.
    match plan.k {
        5 => im2col_k::<T, 5>(plan, x, col, mc),
        3 => im2col_k::<T, 3>(plan, x, col, mc),
        _ => im2col_k::<T, 0>(plan, x, col, mc),
    }
}

/// [`im2col`] for kernels of side `K` (0: any side, `plan.k`).
#[inline(always)]
fn im2col_k<T: Real, const K: usize>(plan: ConvPlan, x: &[T], col: &mut [T], mc: usize) {
    let (kk, k) = (plan.fan_in(), plan.k);
    let mut rows = col.chunks_exact_mut(kk);
    for ex in x.chunks_exact(plan.n_in()).take(mc) {
        for y in 0..plan.oh {
            for xo in 0..plan.ow {
                let row = rows.next().expect("col holds every position");
                let mut fields = row.chunks_exact_mut(k);
                for map in ex.chunks_exact(plan.h * plan.w).take(plan.c_in) {
                    for di in 0..k {
                        let at = (y + di) * plan.w + xo;
                        let field = fields.next().expect("k rows per map");
                        if K > 0 {
                            let src: &[T; K] = map[at..at + K].try_into().expect("K values");
                            let dst: &mut [T; K] = field.try_into().expect("K values");
                            *dst = *src;
                        } else {
                            for (d, &v) in field.iter_mut().zip(&map[at..at + k]) {
                                *d = v;
                            }
                        }
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
    // Bias sums, in example order, each map's sum in position order; the
    // maps' sums advance side by side, so that they are independent chains
    // of additions rather than one long one.
    sums[..plan.c_out].fill(T::zero());
    let mut acc = [T::zero(); 64];
    for j0 in (0..plan.c_out).step_by(acc.len()) {
        let maps = acc.len().min(plan.c_out - j0);
        for ex in delta[..n_out * m].chunks_exact(n_out) {
            let ex = &ex[j0 * p..(j0 + maps) * p];
            acc[..maps].fill(T::zero());
            for pos in 0..p {
                for (a, map) in acc[..maps].iter_mut().zip(ex.chunks_exact(p)) {
                    *a += map[pos];
                }
            }
            for (s, &a) in sums[j0..j0 + maps].iter_mut().zip(&acc[..maps]) {
                *s += a;
            }
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
    let wanted = threads::threads_for(2 * m * kk * n_out, 0, chunks);
    let parts = bufs.threads(wanted);
    let ConvBuffers {
        scratch,
        wt,
        shares,
        ..
    } = bufs;
    let wt = &wt[..];
    let mut shares_rest = &mut shares[..chunks * share_len];
    let mut prev_rest = prev.map(|d| &mut d[..n_in * m]);
    let mut scratch = &mut scratch[..];
    let tasks = (0..parts).map(|t| {
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
        (r, sh, dp, s)
    });
    threads::run_each(parts, tasks, |(r, sh, mut dp, s)| {
        let (t0, t1) = (r.start, r.end);
        for (i, c0) in (t0..t1).step_by(plan.chunk).enumerate() {
            let c1 = (c0 + plan.chunk).min(t1);
            let mc = c1 - c0;
            let rows = mc * p;
            let share = &mut sh[i * share_len..(i + 1) * share_len];
            // The fields again, now position-major (positions × K), so that
            // colᵀ's full panels are read in place as the product's left
            // operand (a K of 25 is one panel, packed).
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
    // As in `im2col_t`: runs of a width known at compile time.
    match plan.ow {
        24 => col2im_w::<T, 24>(plan, dcol, dx, mc),
        8 => col2im_w::<T, 8>(plan, dcol, dx, mc),
        _ => col2im_w::<T, 0>(plan, dcol, dx, mc),
    }
}

/// [`col2im`] for output maps `W` positions wide (0: any width).
#[inline(always)]
fn col2im_w<T: Real, const W: usize>(plan: ConvPlan, dcol: &[T], dx: &mut [T], mc: usize) {
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
                        if W > 0 {
                            let s: &[T; W] = s.try_into().expect("W values");
                            let d: &mut [T; W] =
                                (&mut map[at..at + W]).try_into().expect("W values");
                            for (d, &v) in d.iter_mut().zip(s) {
                                *d += v;
                            }
                        } else {
                            for (d, &v) in map[at..at + ow].iter_mut().zip(s) {
                                *d += v;
                            }
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
    let (i, o) = (pool.input_shape(), pool.output_shape());
    let maps = x[..i.len() * m].chunks_exact(i.height * i.width);
    for (map, out) in maps.zip(z[..o.len() * m].chunks_exact_mut(o.height * o.width)) {
        if pool.size() == 2 {
            // The values only, as selects without branches (the same
            // comparisons as `for_each_block`, so the same value).
            let w = i.width;
            for (y, out) in out.chunks_exact_mut(o.width).enumerate() {
                let top = 2 * y * w;
                let r0 = &map[top..top + 2 * o.width];
                let r1 = &map[top + w..top + w + 2 * o.width];
                for ((o, a), b) in out
                    .iter_mut()
                    .zip(r0.chunks_exact(2))
                    .zip(r1.chunks_exact(2))
                {
                    let mut best = a[0];
                    for v in [a[1], b[0], b[1]] {
                        best = if v > best { v } else { best };
                    }
                    *o = best;
                }
            }
            continue;
        }
        for_each_block(pool, map, |y, at| {
            out[y] = map[at];
        });
    }
}

/// Calls `f(k, at)` for block k (row-major) of the map `map` (an input
/// map of `pool`) with `at` the index of its largest value: the first in
/// row-major order on a tie (and where comparisons fail, for NaN).
#[inline(always)]
fn for_each_block<T: Real>(pool: &MaxPool2d, map: &[T], mut f: impl FnMut(usize, usize)) {
    let (i, o, s) = (pool.input_shape(), pool.output_shape(), pool.size());
    let w = i.width;
    if s == 2 {
        // Nielsen's 2 × 2 blocks: two rows at a time, no index arithmetic
        // per value.
        for y in 0..o.height {
            let top = 2 * y * w;
            let (r0, r1) = (
                &map[top..top + 2 * o.width],
                &map[top + w..top + w + 2 * o.width],
            );
            for (x, (a, b)) in r0.chunks_exact(2).zip(r1.chunks_exact(2)).enumerate() {
                let (mut best, mut at) = (a[0], 0);
                for (v, i) in [(a[1], 1), (b[0], w), (b[1], w + 1)] {
                    let more = v > best;
                    best = if more { v } else { best };
                    at = if more { i } else { at };
                }
                f(y * o.width + x, top + 2 * x + at);
            }
        }
        return;
    }
    for y in 0..o.height {
        for x in 0..o.width {
            let mut best = y * s * w + x * s;
            for di in 0..s {
                let row = (y * s + di) * w + x * s;
                for at in row..row + s {
                    if map[at] > map[best] {
                        best = at;
                    }
                }
            }
            f(y * o.width + x, best);
        }
    }
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
    let (i, o) = (pool.input_shape(), pool.output_shape());
    let (plane, out_plane) = (i.height * i.width, o.height * o.width);
    dx[..i.len() * m].fill(T::zero());
    let maps = x[..i.len() * m]
        .chunks_exact(plane)
        .zip(dx.chunks_exact_mut(plane))
        .zip(delta[..o.len() * m].chunks_exact(out_plane));
    for ((map, dmap), d) in maps {
        for_each_block(pool, map, |k, at| {
            dmap[at] = d[k];
        });
    }
}
