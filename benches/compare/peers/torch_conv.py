"""Peer benchmark, workload D: Nielsen's network3.py "conv-relu" network in PyTorch (CPU).

Network (f32, NCHW), idiomatic nn.Sequential:
  input 1x28x28 (pixels p/255)
  -> Conv2d(1, 20, 5) (valid, stride 1, bias per map), ReLU, MaxPool2d(2)   -> 20x12x12
  -> Conv2d(20, 40, 5), ReLU, MaxPool2d(2)                                  -> 40x4x4 = 640
  -> Flatten, Linear(640, 100), ReLU, Linear(100, 10) (softmax in the cost).
Cost: F.cross_entropy(z, y) = mean over the mini-batch of -ln softmax(z)_y (network3's
  SoftmaxLayer.cost: mean negative log-likelihood).
Training: eta = 0.03, lambda = 0.1, mini-batch m (--batch, default 10), n = 50,000,
  reshuffled every epoch. L2 as network3.py, whose cost adds
  0.5 * lambda * sum(w^2) / num_training_batches, num_training_batches = n/m, over the
  weights of all four layers (not the biases). Its gradient is (lambda*m/n) * w, so
  torch.optim.SGD(lr=eta) with weight_decay = lambda*m/n on the weights only gives
  w <- (1 - eta*lambda*m/n) w - eta * grad_w(mean NLL);  b <- b - eta * grad_b.
Init as network3.py: conv weights N(0, 1/n_out) with n_out = c_out*k*k/(pool area)
  (125 and 250), dense weights N(0, 1/100), biases N(0, 1), softmax layer all zeros.
Only the training loop of each epoch (shuffle included) is timed; evaluation is not.
Prints `RESULT peer=torch workload=D threads=.. dtype=f32 epoch=.. seconds=.. test_accuracy=..`.

Self-contained: reads the four MNIST IDX .gz files itself (first 50,000 training images;
test = the 10,000 t10k images). Data: --data DIR, else $MNIST_DIR, else ../shared/data/mnist
beside the repository.
"""
import argparse
import gzip
import os
import time
from pathlib import Path

N_TRAIN = 50_000
ETA, LAMBDA = 0.03, 0.1
THREAD_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS",
               "BLIS_NUM_THREADS", "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS",
               "RAYON_NUM_THREADS")


def read_idx_gz(path):
    import numpy as np

    with gzip.open(path, "rb") as f:
        buf = f.read()
    if buf[0] != 0 or buf[1] != 0 or buf[2] != 0x08:
        raise ValueError(f"{path}: not an unsigned-byte IDX file")
    nd = buf[3]
    dims = [int.from_bytes(buf[4 + 4 * i : 8 + 4 * i], "big") for i in range(nd)]
    return np.frombuffer(buf, dtype=np.uint8, offset=4 + 4 * nd).reshape(dims)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--workload", choices=["D"], default="D")
    ap.add_argument("--batch", type=int, default=10)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--dtype", choices=["f32"], default="f32")
    ap.add_argument("--data", default=None)
    args = ap.parse_args()
    if N_TRAIN % args.batch:
        ap.error("--batch must divide 50000")

    for var in THREAD_VARS:  # before torch/numpy load their thread pools
        os.environ[var] = str(args.threads)
    import numpy as np
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(1)
    torch.manual_seed(args.seed)

    # ---- data (not timed) ----
    d = Path(args.data or os.environ.get("MNIST_DIR")
             or Path(__file__).resolve().parents[4] / "shared" / "data" / "mnist")
    scale = np.float32(255.0)
    X = torch.from_numpy(read_idx_gz(d / "train-images-idx3-ubyte.gz")[:N_TRAIN]
                         .astype(np.float32).reshape(-1, 1, 28, 28) / scale)
    Y = torch.from_numpy(read_idx_gz(d / "train-labels-idx1-ubyte.gz")[:N_TRAIN].astype(np.int64))
    Xt = torch.from_numpy(read_idx_gz(d / "t10k-images-idx3-ubyte.gz")
                          .astype(np.float32).reshape(-1, 1, 28, 28) / scale)
    yt = torch.from_numpy(read_idx_gz(d / "t10k-labels-idx1-ubyte.gz").astype(np.int64))
    n, m = X.shape[0], args.batch

    # ---- model ----
    net = nn.Sequential(
        nn.Conv2d(1, 20, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(20, 40, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(640, 100), nn.ReLU(),
        nn.Linear(100, 10),
    )
    conv1, conv2, fc, out = net[0], net[3], net[7], net[9]
    with torch.no_grad():  # network3.py's initialisation
        conv1.weight.normal_(0.0, np.sqrt(4.0 / (20 * 25)))
        conv2.weight.normal_(0.0, np.sqrt(4.0 / (40 * 25)))
        fc.weight.normal_(0.0, np.sqrt(1.0 / 100))
        for layer in (conv1, conv2, fc):
            layer.bias.normal_(0.0, 1.0)
        out.weight.zero_()
        out.bias.zero_()
    layers = (conv1, conv2, fc, out)
    opt = torch.optim.SGD(
        [{"params": [l.weight for l in layers], "weight_decay": LAMBDA * m / n},
         {"params": [l.bias for l in layers], "weight_decay": 0.0}],
        lr=ETA, momentum=0.0,
    )

    for epoch in range(1, args.epochs + 1):
        t0 = time.perf_counter()
        perm = torch.randperm(n)
        for k in range(0, n, m):
            idx = perm[k : k + m]
            loss = F.cross_entropy(net(X.index_select(0, idx)), Y.index_select(0, idx))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        secs = time.perf_counter() - t0
        with torch.no_grad():
            correct = sum((net(Xt[c : c + 1000]).argmax(dim=1) == yt[c : c + 1000]).sum().item()
                          for c in range(0, Xt.shape[0], 1000))
        print(
            f"RESULT peer=torch workload=D threads={args.threads} dtype=f32 "
            f"epoch={epoch} seconds={secs:.4f} test_accuracy={correct / Xt.shape[0]:.4f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
