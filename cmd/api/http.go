package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"

	"github.com/tshop/tshop/breaker"
	"github.com/tshop/tshop/domain"
	"github.com/tshop/tshop/eventstore"
	"github.com/tshop/tshop/projections"
	"github.com/tshop/tshop/shop"
)

// api serves the HTTP API over a shop.Service.
type api struct {
	svc     *shop.Service
	views   *projections.Client
	es      *eventstore.Store
	breaker *breaker.Breaker
	log     *slog.Logger
	// timeout bounds the work of one request.
	timeout time.Duration
	// ready reports whether NATS is connected.
	connected func() bool
	// auth checks bearer tokens; nil runs the api open.
	auth *authenticator
	// limiter bounds each customer's reservation attempts; nil, no bound.
	limiter *customerLimiter
	// maxInflight is how many requests may run at once before the api
	// sheds load with 503.
	maxInflight int
	// metrics are the api's Prometheus metrics; nil, none.
	metrics *apiMetrics
	// relay streams the read model's changes to pages; nil, none.
	relay *relay
}

func (a *api) routes() http.Handler {
	r := chi.NewRouter()
	r.Use(a.recoverer, a.metrics.instrument, a.limitInflight(a.maxInflight), a.authn)
	r.NotFound(func(w http.ResponseWriter, r *http.Request) {
		writeProblem(w, http.StatusNotFound, "not-found", "no route "+r.URL.Path)
	})
	r.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) {
		writeProblem(w, http.StatusMethodNotAllowed, "invalid-request", r.Method+" is not allowed on "+r.URL.Path)
	})
	r.Get("/healthz", a.healthz)
	r.Get("/readyz", a.readyz)
	r.Get("/metrics", a.metrics.handler().ServeHTTP)
	r.Get(openAPIYAMLPath, serveOpenAPIYAML)
	r.Get(openAPIJSONPath, serveOpenAPIJSON)
	r.Get("/", a.page)
	r.Get("/assets/*", a.asset)

	admin, customer, staff := only(roleAdmin), only(roleCustomer), only(roleStaff)
	r.With(admin).Get("/events", a.serveEvents)
	r.With(admin).Post("/products", a.handle(a.createProduct))
	r.Get("/products", a.handle(a.listProducts))
	r.Get("/products/{id}", a.handle(a.getProduct))
	r.With(admin).Post("/products/{id}/restock", a.handle(a.restock))

	r.With(admin).Post("/stores", a.handle(a.createStore))
	r.Get("/stores", a.handle(a.listStores))
	r.Get("/stores/{id}", a.handle(a.getStore))
	r.With(only(roleAdmin, roleStaff)).Get("/stores/{id}/reservations", a.handle(a.storeReservations))
	r.With(admin).Post("/stores/{id}/pause", a.handle(a.pauseStore))
	r.With(admin).Post("/stores/{id}/resume", a.handle(a.resumeStore))

	r.With(customer).Post("/reservations", a.handle(a.createReservation))
	r.With(only(roleAdmin, roleCustomer)).Get("/reservations", a.handle(a.listReservations))
	r.Get("/reservations/{id}", a.handle(a.getReservation))
	r.Get("/reservations/{id}/history", a.handle(a.history))
	r.With(customer).Patch("/reservations/{id}", a.handle(a.patchReservation))
	r.With(staff).Post("/reservations/{id}/reject", a.handle(a.reject))
	r.With(staff).Post("/reservations/{id}/fulfill", a.handle(a.fulfill))
	return r
}

// recoverer turns a panic in a handler into a logged 500 problem, so one bad
// request cannot take the process down.
func (a *api) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				a.log.Error("handler panicked", "method", r.Method, "path", r.URL.Path, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
				writeProblem(w, http.StatusInternalServerError, "internal", "")
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// handle adapts a handler that returns an error, bounding its time and
// answering its error as problem+json.
func (a *api) handle(fn func(http.ResponseWriter, *http.Request) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), a.timeout)
		defer cancel()
		if err := fn(w, r.WithContext(ctx)); err != nil {
			a.writeProblem(w, r, err)
		}
	}
}

// call runs one use of the event log through the circuit breaker: while NATS
// keeps failing, requests fail at once instead of each waiting out a timeout.
func (a *api) call(fn func() error) error {
	done, err := a.breaker.Allow()
	if err != nil {
		return err
	}
	err = fn()
	done(errors.Is(err, eventstore.ErrUnavailable) || errors.Is(err, context.DeadlineExceeded))
	// A read model that is behind or has no replica running is not a NATS
	// failure: it leaves the breaker as it is.
	return err
}

// query runs a read through the breaker and answers its view with 200.
func query[T, V any](a *api, w http.ResponseWriter, fn func() (T, error), view func(T) V) error {
	var v T
	err := a.call(func() (err error) {
		v, err = fn()
		return err
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, view(v))
	return nil
}

// command runs a command through the breaker and answers its view with
// status, naming where its events are in the log in the Tshop-Position
// header: a read that passes it back as ?position= reflects them.
func command[T, V any](a *api, w http.ResponseWriter, status int, fn func() (T, shop.Position, error), view func(T) V) error {
	var v T
	var pos shop.Position
	err := a.call(func() (err error) {
		v, pos, err = fn()
		return err
	})
	if err != nil {
		return err
	}
	w.Header().Set("Tshop-Position", formatPosition(pos))
	writeJSON(w, status, view(v))
	return nil
}

// views maps a list to its views; an empty list encodes as [], not null.
func views[T, V any](view func(T) V) func([]T) []V {
	return func(list []T) []V {
		out := make([]V, len(list))
		for i, v := range list {
			out[i] = view(v)
		}
		return out
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (a *api) healthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (a *api) readyz(w http.ResponseWriter, r *http.Request) {
	if !a.connected() {
		w.Header().Set("Retry-After", "1")
		writeProblem(w, http.StatusServiceUnavailable, "unavailable", "not connected to NATS")
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), a.timeout)
	defer cancel()
	if err := a.es.Check(ctx); err != nil {
		w.Header().Set("Retry-After", "1")
		writeProblem(w, http.StatusServiceUnavailable, "unavailable", err.Error())
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready", "breaker": a.breaker.State().String()})
}

// reservationID parses the {id} of a reservation route.
func reservationID(r *http.Request) (uuid.UUID, error) {
	s := chi.URLParam(r, "id")
	id, err := uuid.Parse(s)
	if err != nil || len(s) != 36 {
		return uuid.Nil, fmt.Errorf("%w: reservation id must be a UUID", domain.ErrInvalid)
	}
	return id, nil
}

// pathID parses the {id} of a product or store route.
func pathID(r *http.Request) (string, error) {
	id := chi.URLParam(r, "id")
	return id, domain.ValidateID("id", id)
}
