package main_test

import (
	"context"
	"testing"
	"time"

	"github.com/tshop/tshop/domain"
)

// A reservation waiting for room takes it the moment a slot frees, not
// when its message next comes back: by the time the slot frees, the
// message has waited long enough that its next return is seconds away.
func TestWaitingReservationTakesFreedSlotAtOnce(t *testing.T) {
	e := newEnv(t)
	e.product(t, "galaxy-s26-256", 5)
	e.store(t, "only", 37.5, 127.0, 1)
	p := e.startAssigner(t)
	first := e.reserve(t, "galaxy-s26-256", 1, 37.5, 127.0)
	eventually(t, 10*time.Second, "first accepted", func() bool { return e.reservation(t, first).Status == domain.StatusAccepted })
	second := e.reserve(t, "galaxy-s26-256", 2, 37.5, 127.0)
	// Tried at once, then after 1, 2 and 4 seconds: its next return is
	// 8 seconds after the last, so at least 15 seconds after it was made.
	time.Sleep(8 * time.Second)
	if r := e.reservation(t, second); r.Status != domain.StatusPlaced {
		t.Fatalf("second reservation is %s with no room, want PLACED", r.Status)
	}
	if _, _, err := e.svc.Fulfil(context.Background(), first, domain.Fulfil{Method: domain.StoreVisit}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 4*time.Second, "second accepted once the slot freed", func() bool {
		return e.reservation(t, second).Status == domain.StatusAccepted
	})
	p.Stop(t)
}
