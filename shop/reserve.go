package shop

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/google/uuid"

	"github.com/tshop/tshop/domain"
	"github.com/tshop/tshop/eventstore"
)

// placerConsumer places every reservation whose unit a product holds. Its
// name must never change.
var placerConsumer = eventstore.ConsumerConfig{Durable: "reservation-placer", Kind: eventstore.Products, Workers: 8, AckWait: shopAckWait}

// ErrKeyReused means an Idempotency-Key came back with another request.
var ErrKeyReused = errors.New("idempotency key was used for another reservation")

// keyNamespace scopes reservation ids derived from Idempotency-Keys.
var keyNamespace = uuid.MustParse("6f1d3c2e-5a47-4b7e-9a43-2b8f0e6d9c11")

// MaxKeyLen bounds an Idempotency-Key.
const MaxKeyLen = 255

// ReserveRequest asks for one unit of a product for a customer.
type ReserveRequest struct {
	ProductID  string
	CustomerID string
	Location   domain.Location
	// IdempotencyKey, when set, makes the request safe to repeat: every
	// request with the same key from the same customer yields the same
	// reservation, however many, however late.
	IdempotencyKey string
}

// Reserved is the outcome of a reservation request.
type Reserved struct {
	Reservation domain.Reservation
	// Replayed is true when the reservation existed already under the
	// request's Idempotency-Key and nothing new was reserved.
	Replayed bool
	// Position is where the reservation is in the log.
	Position Position
}

// call is one keyed reservation in flight in this process.
type call struct {
	done chan struct{}
	res  Reserved
	err  error
}

// ReservationID is the id a keyed request's reservation gets: the same for
// the same customer and key, on every api instance, forever.
func ReservationID(customerID, key string) uuid.UUID {
	return uuid.NewSHA1(keyNamespace, []byte(customerID+"\x00"+key))
}

// Reserve holds a unit of the product and places a reservation for it. It
// returns only once both are in the log; domain.ErrOutOfStock when no unit
// is left.
func (s *Service) Reserve(ctx context.Context, req ReserveRequest) (Reserved, error) {
	if err := domain.ValidateID("productId", req.ProductID); err != nil {
		return Reserved{}, err
	}
	if err := validateKey(req.IdempotencyKey); err != nil {
		return Reserved{}, err
	}
	cmd := domain.Reserve{CustomerID: req.CustomerID, Location: req.Location}
	if req.IdempotencyKey == "" {
		id, err := uuid.NewV7()
		if err != nil {
			return Reserved{}, err
		}
		cmd.ReservationID = id
		if err := cmd.Validate(); err != nil {
			return Reserved{}, err
		}
		return s.reserve(ctx, req.ProductID, cmd, false)
	}
	cmd.ReservationID = ReservationID(req.CustomerID, req.IdempotencyKey)
	if err := cmd.Validate(); err != nil {
		return Reserved{}, err
	}
	// Join a request with the same key already in flight here.
	key := cmd.ReservationID.String()
	s.mu.Lock()
	if c, ok := s.inflight[key]; ok {
		s.mu.Unlock()
		select {
		case <-c.done:
		case <-ctx.Done():
			return Reserved{}, ctx.Err()
		}
		if c.err != nil {
			return Reserved{}, c.err
		}
		return s.sameRequest(Reserved{Reservation: c.res.Reservation, Replayed: true, Position: c.res.Position}, req)
	}
	c := &call{done: make(chan struct{})}
	s.inflight[key] = c
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.inflight, key)
		s.mu.Unlock()
		close(c.done)
	}()
	c.res, c.err = s.reserveKeyed(ctx, req, cmd)
	if c.err != nil {
		return Reserved{}, c.err
	}
	return s.sameRequest(c.res, req)
}

func (s *Service) reserveKeyed(ctx context.Context, req ReserveRequest, cmd domain.Reserve) (Reserved, error) {
	r, seq, err := loadFromLeader[domain.Reservation](ctx, s.es, eventstore.Reservations, cmd.ReservationID.String())
	if err != nil {
		return Reserved{}, err
	}
	if seq > 0 {
		return Reserved{Reservation: r, Replayed: true, Position: at(eventstore.Reservations, seq)}, nil
	}
	return s.reserve(ctx, req.ProductID, cmd, true)
}

// sameRequest refuses a replay whose request differs from the original's.
func (s *Service) sameRequest(res Reserved, req ReserveRequest) (Reserved, error) {
	r := res.Reservation
	if res.Replayed && (r.ProductID != req.ProductID || r.CustomerID != req.CustomerID || r.Location != req.Location) {
		return Reserved{}, fmt.Errorf("reservation %s: %w", r.ID, ErrKeyReused)
	}
	return res, nil
}

func (s *Service) reserve(ctx context.Context, productID string, cmd domain.Reserve, keyed bool) (Reserved, error) {
	var res result
	if s.cfg.DisableGroupCommit {
		var events []domain.Event
		_, _, events, res.err = executeEvents[domain.Product](ctx, s, eventstore.Products, productID, cmd)
		if res.err == nil {
			res.event = events[0]
		}
	} else {
		res = s.submit(ctx, productID, &job{cmd: cmd, keyed: keyed})
	}
	if res.err != nil {
		return Reserved{}, res.err
	}
	if res.replay {
		r, seq, err := loadFromLeader[domain.Reservation](ctx, s.es, eventstore.Reservations, cmd.ReservationID.String())
		return Reserved{Reservation: r, Replayed: true, Position: at(eventstore.Reservations, seq)}, err
	}
	hold := res.event.(domain.StockReserved)
	if h := s.cfg.Hooks.AfterHold; h != nil {
		if err := h(hold); err != nil {
			return Reserved{}, err
		}
	}
	r, seq, err := s.place(ctx, hold)
	if err == nil && res.placed != nil {
		res.placed.done()
	}
	return Reserved{Reservation: r, Position: Position{
		eventstore.Reservations.Stream(): seq,
		eventstore.Products.Stream():     res.seq,
	}}, err
}

// placed reports whether reservation id was placed, as any replica or the
// stream's leader has it.
func (s *Service) placed(ctx context.Context, id uuid.UUID, fromLeader bool) (bool, error) {
	last := s.es.Last
	if fromLeader {
		last = s.es.LastFromLeader
	}
	_, err := last(ctx, eventstore.Reservations, id.String())
	if errors.Is(err, eventstore.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// place writes the reservation whose unit hold holds. Placing it again, from
// this process or another, writes nothing and returns it as stored.
func (s *Service) place(ctx context.Context, hold domain.StockReserved) (domain.Reservation, uint64, error) {
	id := hold.ReservationID.String()
	var r domain.Reservation
	events, err := r.Decide(domain.Place{Hold: hold}, hold.At)
	if err != nil {
		return r, 0, err
	}
	for _, e := range events {
		r = r.Evolve(e)
	}
	seq, err := s.es.Append(ctx, eventstore.Reservations, id, 0, "", events, r)
	if errors.Is(err, eventstore.ErrConflict) {
		// Placed already, and maybe moved on since: return it as it is.
		r, seq, err = loadFromLeader[domain.Reservation](ctx, s.es, eventstore.Reservations, id)
	}
	return r, seq, err
}

// placeHeld is the placer's handler: it places every reservation held in a
// product message that is not placed yet.
func (s *Service) placeHeld(ctx context.Context, d eventstore.Delivery) error {
	if s.placedHere.has(d.Seq) {
		// This process placed every reservation of the message itself.
		return nil
	}
	for _, e := range d.Events {
		hold, ok := e.(domain.StockReserved)
		if !ok {
			continue
		}
		placed, err := s.placed(ctx, hold.ReservationID, false)
		if err != nil {
			return err
		}
		if placed {
			continue
		}
		if _, _, err := s.place(ctx, hold); err != nil {
			return err
		}
		s.log.Info("placed a reservation a crash left held", "reservation", hold.ReservationID, "subject", eventstore.Products.Subject(d.ID), "seq", d.Seq)
	}
	return nil
}

func validateKey(key string) error {
	if len(key) > MaxKeyLen {
		return fmt.Errorf("%w: Idempotency-Key is longer than %d characters", domain.ErrInvalid, MaxKeyLen)
	}
	for i := 0; i < len(key); i++ {
		if key[i] < 0x21 || key[i] > 0x7e {
			return fmt.Errorf("%w: Idempotency-Key may hold only visible ASCII characters", domain.ErrInvalid)
		}
	}
	return nil
}

// batchPlacement counts down the placements of one product message's
// holds made by the requests of this process; at zero the message is known
// placed, and the placer need not check it.
type batchPlacement struct {
	s         *Service
	seq       uint64
	remaining atomic.Int64
}

func (b *batchPlacement) done() {
	if b.remaining.Add(-1) == 0 {
		b.s.placedHere.add(b.seq)
	}
}

// seqSet remembers the last sequences added to it, up to a bound.
type seqSet struct {
	mu    sync.Mutex
	in    map[uint64]bool
	order []uint64
	bound int
}

func newSeqSet(bound int) *seqSet { return &seqSet{in: map[uint64]bool{}, bound: bound} }

func (s *seqSet) add(seq uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.in[seq] {
		return
	}
	s.in[seq] = true
	s.order = append(s.order, seq)
	if len(s.order) > s.bound {
		delete(s.in, s.order[0])
		s.order = s.order[1:]
	}
}

func (s *seqSet) has(seq uint64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.in[seq]
}
