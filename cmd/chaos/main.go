// Command chaos runs Tshop for real, a single NATS server or a 3-node
// cluster with two of each process, drives a mixed workload over HTTP while
// it kills random processes (NATS servers included) with SIGKILL and
// restarts them, then lets everything catch up and checks every invariant
// of the contract from the event log itself, the read models (projector
// verify) and the apis' answers. It prints what it did and every
// violation, and exits 1 on any.
//
//	chaos [--duration 2m] [--cluster] [--seed N] [--bin bin] [--root .]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cfg := config{out: os.Stdout}
	fs := flag.NewFlagSet("chaos", flag.ExitOnError)
	fs.DurationVar(&cfg.duration, "duration", time.Minute, "how long the workload runs and faults are injected")
	fs.BoolVar(&cfg.cluster, "cluster", false, "a 3-node NATS cluster with R3 streams instead of a single server")
	fs.Uint64Var(&cfg.seed, "seed", uint64(time.Now().UnixNano()), "seed of the workload's and the faults' choices (printed, to run the same choices again)")
	fs.StringVar(&cfg.bin, "bin", "bin", "directory of the built binaries: api, projector, assigner, nats-server (make build)")
	fs.StringVar(&cfg.root, "root", ".", "the repository: nats.conf and cluster/ are read from here")
	fs.StringVar(&cfg.dir, "dir", "", "where data and logs go (default: a temporary directory, removed after a run without violations)")
	fs.BoolVar(&cfg.keep, "keep", false, "keep the temporary directory after a run without violations")
	fs.IntVar(&cfg.workers, "workers", 6, "concurrent clients")
	fs.DurationVar(&cfg.every, "every", 4*time.Second, "the longest wait between two faults")
	fs.DurationVar(&cfg.settle, "settle", 2*time.Minute, "the longest wait, after the faults, for the system to finish its work")
	_ = fs.Parse(os.Args[1:])
	res, err := run(ctx, cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "chaos:", err)
		fmt.Fprintln(os.Stderr, "chaos: logs in", res.dir)
		os.Exit(2)
	}
	if len(res.violations) > 0 {
		os.Exit(1)
	}
}
