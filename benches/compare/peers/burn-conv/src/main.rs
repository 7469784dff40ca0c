//! Peer benchmark, workload D: the network of Nielsen's `network3.py`
//! "conv-relu" run (chapter 6), trained with mini-batch SGD, written against
//! burn 0.22 (ndarray CPU backend by default, autodiff enabled on the device;
//! `--backend flex` selects burn's newer pure-Rust CPU backend), as burn-mlp.
//!
//! Network (f32, NCHW):
//!   input 1x28x28 (pixels p/255)
//!   -> conv 5x5, 1->20 maps, valid, stride 1, bias per map, ReLU, 2x2 max-pool  (20x12x12)
//!   -> conv 5x5, 20->40 maps, ReLU, 2x2 max-pool                                (40x4x4 = 640)
//!   -> dense 640->100, ReLU -> dense 100->10, softmax.
//! Convolutions are `burn::tensor::module::conv2d`, pooling
//! `burn::tensor::module::max_pool2d`; the cost is the mean over the mini-batch
//! of -ln softmax(z)_y, written as -(y_onehot * log_softmax(z)).sum() / m.
//!
//! Training: eta = 0.03, lambda = 0.1, mini-batch m (`--batch`, default 10),
//! n = 50,000, reshuffled every epoch. L2 as network3.py: its cost is
//!   C = mean_x NLL + 0.5 * lambda * sum(w^2) / (n/m)
//! (sum over the weights of all four layers, not the biases), so one SGD step is
//!   w <- (1 - eta*lambda*m/n) w - eta * grad_w(mean NLL),   b <- b - eta * grad_b.
//! We apply exactly that: the gradient of the mean NLL from burn's autodiff,
//! the decay and the step with burn tensor ops.
//!
//! Init as network3.py: conv weights N(0, 1/n_out) with
//! n_out = c_out*k*k/(pool area) (125 and 250), dense weights N(0, 1/100),
//! biases N(0, 1); the softmax layer's weights and biases are zero.
//! (Same splitmix64/Box-Muller generator and shuffle as candle-conv, so both
//! start from identical weights and see identical batches.)
//!
//! Prints one line per epoch:
//! `RESULT peer=burn-<backend> workload=D threads=T dtype=f32 epoch=E seconds=S test_accuracy=A`
//! where S is the wall time of the training loop only (shuffle, batch gathering,
//! forward, backward, update), not the evaluation.
#![allow(deprecated)] // Device::ndarray() is deprecated in burn 0.22 in favour of flex

use burn::tensor::module::{conv2d, max_pool2d};
use burn::tensor::ops::{ConvOptions, MaxPoolOptions};
use burn::tensor::{Device, FloatDType, Gradients, Int, Tensor, TensorData, activation};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Instant;

const N_TRAIN: usize = 50_000;
const N_TEST: usize = 10_000;
const ETA: f64 = 0.03;
const LAMBDA: f64 = 0.1;

struct Args {
    batch: usize,
    epochs: usize,
    threads: usize,
    seed: u64,
    data: PathBuf,
    backend: String,
}

fn usage() -> ! {
    eprintln!(
        "usage: burn-conv [--workload D] [--batch M] [--epochs E] [--threads T] [--seed S] \
         [--dtype f32] [--backend ndarray|flex] [--data MNIST_DIR]"
    );
    std::process::exit(2)
}

fn parse_args() -> Args {
    let mut a = Args {
        batch: 10,
        epochs: 3,
        threads: 1,
        seed: 1,
        data: std::env::var_os("MNIST_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("shared/data/mnist")),
        backend: "ndarray".into(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(k) = it.next() {
        let v = it.next().unwrap_or_else(|| usage());
        match k.as_str() {
            "--workload" if v.eq_ignore_ascii_case("D") => {}
            "--dtype" if v == "f32" => {}
            "--batch" => a.batch = v.parse().ok().filter(|&m| m > 0).unwrap_or_else(|| usage()),
            "--epochs" => a.epochs = v.parse().unwrap_or_else(|_| usage()),
            "--threads" => a.threads = v.parse().ok().filter(|&t| t > 0).unwrap_or_else(|| usage()),
            "--seed" => a.seed = v.parse().unwrap_or_else(|_| usage()),
            "--data" => a.data = PathBuf::from(v),
            "--backend" if v == "ndarray" || v == "flex" => a.backend = v,
            _ => usage(),
        }
    }
    if N_TRAIN % a.batch != 0 {
        usage()
    }
    a
}

/// Reads a gzip-compressed IDX file; returns (dims, payload bytes).
fn read_idx_gz(path: &Path) -> (Vec<usize>, Vec<u8>) {
    let f = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut buf = Vec::new();
    flate2::read::GzDecoder::new(f)
        .read_to_end(&mut buf)
        .expect("gunzip");
    assert!(
        buf[0] == 0 && buf[1] == 0 && buf[2] == 0x08,
        "not an unsigned-byte IDX file"
    );
    let nd = buf[3] as usize;
    let dims: Vec<usize> = (0..nd)
        .map(|i| u32::from_be_bytes(buf[4 + 4 * i..8 + 4 * i].try_into().unwrap()) as usize)
        .collect();
    let payload = buf[4 + 4 * nd..].to_vec();
    assert_eq!(payload.len(), dims.iter().product::<usize>());
    (dims, payload)
}

/// splitmix64; Box-Muller normals; Fisher-Yates shuffle. Deterministic per seed
/// (the same generator as the shared candle-mlp/burn-mlp peers and candle-conv).
struct Rng(u64);
impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn uniform(&mut self) -> f64 {
        ((self.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }
    fn normal(&mut self) -> f64 {
        let (u1, u2) = (self.uniform(), self.uniform());
        (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    }
    fn normals(&mut self, n: usize, std: f64) -> Vec<f32> {
        (0..n).map(|_| (self.normal() * std) as f32).collect()
    }
    fn shuffle(&mut self, v: &mut [u32]) {
        for i in (1..v.len()).rev() {
            let j = (self.next_u64() % (i as u64 + 1)) as usize;
            v.swap(i, j);
        }
    }
}

/// The trainable parameters. Dense weights are stored (n_in, n_out), so z = a W + b.
#[derive(Clone)]
struct Params {
    w1: Tensor<4>, // (20, 1, 5, 5)
    b1: Tensor<1>,
    w2: Tensor<4>, // (40, 20, 5, 5)
    b2: Tensor<1>,
    w3: Tensor<2>, // (640, 100)
    b3: Tensor<2>, // (1, 100)
    w4: Tensor<2>, // (100, 10)
    b4: Tensor<2>, // (1, 10)
}

fn param<const D: usize>(v: Vec<f32>, shape: [usize; D], dev: &Device) -> Tensor<D> {
    Tensor::<D>::from_data(TensorData::new(v, shape), dev).require_grad()
}

/// One plain SGD step on a leaf: p <- decay * p - eta * grad, then a fresh tracked leaf.
fn sgd<const D: usize>(p: &mut Tensor<D>, grads: &mut Gradients, decay: f64) {
    let g = p.grad_remove(grads).expect("gradient");
    let inner = p.clone().inner();
    let inner = if decay != 1.0 {
        inner.mul_scalar(decay)
    } else {
        inner
    };
    *p = (inner - g.mul_scalar(ETA)).autodiff().require_grad();
}

impl Params {
    fn init(rng: &mut Rng, dev: &Device) -> Self {
        // network3.py: conv n_out = c_out * k * k / (pool area); dense n_out = its width.
        Self {
            w1: param(
                rng.normals(20 * 25, (4.0f64 / 500.0).sqrt()),
                [20, 1, 5, 5],
                dev,
            ),
            b1: param(rng.normals(20, 1.0), [20], dev),
            w2: param(
                rng.normals(40 * 20 * 25, (4.0f64 / 1000.0).sqrt()),
                [40, 20, 5, 5],
                dev,
            ),
            b2: param(rng.normals(40, 1.0), [40], dev),
            w3: param(
                rng.normals(640 * 100, (1.0f64 / 100.0).sqrt()),
                [640, 100],
                dev,
            ),
            b3: param(rng.normals(100, 1.0), [1, 100], dev),
            w4: param(vec![0.0; 100 * 10], [100, 10], dev),
            b4: param(vec![0.0; 10], [1, 10], dev),
        }
    }

    /// The same parameters without autodiff tracking (for evaluation).
    fn inner(&self) -> Self {
        let p = self.clone();
        Self {
            w1: p.w1.inner(),
            b1: p.b1.inner(),
            w2: p.w2.inner(),
            b2: p.b2.inner(),
            w3: p.w3.inner(),
            b3: p.b3.inner(),
            w4: p.w4.inner(),
            b4: p.b4.inner(),
        }
    }

    /// Output-layer pre-activations (logits), (batch, 10), for x of shape (batch, 1, 28, 28).
    fn forward(&self, x: Tensor<4>) -> Tensor<2> {
        let valid = || ConvOptions::new([1, 1], [0, 0], [1, 1], 1);
        let pool = || MaxPoolOptions::new([2, 2]); // stride 2
        let h = conv2d(x, self.w1.clone(), Some(self.b1.clone()), valid());
        let h = max_pool2d(activation::relu(h), pool()); // (m, 20, 12, 12)
        let h = conv2d(h, self.w2.clone(), Some(self.b2.clone()), valid());
        let h = max_pool2d(activation::relu(h), pool()); // (m, 40, 4, 4)
        let m = h.dims()[0];
        let h: Tensor<2> = h.reshape([m, 640]); // channel-major, as network3's flatten(2)
        let h = activation::relu(h.matmul(self.w3.clone()) + self.b3.clone());
        h.matmul(self.w4.clone()) + self.b4.clone()
    }

    fn step(&mut self, grads: &mut Gradients, decay: f64) {
        sgd(&mut self.w1, grads, decay);
        sgd(&mut self.w2, grads, decay);
        sgd(&mut self.w3, grads, decay);
        sgd(&mut self.w4, grads, decay);
        sgd(&mut self.b1, grads, 1.0);
        sgd(&mut self.b2, grads, 1.0);
        sgd(&mut self.b3, grads, 1.0);
        sgd(&mut self.b4, grads, 1.0);
    }
}

fn main() {
    let args = parse_args();
    // ndarray backend: rayon pool + matrixmultiply's own pool; set both before first use.
    unsafe {
        std::env::set_var("RAYON_NUM_THREADS", args.threads.to_string());
        std::env::set_var("MATMUL_NUM_THREADS", args.threads.to_string());
    }
    let mut base = match args.backend.as_str() {
        "ndarray" => Device::ndarray(),
        _ => Device::flex(),
    };
    base.configure(FloatDType::F32)
        .expect("configure float dtype");
    let dev = base.autodiff();

    // ---- data (not timed) ----
    let (dims, px) = read_idx_gz(&args.data.join("train-images-idx3-ubyte.gz"));
    let (_, lab) = read_idx_gz(&args.data.join("train-labels-idx1-ubyte.gz"));
    let (tdims, tpx) = read_idx_gz(&args.data.join("t10k-images-idx3-ubyte.gz"));
    let (_, tlab) = read_idx_gz(&args.data.join("t10k-labels-idx1-ubyte.gz"));
    assert_eq!((dims[1], dims[2]), (28, 28));
    assert_eq!(tdims[0], N_TEST);
    let scale = |v: &[u8]| v.iter().map(|&p| p as f32 / 255.0).collect::<Vec<f32>>();
    let train_x = Tensor::<4>::from_data(
        TensorData::new(scale(&px[..N_TRAIN * 784]), [N_TRAIN, 1, 28, 28]),
        &dev,
    );
    let mut onehot = vec![0f32; N_TRAIN * 10];
    for (i, &l) in lab[..N_TRAIN].iter().enumerate() {
        onehot[i * 10 + l as usize] = 1.0;
    }
    let train_y = Tensor::<2>::from_data(TensorData::new(onehot, [N_TRAIN, 10]), &dev);
    let test_x =
        Tensor::<4>::from_data(TensorData::new(scale(&tpx), [N_TEST, 1, 28, 28]), &dev).inner();

    let m = args.batch;
    let decay = 1.0 - ETA * LAMBDA * m as f64 / N_TRAIN as f64;
    let mut rng = Rng(args.seed);
    let mut p = Params::init(&mut rng, &dev);

    let mut perm: Vec<u32> = (0..N_TRAIN as u32).collect();
    for epoch in 1..=args.epochs {
        let t0 = Instant::now();
        rng.shuffle(&mut perm);
        let perm_i: Vec<i64> = perm.iter().map(|&i| i as i64).collect();
        let perm_t = Tensor::<1, Int>::from_data(TensorData::new(perm_i, [N_TRAIN]), &dev);
        for k in (0..N_TRAIN).step_by(m) {
            let idx = perm_t.clone().narrow(0, k, m);
            let x = train_x.clone().select(0, idx.clone());
            let y = train_y.clone().select(0, idx);
            // mean over the mini-batch of -ln softmax(z)_y
            let loss = (y * activation::log_softmax(p.forward(x), 1))
                .sum()
                .mul_scalar(-1.0 / m as f64);
            let mut grads = loss.backward();
            p.step(&mut grads, decay);
        }
        let secs = t0.elapsed().as_secs_f64();
        // ---- evaluation (not timed), in chunks of 1,000 to bound memory ----
        let q = p.inner();
        let mut correct = 0;
        for c in (0..N_TEST).step_by(1000) {
            let pred: Vec<i64> = q
                .forward(test_x.clone().narrow(0, c, 1000))
                .argmax(1)
                .into_data()
                .convert::<i64>()
                .into_vec::<i64>()
                .expect("argmax data");
            correct += pred
                .iter()
                .zip(&tlab[c..c + 1000])
                .filter(|(p, l)| **p == **l as i64)
                .count();
        }
        println!(
            "RESULT peer=burn-{} workload=D threads={} dtype=f32 epoch={} seconds={:.4} test_accuracy={:.4}",
            args.backend,
            args.threads,
            epoch,
            secs,
            correct as f64 / N_TEST as f64
        );
    }
}
