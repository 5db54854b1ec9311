#!/usr/bin/python3
"""The training step of bench-train, written in PyTorch, to read comicgan's
figure against a widely used CPU framework on the same machine.

    bench/reference-train.py [--reps N] [--batch B] [--size S] [--threads T]

Same network as bench-train (c7s1-32, d64, d128, R128x4, u64, u32, c7s1-3;
reflect padding, conv biases, affine instance norm, leaky ReLU 0.2, nearest
upsampling then a 3x3 conv, tanh), same batch, L1 loss against a fixed target,
backward, Adam (0.5, 0.999). Prints the median step time, not counting the
first (warm-up) step. Debian: apt-get install python3-torch.
"""
import argparse
import signal
import statistics
import time

import torch
import torch.nn as nn


def stage(cin, cout, k, stride, act=True):
    layers = [nn.Conv2d(cin, cout, k, stride, k // 2, padding_mode="reflect"),
              nn.InstanceNorm2d(cout, affine=True)]
    if act:
        layers.append(nn.LeakyReLU(0.2))
    return layers


class Block(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.body = nn.Sequential(*stage(c, c, 3, 1), *stage(c, c, 3, 1, act=False))

    def forward(self, x):
        return x + self.body(x)


def generator(width=32, blocks=4):
    w = width
    layers = stage(3, w, 7, 1) + stage(w, 2 * w, 3, 2) + stage(2 * w, 4 * w, 3, 2)
    layers += [Block(4 * w) for _ in range(blocks)]
    layers += [nn.Upsample(scale_factor=2, mode="nearest"), *stage(4 * w, 2 * w, 3, 1),
               nn.Upsample(scale_factor=2, mode="nearest"), *stage(2 * w, w, 3, 1),
               nn.Conv2d(w, 3, 7, 1, 3, padding_mode="reflect"), nn.Tanh()]
    return nn.Sequential(*layers)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=10)
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--size", type=int, default=128)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # quiet when piped to head
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    net = generator()
    opt = torch.optim.Adam(net.parameters(), lr=2e-4, betas=(0.5, 0.999))
    x = torch.rand(args.batch, 3, args.size, args.size) * 2 - 1
    y = torch.rand(args.batch, 3, args.size, args.size) * 2 - 1
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, "
          f"parameters {sum(p.numel() for p in net.parameters())}")
    times = []
    for r in range(-1, args.reps):
        t0 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        loss = (net(x) - y).abs().mean()
        loss.backward()
        opt.step()
        ms = (time.perf_counter() - t0) * 1e3
        if r >= 0:
            times.append(ms)
            print(f"step {r + 1}: {ms:.1f} ms (loss {loss.item():.4f})")
    print(f"reference training step, batch {args.batch}, {args.size}x{args.size}, L1, Adam: "
          f"median {statistics.median(times):.1f} ms over {args.reps} steps "
          f"(min {min(times):.1f}, max {max(times):.1f})")


if __name__ == "__main__":
    main()
