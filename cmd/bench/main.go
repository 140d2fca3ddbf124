// Command bench measures Tshop against baselines taken in the same run, on
// the same machine: it starts the real processes (NATS from the shipped
// nats.conf, api, projector, assigner), drives them over HTTP and NATS,
// and writes BENCHMARKS.md, docs/bench.json and charts in docs/.
//
//	bench [--quick] [--bin DIR] [--out DIR]
//	bench ceiling --http ADDR   (the HTTP-ceiling baseline server; bench runs it itself)
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if len(os.Args) > 1 && os.Args[1] == "ceiling" {
		if err := runCeiling(ctx, os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, "bench ceiling:", err)
			os.Exit(1)
		}
		return
	}
	fs := flag.NewFlagSet("bench", flag.ExitOnError)
	var cfg config
	fs.BoolVar(&cfg.quick, "quick", false, "run every scenario briefly, as a smoke check (under 2 minutes)")
	fs.StringVar(&cfg.bin, "bin", "bin", "directory of the built binaries (make build)")
	fs.StringVar(&cfg.conf, "nats-conf", "nats.conf", "the NATS configuration to start from")
	fs.StringVar(&cfg.out, "out", ".", "where BENCHMARKS.md and docs/ are written")
	fs.StringVar(&cfg.only, "only", "", "run only the scenarios whose names contain one of these, comma separated (later scenarios need throughput and contention)")
	fs.StringVar(&cfg.profile, "profile", "", "write CPU profiles of every process during the headline runs into this directory")
	_ = fs.Parse(os.Args[1:])
	cfg.log = slog.New(slog.NewTextHandler(os.Stderr, nil))
	rep, err := run(ctx, cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
	if err := rep.write(cfg.out); err != nil {
		fmt.Fprintln(os.Stderr, "bench: write report:", err)
		os.Exit(1)
	}
	if missed := rep.missed(); missed > 0 {
		fmt.Fprintf(os.Stderr, "bench: %d targets missed (see BENCHMARKS.md)\n", missed)
	}
}
