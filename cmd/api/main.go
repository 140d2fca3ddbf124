// Command api serves Tshop's HTTP API: every command becomes events
// appended to JetStream, every read comes from the event log.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	m, err := NewMain(os.Args[1:], os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "api:", err)
		os.Exit(2)
	}
	if err := m.Run(ctx); err != nil {
		m.log.Error("api stopped", "err", err)
		fmt.Fprintln(os.Stderr, "api:", err)
		os.Exit(1)
	}
}
