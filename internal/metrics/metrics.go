// Package metrics holds what every Tshop process shares of its Prometheus
// metrics: a registry with the Go runtime and process collectors, the
// event store's counters, and the handler that serves them.
//
// Every metric is named tshop_*; labels have small, fixed sets of values
// (a route pattern, a stream, an outcome), never an id.
package metrics

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/tshop/tshop/eventstore"
)

// NewRegistry is a registry with the Go runtime and process collectors.
func NewRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

// Handler serves reg in the Prometheus text format.
func Handler(reg *prometheus.Registry) http.Handler {
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg})
}

// EventStore registers the store's counters: appends, conflicts and parked
// consumer messages.
func EventStore(reg prometheus.Registerer, es *eventstore.Store) {
	st := es.Stats()
	reg.MustRegister(
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "tshop_appends_total",
			Help: "Events appends stored in JetStream by this process."},
			func() float64 { return float64(st.Appends.Load()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "tshop_append_conflicts_total",
			Help: "Appends refused because the aggregate had moved on (optimistic concurrency); each is retried on the new state."},
			func() float64 { return float64(st.Conflicts.Load()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "tshop_consumer_parked_total",
			Help: "Consumer messages given up on (undecodable, or failing every attempt); each is logged at error level."},
			func() float64 { return float64(st.Parked.Load()) }),
	)
}

// Backlog is tshop_consumer_backlog{consumer,state}: what durable
// consumers still have to handle.
type Backlog struct {
	g *prometheus.GaugeVec
}

// NewBacklog registers the backlog gauge.
func NewBacklog(reg prometheus.Registerer) *Backlog {
	g := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "tshop_consumer_backlog",
		Help: "Messages a durable consumer still has to handle: pending (not yet delivered) and unacked (in hand or waiting to come back)."},
		[]string{"consumer", "state"})
	reg.MustRegister(g)
	return &Backlog{g: g}
}

// Watch reads a durable consumer's backlog from NATS every interval until
// ctx ends.
func (b *Backlog) Watch(ctx context.Context, es *eventstore.Store, k eventstore.Kind, durable string, every time.Duration, log *slog.Logger) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		cctx, cancel := context.WithTimeout(ctx, every)
		pending, unacked, err := es.Backlog(cctx, k, durable)
		cancel()
		if err == nil {
			b.g.WithLabelValues(durable, "pending").Set(float64(pending))
			b.g.WithLabelValues(durable, "unacked").Set(float64(unacked))
		} else if ctx.Err() == nil {
			log.Debug("reading the consumer backlog failed", "consumer", durable, "err", err)
		}
		select {
		case <-t.C:
		case <-ctx.Done():
			return
		}
	}
}
