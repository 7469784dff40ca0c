//! Peer benchmark, workload D: the network of Nielsen's `network3.py`
//! "conv-relu" run (chapter 6), trained with mini-batch SGD, written against
//! candle (candle-core + candle-nn, CPU backend).
//!
//! Network (f32, NCHW):
//!   input 1x28x28 (pixels p/255)
//!   -> conv 5x5, 1->20 maps, valid, stride 1, bias per map, ReLU, 2x2 max-pool  (20x12x12)
//!   -> conv 5x5, 20->40 maps, ReLU, 2x2 max-pool                                (40x4x4 = 640)
//!   -> dense 640->100, ReLU -> dense 100->10, softmax.
//! Convolutions are `candle_nn::Conv2d` (built from our own weight `Var`s),
//! the cost `candle_nn::loss::cross_entropy` (log-softmax + mean negative
//! log-likelihood over the mini-batch).
//!
//! Max-pooling: candle 0.11.1's `Tensor::max_pool2d` computes the right forward
//! values but a wrong gradient. Its backward (candle-core src/backprop.rs,
//! `Op::MaxPool2D`) multiplies the output gradient by the window's share of
//! maxima, k/4, where it should divide by k: a unique maximum gets 1/4 of
//! its gradient. Two pooling layers then slow the first convolution's learning
//! by 16. So by default (`--pool reshape`) we pool with candle's own
//! reshape and `max` reductions: (m, c, 2h, 2w) -> (m, c, h, 2, w, 2), max over
//! dims 5 and 3. Same values; `max`'s backward sends the full gradient to the
//! maximum (to every element tied for it, which is rare off zero; zeros after
//! ReLU get no gradient anyway). `--pool candle` uses `Tensor::max_pool2d` as is,
//! for timing it; it reports as `peer=candle-maxpool2d`.
//!
//! Training: eta = 0.03, lambda = 0.1, mini-batch m (`--batch`, default 10),
//! n = 50,000, reshuffled every epoch. L2 as network3.py: its cost is
//!   C = mean_x NLL + 0.5 * lambda * sum(w^2) / (n/m)
//! (sum over the weights of all four layers, not the biases), so one SGD step is
//!   w <- (1 - eta*lambda*m/n) w - eta * grad_w(mean NLL),   b <- b - eta * grad_b.
//! We apply exactly that: the gradient of the mean NLL from candle's autodiff,
//! the decay and the step with candle tensor ops.
//!
//! Init as network3.py: conv weights N(0, 1/n_out) with
//! n_out = c_out*k*k/(pool area) (125 and 250), dense weights N(0, 1/100),
//! biases N(0, 1); the softmax layer's weights and biases are zero.
//! (Same splitmix64/Box-Muller generator and shuffle as burn-conv, so both
//! start from identical weights and see identical batches.)
//!
//! Prints one line per epoch:
//! `RESULT peer=candle workload=D threads=T dtype=f32 epoch=E seconds=S test_accuracy=A`
//! where S is the wall time of the training loop only (shuffle, batch gathering,
//! forward, backward, update), not the evaluation.

use candle_core::{D, DType, Device, Module, Result, Tensor, Var};
use candle_nn::{Conv2d, Conv2dConfig};
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
    /// true: `Tensor::max_pool2d` (wrong gradient in candle 0.11.1); false: reshape + max.
    candle_pool: bool,
}

fn usage() -> ! {
    eprintln!(
        "usage: candle-conv [--workload D] [--batch M] [--epochs E] [--threads T] [--seed S] \
         [--dtype f32] [--pool reshape|candle] [--data MNIST_DIR]"
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
        candle_pool: false,
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
            "--pool" if v == "reshape" || v == "candle" => a.candle_pool = v == "candle",
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
/// (the same generator as the shared candle-mlp/burn-mlp peers and burn-conv).
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

/// The trainable parameters: (weight, bias) per layer, in the order
/// conv1, conv2, dense 640->100, softmax 100->10.
struct Params {
    w: Vec<Var>,
    b: Vec<Var>,
    candle_pool: bool,
}

/// 2x2 max-pooling, stride 2, of x (m, c, 2h, 2w): reshape to (m, c, h, 2, w, 2), max over the windows.
fn max_pool_2x2(x: &Tensor) -> Result<Tensor> {
    let (m, c, h2, w2) = x.dims4()?;
    x.reshape((m, c, h2 / 2, 2, w2 / 2, 2))?.max(5)?.max(3)
}

impl Params {
    fn init(rng: &mut Rng, dev: &Device, candle_pool: bool) -> Result<Self> {
        let var =
            |v: Vec<f32>, shape: &[usize]| Var::from_tensor(&Tensor::from_vec(v, shape, dev)?);
        // network3.py: conv n_out = c_out * k * k / (pool area); dense n_out = its width.
        let w1 = var(
            rng.normals(20 * 25, (4.0f64 / 500.0).sqrt()),
            &[20, 1, 5, 5],
        )?;
        let b1 = var(rng.normals(20, 1.0), &[20])?;
        let w2 = var(
            rng.normals(40 * 20 * 25, (4.0f64 / 1000.0).sqrt()),
            &[40, 20, 5, 5],
        )?;
        let b2 = var(rng.normals(40, 1.0), &[40])?;
        let w3 = var(rng.normals(640 * 100, (1.0 / 100.0f64).sqrt()), &[640, 100])?;
        let b3 = var(rng.normals(100, 1.0), &[100])?;
        let w4 = var(vec![0.0; 100 * 10], &[100, 10])?;
        let b4 = var(vec![0.0; 10], &[10])?;
        Ok(Self {
            w: vec![w1, w2, w3, w4],
            b: vec![b1, b2, b3, b4],
            candle_pool,
        })
    }

    /// Output-layer pre-activations (logits), shape (batch, 10), for x of shape (batch, 1, 28, 28).
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let cfg = Conv2dConfig::default(); // valid, stride 1
        let conv1 = Conv2d::new(
            self.w[0].as_tensor().clone(),
            Some(self.b[0].as_tensor().clone()),
            cfg,
        );
        let conv2 = Conv2d::new(
            self.w[1].as_tensor().clone(),
            Some(self.b[1].as_tensor().clone()),
            cfg,
        );
        let pool = |h: &Tensor| {
            if self.candle_pool {
                h.max_pool2d(2)
            } else {
                max_pool_2x2(h)
            }
        };
        let h = pool(&conv1.forward(x)?.relu()?)?; // (m, 20, 12, 12)
        let h = pool(&conv2.forward(&h)?.relu()?)?; // (m, 40, 4, 4)
        let h = h.flatten_from(1)?; // (m, 640), channel-major as network3's flatten(2)
        let h = h
            .matmul(self.w[2].as_tensor())?
            .broadcast_add(self.b[2].as_tensor())?
            .relu()?;
        h.matmul(self.w[3].as_tensor())?
            .broadcast_add(self.b[3].as_tensor())
    }
}

fn main() -> Result<()> {
    let args = parse_args();
    // candle's gemm and rayon pools read RAYON_NUM_THREADS; set it before any use.
    unsafe { std::env::set_var("RAYON_NUM_THREADS", args.threads.to_string()) };
    let dev = Device::Cpu;

    // ---- data (not timed) ----
    let (dims, px) = read_idx_gz(&args.data.join("train-images-idx3-ubyte.gz"));
    let (_, lab) = read_idx_gz(&args.data.join("train-labels-idx1-ubyte.gz"));
    let (tdims, tpx) = read_idx_gz(&args.data.join("t10k-images-idx3-ubyte.gz"));
    let (_, tlab) = read_idx_gz(&args.data.join("t10k-labels-idx1-ubyte.gz"));
    assert_eq!((dims[1], dims[2]), (28, 28));
    assert_eq!(tdims[0], N_TEST);
    let scale = |v: &[u8]| v.iter().map(|&p| p as f32 / 255.0).collect::<Vec<f32>>();
    let train_x = Tensor::from_vec(scale(&px[..N_TRAIN * 784]), (N_TRAIN, 1, 28, 28), &dev)?;
    let train_y = Tensor::from_vec(
        lab[..N_TRAIN].iter().map(|&l| l as u32).collect(),
        N_TRAIN,
        &dev,
    )?;
    let test_x = Tensor::from_vec(scale(&tpx), (N_TEST, 1, 28, 28), &dev)?;

    let m = args.batch;
    let decay = 1.0 - ETA * LAMBDA * m as f64 / N_TRAIN as f64;
    let mut rng = Rng(args.seed);
    let p = Params::init(&mut rng, &dev, args.candle_pool)?;
    assert_eq!(DType::F32, p.w[0].dtype());

    let mut perm: Vec<u32> = (0..N_TRAIN as u32).collect();
    for epoch in 1..=args.epochs {
        let t0 = Instant::now();
        rng.shuffle(&mut perm);
        let perm_t = Tensor::from_slice(&perm, N_TRAIN, &dev)?;
        for k in (0..N_TRAIN).step_by(m) {
            let idx = perm_t.narrow(0, k, m)?;
            let x = train_x.index_select(&idx, 0)?;
            let y = train_y.index_select(&idx, 0)?;
            // mean over the mini-batch of -ln softmax(z)_y
            let loss = candle_nn::loss::cross_entropy(&p.forward(&x)?, &y)?;
            let grads = loss.backward()?;
            for w in &p.w {
                let g = grads.get(w.as_tensor()).expect("grad w");
                w.set(&((w.as_tensor() * decay)? - (g * ETA)?)?)?;
            }
            for b in &p.b {
                let g = grads.get(b.as_tensor()).expect("grad b");
                b.set(&(b.as_tensor() - (g * ETA)?)?)?;
            }
        }
        let secs = t0.elapsed().as_secs_f64();
        // ---- evaluation (not timed), in chunks of 1,000 to bound memory ----
        let mut correct = 0;
        for c in (0..N_TEST).step_by(1000) {
            let pred: Vec<u32> = p
                .forward(&test_x.narrow(0, c, 1000)?)?
                .argmax(D::Minus1)?
                .to_vec1()?;
            correct += pred
                .iter()
                .zip(&tlab[c..c + 1000])
                .filter(|(p, l)| **p == **l as u32)
                .count();
        }
        println!(
            "RESULT peer={} workload=D threads={} dtype=f32 epoch={} seconds={:.4} test_accuracy={:.4}",
            if args.candle_pool {
                "candle-maxpool2d"
            } else {
                "candle"
            },
            args.threads,
            epoch,
            secs,
            correct as f64 / N_TEST as f64
        );
    }
    Ok(())
}
