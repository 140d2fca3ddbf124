// Command projector builds the customer center's read model in bbolt from
// the event log and answers queries from it over NATS.
//
//	projector [run] --db PATH    follow the log and serve queries
//	projector rebuild --db PATH  replay the whole log into a fresh read model and swap it in
//	projector verify --db PATH   compare a read model with a fresh replay
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	m, err := NewMain(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "projector:", err)
		os.Exit(2)
	}
	if err := m.Run(ctx); err != nil {
		if !errors.Is(err, errDifferences) {
			m.log.Error("projector stopped", "err", err)
		}
		fmt.Fprintln(os.Stderr, "projector:", err)
		os.Exit(1)
	}
}
