package projections

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/micro"

	"github.com/tshop/tshop/domain"
)

// ErrUnavailable means no projector answered in time, or the one that did
// had not reached the position asked for.
var ErrUnavailable = errors.New("read model unavailable")

// Client queries the read model over NATS.
type Client struct {
	nc      *nats.Conn
	timeout time.Duration
}

// NewClient returns a Client whose queries give up after timeout.
func NewClient(nc *nats.Conn, timeout time.Duration) *Client {
	return &Client{nc: nc, timeout: timeout}
}

// Reservation returns a reservation as the read model has it.
func (c *Client) Reservation(ctx context.Context, id string, after map[string]uint64) (domain.Reservation, error) {
	return ask[domain.Reservation](ctx, c, "reservation", Query{ID: id, After: after})
}

// CustomerReservations returns a customer's reservations, newest first.
func (c *Client) CustomerReservations(ctx context.Context, customerID string, limit int, after map[string]uint64) ([]domain.Reservation, error) {
	return ask[[]domain.Reservation](ctx, c, "reservations", Query{CustomerID: customerID, Limit: limit, After: after})
}

// History returns a reservation's events in order.
func (c *Client) History(ctx context.Context, id string, after map[string]uint64) ([]HistoryEntry, error) {
	return ask[[]HistoryEntry](ctx, c, "history", Query{ID: id, After: after})
}

// Product returns one product.
func (c *Client) Product(ctx context.Context, id string, after map[string]uint64) (domain.Product, error) {
	return ask[domain.Product](ctx, c, "product", Query{ID: id, After: after})
}

// Products returns every product.
func (c *Client) Products(ctx context.Context, after map[string]uint64) ([]domain.Product, error) {
	return ask[[]domain.Product](ctx, c, "products", Query{After: after})
}

// Store returns one store.
func (c *Client) Store(ctx context.Context, id string, after map[string]uint64) (domain.Store, error) {
	return ask[domain.Store](ctx, c, "store", Query{ID: id, After: after})
}

// Stores returns every store.
func (c *Client) Stores(ctx context.Context, after map[string]uint64) ([]domain.Store, error) {
	return ask[[]domain.Store](ctx, c, "stores", Query{After: after})
}

// StoreReservations returns the open reservations a store holds.
func (c *Client) StoreReservations(ctx context.Context, id string, after map[string]uint64) ([]domain.Reservation, error) {
	return ask[[]domain.Reservation](ctx, c, "store-reservations", Query{ID: id, After: after})
}

// Lag asks one projector how far behind the log it is.
func (c *Client) Lag(ctx context.Context) (map[string]Lag, error) {
	return ask[map[string]Lag](ctx, c, "lag", Query{})
}

func ask[T any](ctx context.Context, c *Client, endpoint string, q Query) (T, error) {
	var out T
	data, err := json.Marshal(q)
	if err != nil {
		return out, err
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	msg, err := c.nc.RequestWithContext(ctx, queryPrefix+"."+endpoint, data)
	if err != nil {
		return out, fmt.Errorf("%w: %s query: %w", ErrUnavailable, endpoint, err)
	}
	if code := msg.Header.Get(micro.ErrorCodeHeader); code != "" {
		desc := msg.Header.Get(micro.ErrorHeader)
		switch code {
		case codeNotFound:
			return out, remoteError{desc, domain.ErrNotFound}
		case codeBadRequest:
			return out, remoteError{desc, domain.ErrInvalid}
		}
		return out, fmt.Errorf("%w: %s", ErrUnavailable, desc)
	}
	if err := json.Unmarshal(msg.Data, &out); err != nil {
		return out, fmt.Errorf("%s query: %w", endpoint, err)
	}
	return out, nil
}

// Admin asks the projector holding the read model file at path on this
// host to copy it (op "copy") or to swap in another file (op "swap").
// ErrUnavailable wraps nats.ErrNoResponders when no projector holds it.
func Admin(ctx context.Context, nc *nats.Conn, path, op, arg string) error {
	data, err := json.Marshal(adminRequest{Op: op, Path: arg})
	if err != nil {
		return err
	}
	msg, err := nc.RequestWithContext(ctx, adminPrefix+"."+AdminToken(path), data)
	if err != nil {
		return fmt.Errorf("%w: %s %s: %w", ErrUnavailable, op, path, err)
	}
	if code := msg.Header.Get(micro.ErrorCodeHeader); code != "" {
		return fmt.Errorf("%s %s: %s", op, path, msg.Header.Get(micro.ErrorHeader))
	}
	return nil
}

// remoteError is an error a projector answered: its text as the projector
// wrote it, its kind for errors.Is.
type remoteError struct {
	desc string
	kind error
}

func (e remoteError) Error() string { return e.desc }
func (e remoteError) Unwrap() error { return e.kind }
