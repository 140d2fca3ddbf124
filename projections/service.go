package projections

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/micro"

	"github.com/tshop/tshop/domain"
	"github.com/tshop/tshop/eventstore"
)

// The query service: every projector serves it in one queue group, so the
// replicas share the queries and any of them may answer any query.
const (
	ServiceName = "tshop-projector"
	queryPrefix = "tshop.query"
	adminPrefix = "tshop.projector.admin"
	// MaxLimit bounds a list query.
	MaxLimit = 500
)

// Query asks the read model for one view.
type Query struct {
	ID         string `json:"id,omitempty"`
	CustomerID string `json:"customerId,omitempty"`
	Limit      int    `json:"limit,omitempty"`
	// After names log positions (stream name → sequence) the answer must
	// reflect: the read model waits, a bounded time, until it has applied
	// them.
	After map[string]uint64 `json:"after,omitempty"`
}

// ServiceConfig configures Serve.
type ServiceConfig struct {
	// MaxWait bounds how long a query waits for the read model to reach
	// its position before it answers unavailable. Default 2 seconds.
	MaxWait time.Duration
	// Lag reports the projector's lag, for the lag endpoint.
	Lag func() map[string]Lag
	// Ready, when set, is called once every endpoint is subscribed.
	Ready func()
	// Swap replaces the read model with the file at a path, brought up
	// to date first (Projector.Replace).
	Swap func(ctx context.Context, path string) error
	// End, when set, reports the last sequence of a stream in the log
	// (eventstore.Store.LastSeq). A query whose position the read model
	// has not reached after a tenth of MaxWait is checked against it (one
	// call at a time per stream, its answer shared): a position past the
	// end of the log, which no Tshop-Position header ever named, is
	// answered as a bad request at once instead of waiting out MaxWait to
	// answer unavailable.
	End    func(ctx context.Context, k eventstore.Kind) (uint64, error)
	Logger *slog.Logger
}

// Serve answers queries from db over NATS until ctx ends. It also serves
// this read model's admin subject (copy, swap), addressed to it alone.
//
// Queries are plain queue-group subscriptions, each answered in a
// goroutine of its own: a query waiting for its position must not hold up
// the others, and a micro endpoint handler must answer before it returns.
// The micro service carries the lag and admin endpoints, and makes the
// replicas visible to `nats micro ls`.
func Serve(ctx context.Context, nc *nats.Conn, db *DB, cfg ServiceConfig) error {
	if cfg.MaxWait <= 0 {
		cfg.MaxWait = 2 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	svc, err := micro.AddService(nc, micro.Config{
		Name:        ServiceName,
		Version:     "1.0.0",
		Description: "Tshop customer-center read model",
		QueueGroup:  ServiceName,
	})
	if err != nil {
		return fmt.Errorf("query service: %w", err)
	}
	defer svc.Stop()
	s := &server{db: db, cfg: cfg, inflight: make(chan struct{}, maxInflight)}
	if cfg.End != nil {
		s.ends = newLogEnds(cfg.End)
	}
	queries := map[string]func(Query, KV) (any, error){
		"reservation":        s.reservation,
		"reservations":       s.customerReservations,
		"history":            s.history,
		"product":            s.product,
		"products":           func(_ Query, kv KV) (any, error) { return Products(kv) },
		"store":              s.store,
		"stores":             func(_ Query, kv KV) (any, error) { return Stores(kv) },
		"store-reservations": s.storeReservations,
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	for name, h := range queries {
		sub, err := nc.QueueSubscribe(queryPrefix+"."+name, ServiceName, func(msg *nats.Msg) {
			select {
			case s.inflight <- struct{}{}:
			default:
				respondError(msg, codeUnavailable, "read model busy")
				return
			}
			wg.Go(func() {
				defer func() { <-s.inflight }()
				s.answer(ctx, msg, h)
			})
		})
		if err != nil {
			return fmt.Errorf("query subscription %s: %w", name, err)
		}
		defer sub.Unsubscribe()
	}
	g := svc.AddGroup(queryPrefix)
	if err := g.AddEndpoint("lag", micro.HandlerFunc(func(req micro.Request) {
		var lag map[string]Lag
		if cfg.Lag != nil {
			lag = cfg.Lag()
		}
		_ = req.RespondJSON(lag)
	})); err != nil {
		return err
	}
	admin := svc.AddGroup(adminPrefix, micro.WithGroupQueueGroupDisabled())
	if err := admin.AddEndpoint(AdminToken(db.Path()), micro.HandlerFunc(func(req micro.Request) { s.admin(ctx, req) })); err != nil {
		return fmt.Errorf("admin endpoint: %w", err)
	}
	if err := nc.Flush(); err != nil {
		return fmt.Errorf("query service: %w", err)
	}
	if cfg.Ready != nil {
		cfg.Ready()
	}
	<-ctx.Done()
	return nil
}

// maxInflight bounds the queries one replica works on at once; beyond it a
// query is answered unavailable at once rather than queued.
const maxInflight = 1024

type server struct {
	db       *DB
	cfg      ServiceConfig
	inflight chan struct{}
	ends     *logEnds // nil without cfg.End
}

// Error codes of the query service, as HTTP statuses.
const (
	codeBadRequest  = "400"
	codeNotFound    = "404"
	codeUnavailable = "503"
)

// answer waits until the read model has reached the query's position,
// then answers it from one consistent view.
func (s *server) answer(ctx context.Context, msg *nats.Msg, h func(Query, KV) (any, error)) {
	var q Query
	if err := json.Unmarshal(msg.Data, &q); err != nil {
		respondError(msg, codeBadRequest, "query is not valid JSON")
		return
	}
	wctx, cancel := context.WithTimeout(ctx, s.cfg.MaxWait)
	defer cancel()
	for stream, seq := range q.After {
		k, ok := kindOf(stream)
		if !ok {
			respondError(msg, codeBadRequest, "unknown stream "+stream)
			return
		}
		if err := s.waitFor(wctx, k, seq); err != nil {
			if errors.Is(err, domain.ErrInvalid) {
				respondError(msg, codeBadRequest, err.Error())
				return
			}
			respondError(msg, codeUnavailable, fmt.Sprintf("read model behind %s %d", stream, seq))
			return
		}
	}
	var out any
	err := s.db.View(func(kv KV) (err error) {
		out, err = h(q, kv)
		return err
	})
	switch {
	case errors.Is(err, domain.ErrNotFound):
		respondError(msg, codeNotFound, err.Error())
	case errors.Is(err, domain.ErrInvalid):
		respondError(msg, codeBadRequest, err.Error())
	case err != nil:
		s.cfg.Logger.Error("query failed", "subject", msg.Subject, "err", err)
		respondError(msg, codeUnavailable, err.Error())
	default:
		data, err := json.Marshal(out)
		if err != nil {
			respondError(msg, codeUnavailable, err.Error())
			return
		}
		_ = msg.Respond(data)
	}
}

// waitFor waits until the read model has applied seq of k's stream, or
// ctx ends. Each tenth of MaxWait it waits in vain, it checks that the log
// reaches seq at all, and fails with domain.ErrInvalid at once if not.
func (s *server) waitFor(ctx context.Context, k eventstore.Kind, seq uint64) error {
	if s.ends == nil {
		return s.db.WaitFor(ctx, k, seq)
	}
	for {
		soon, cancel := context.WithTimeout(ctx, s.cfg.MaxWait/10)
		err := s.db.WaitFor(soon, k, seq)
		cancel()
		if err == nil || ctx.Err() != nil {
			return err
		}
		past, checked := s.ends.past(ctx, k, seq)
		if past {
			return fmt.Errorf("%w: position %s:%d is past the end of the log", domain.ErrInvalid, k.Stream(), seq)
		}
		if checked {
			return s.db.WaitFor(ctx, k, seq)
		}
	}
}

// respondError answers with an error the way micro services do: in the
// Nats-Service-Error and Nats-Service-Error-Code headers.
func respondError(msg *nats.Msg, code, desc string) {
	reply := nats.NewMsg(msg.Reply)
	reply.Header.Set(micro.ErrorHeader, desc)
	reply.Header.Set(micro.ErrorCodeHeader, code)
	_ = msg.RespondMsg(reply)
}

// found turns a missing view into domain.ErrNotFound naming it.
func found[T any](what, id string) func(T, bool, error) (any, error) {
	return func(v T, ok bool, err error) (any, error) {
		if err == nil && !ok {
			err = fmt.Errorf("%s %s: %w", what, id, domain.ErrNotFound)
		}
		return v, err
	}
}

func (s *server) reservation(q Query, kv KV) (any, error) {
	return found[domain.Reservation]("reservation", q.ID)(Reservation(kv, q.ID))
}

func (s *server) product(q Query, kv KV) (any, error) {
	return found[domain.Product]("product", q.ID)(Product(kv, q.ID))
}

func (s *server) store(q Query, kv KV) (any, error) {
	return found[domain.Store]("store", q.ID)(Store(kv, q.ID))
}

func (s *server) history(q Query, kv KV) (any, error) {
	return found[[]HistoryEntry]("reservation", q.ID)(History(kv, q.ID))
}

func (s *server) storeReservations(q Query, kv KV) (any, error) {
	return found[[]domain.Reservation]("store", q.ID)(StoreReservations(kv, q.ID))
}

func (s *server) customerReservations(q Query, kv KV) (any, error) {
	if err := domain.ValidateID("customerId", q.CustomerID); err != nil {
		return nil, err
	}
	limit := q.Limit
	if limit <= 0 || limit > MaxLimit {
		limit = MaxLimit
	}
	return CustomerReservations(kv, q.CustomerID, limit)
}

// adminRequest is what the projector CLI asks of the projector that holds a
// read model file.
type adminRequest struct {
	// Op is "copy" (write a consistent copy to Path) or "swap" (replace
	// the read model with the file at Path).
	Op   string `json:"op"`
	Path string `json:"path"`
}

func (s *server) admin(ctx context.Context, req micro.Request) {
	var a adminRequest
	if err := json.Unmarshal(req.Data(), &a); err != nil || a.Path == "" {
		_ = req.Error(codeBadRequest, "admin request needs op and path", nil)
		return
	}
	var err error
	switch a.Op {
	case "copy":
		err = s.db.CopyTo(a.Path)
	case "swap":
		if s.cfg.Swap == nil {
			err = errors.New("this projector cannot swap its read model")
			break
		}
		err = s.cfg.Swap(ctx, a.Path)
	default:
		err = fmt.Errorf("unknown admin op %q", a.Op)
	}
	if err != nil {
		s.cfg.Logger.Error("admin request failed", "op", a.Op, "path", a.Path, "err", err)
		_ = req.Error(codeUnavailable, err.Error(), nil)
		return
	}
	s.cfg.Logger.Info("admin request done", "op", a.Op, "path", a.Path)
	_ = req.RespondJSON(map[string]string{"done": a.Op})
}

// AdminToken names the admin endpoint of the projector holding the read
// model at path on this host.
func AdminToken(path string) string {
	abs, err := filepath.Abs(path)
	if err != nil {
		abs = path
	}
	host, _ := os.Hostname()
	sum := sha256.Sum256([]byte(host + "\x00" + abs))
	return hex.EncodeToString(sum[:8])
}

func kindOf(stream string) (eventstore.Kind, bool) {
	for _, k := range eventstore.Kinds() {
		if k.Stream() == stream {
			return k, true
		}
	}
	return 0, false
}
