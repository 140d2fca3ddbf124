// Command assigner gives every placed reservation the best store (예약접수완료)
// and frees a store's slot when its reservation is rejected, cancelled or
// fulfilled. Any number of assigners may run at once.
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
	m, err := NewMain(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "assigner:", err)
		os.Exit(2)
	}
	if err := m.Run(ctx); err != nil {
		m.log.Error("assigner stopped", "err", err)
		fmt.Fprintln(os.Stderr, "assigner:", err)
		os.Exit(1)
	}
}
