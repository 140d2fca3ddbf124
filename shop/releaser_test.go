package shop_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/tshop/tshop/domain"
	"github.com/tshop/tshop/internal/natstest"
	"github.com/tshop/tshop/shop"
)

// Placements waiting for room, as many as may wait at once, must not hold
// up the cancellation that makes room: the slot it frees goes to the
// oldest waiting reservation, and the cancelled one ends CANCELLED.
func TestWaitingPlacementsDoNotHoldUpReleases(t *testing.T) {
	ns := natstest.Start(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	api := shop.New(openAs(t, ctx, ns, natstest.API), &shop.Config{Logger: quiet})
	const maxWaiting = 4
	assigner := shop.New(openAs(t, ctx, ns, natstest.Assigner), &shop.Config{Logger: quiet, MaxWaiting: maxWaiting}).NewAssigner()
	done := make(chan struct{}, 2)
	go func() { api.Run(ctx); done <- struct{}{} }()
	go func() { assigner.Run(ctx); done <- struct{}{} }()
	defer func() { cancel(); <-done; <-done }()

	if _, _, err := api.CreateProduct(ctx, domain.CreateProduct{ID: "p-1", Name: "Phone", Stock: 20}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := api.RegisterStore(ctx, domain.RegisterStore{ID: "only", Name: "Only", Location: domain.Location{Lat: 37.5, Lon: 127}, Capacity: 1}); err != nil {
		t.Fatal(err)
	}
	reserve := func(i int) uuid.UUID {
		res, err := api.Reserve(ctx, shop.ReserveRequest{ProductID: "p-1", CustomerID: fmt.Sprintf("c-%d", i), Location: domain.Location{Lat: 37.5, Lon: 127}})
		if err != nil {
			t.Fatal(err)
		}
		return res.Reservation.ID
	}
	status := func(id uuid.UUID) domain.Status {
		r, err := api.Reservation(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return r.Status
	}
	eventually := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(15 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("%s: not within 15s", what)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	holder := reserve(0)
	eventually("the first reservation accepted", func() bool { return status(holder) == domain.StatusAccepted })
	// More waiting placements than may be unacked at once.
	var waiting []uuid.UUID
	for i := range maxWaiting + 2 {
		waiting = append(waiting, reserve(i+1))
	}
	eventually("the assigner holding as many as may wait", func() bool { return assigner.Waiting() >= maxWaiting })
	if _, _, err := api.Cancel(ctx, holder); err != nil {
		t.Fatal(err)
	}
	eventually("the cancelled reservation CANCELLED", func() bool { return status(holder) == domain.StatusCancelled })
	eventually("the oldest waiting reservation accepted in the freed slot", func() bool { return status(waiting[0]) == domain.StatusAccepted })
	for _, id := range waiting[1:] {
		if s := status(id); s != domain.StatusPlaced {
			t.Errorf("reservation %s is %s with no room left, want PLACED", id, s)
		}
	}
}
