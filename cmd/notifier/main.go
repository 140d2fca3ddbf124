// Command notifier tells customers when their reservations change status:
// for every status change (예약신청, 예약접수완료, 예약취소, 예약취소완료,
// 개통완료, and back to 예약신청 after a store rejects) it posts a signed
// JSON notification to a webhook, at least once, in order per reservation,
// retrying with backoff and parking what never gets through. Any number of
// notifiers may run at once; they share the work.
//
//	notifier [run] --webhook-url URL   deliver every status change (secret in TSHOP_WEBHOOK_SECRET or --webhook-secret-file)
//	notifier parked [--reservation ID] list the notifications given up on, one JSON object a line
//	notifier receive --addr ADDR       a local receiver: checks signatures, dedupes by event id, logs what it gets
//
// See package notify for what is promised, and package webhook for the
// signature scheme.
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
		fmt.Fprintln(os.Stderr, "notifier:", err)
		os.Exit(2)
	}
	if err := m.Run(ctx); err != nil {
		m.log.Error("notifier stopped", "err", err)
		fmt.Fprintln(os.Stderr, "notifier:", err)
		os.Exit(1)
	}
}
