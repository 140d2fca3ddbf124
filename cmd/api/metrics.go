package main

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/tshop/tshop/breaker"
	"github.com/tshop/tshop/domain"
	"github.com/tshop/tshop/eventstore"
	"github.com/tshop/tshop/internal/metrics"
)

// apiMetrics are the api's own Prometheus metrics.
type apiMetrics struct {
	reg          *prometheus.Registry
	requests     *prometheus.CounterVec
	duration     *prometheus.HistogramVec
	reservations *prometheus.CounterVec
	batch        prometheus.Histogram
}

func newAPIMetrics(es *eventstore.Store, brk func() breaker.State) *apiMetrics {
	m := &apiMetrics{
		reg: metrics.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tshop_http_requests_total",
			Help: "HTTP requests answered, by route pattern, method and status."}, []string{"route", "method", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "tshop_http_request_duration_seconds",
			Help:    "Time to answer an HTTP request, by route pattern and method.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5}}, []string{"route", "method"}),
		reservations: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tshop_reservations_total",
			Help: "Reservation attempts by outcome: placed, replayed (same Idempotency-Key), out_of_stock, refused (invalid, unknown product, forbidden, rate limited), unavailable, failed."},
			[]string{"outcome"}),
		batch: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "tshop_group_commit_batch_size",
			Help:    "Reservations held by one product append (group commit).",
			Buckets: []float64{1, 2, 4, 8, 16, 32, 64, 128, 256}}),
	}
	for _, o := range []string{"placed", "replayed", "out_of_stock", "refused", "unavailable", "failed"} {
		m.reservations.WithLabelValues(o)
	}
	m.reg.MustRegister(m.requests, m.duration, m.reservations, m.batch,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "tshop_circuit_breaker_state",
			Help: "The api's circuit breaker around NATS: 0 closed (normal), 1 half-open (probing), 2 open (failing fast with 503)."},
			func() float64 { return float64(brk()) }))
	metrics.EventStore(m.reg, es)
	return m
}

// isOpsPath says whether path is one of the operators' endpoints: health
// checks and metrics, which load balancers and Prometheus call without a
// token and which are never shed.
func isOpsPath(path string) bool {
	return path == "/healthz" || path == "/readyz" || path == "/metrics"
}

// handler serves the metrics; with none, 404.
func (m *apiMetrics) handler() http.Handler {
	if m == nil {
		return http.NotFoundHandler()
	}
	return metrics.Handler(m.reg)
}

// instrument counts and times every request by its route pattern, so the
// labels stay few whatever paths clients send.
func (m *apiMetrics) instrument(next http.Handler) http.Handler {
	if m == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		ww := middleware.NewWrapResponseWriter(w, r.ProtoMajor)
		next.ServeHTTP(ww, r)
		route := "unmatched"
		if rc := chi.RouteContext(r.Context()); rc != nil && rc.RoutePattern() != "" {
			route = rc.RoutePattern()
		}
		status := ww.Status()
		if status == 0 {
			status = http.StatusOK
		}
		m.requests.WithLabelValues(route, r.Method, strconv.Itoa(status)).Inc()
		m.duration.WithLabelValues(route, r.Method).Observe(time.Since(start).Seconds())
	})
}

// reservation counts one reservation attempt's outcome.
func (m *apiMetrics) reservation(err error, replayed bool) {
	if m == nil {
		return
	}
	outcome := "placed"
	switch {
	case err == nil && replayed:
		outcome = "replayed"
	case err == nil:
	case errors.Is(err, domain.ErrOutOfStock):
		outcome = "out_of_stock"
	default:
		switch status, _ := statusOf(err); {
		case status == http.StatusServiceUnavailable:
			outcome = "unavailable"
		case status >= 400 && status < 500:
			outcome = "refused"
		default:
			outcome = "failed"
		}
	}
	m.reservations.WithLabelValues(outcome).Inc()
}
