package main

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/tshop/tshop/projections"
)

// lagCollector reads the projector's lag per stream at each scrape.
type lagCollector struct {
	lag                      func() map[string]projections.Lag
	events, seconds, applied *prometheus.Desc
}

func newLagCollector(lag func() map[string]projections.Lag) *lagCollector {
	return &lagCollector{
		lag: lag,
		events: prometheus.NewDesc("tshop_projector_lag_events",
			"Messages of the stream stored but not yet applied to this read model.", []string{"stream"}, nil),
		seconds: prometheus.NewDesc("tshop_projector_lag_seconds",
			"Age of the oldest message of the stream not yet applied to this read model (0 when caught up).", []string{"stream"}, nil),
		applied: prometheus.NewDesc("tshop_projector_checkpoint",
			"Stream sequence this read model has applied up to.", []string{"stream"}, nil),
	}
}

func (c *lagCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.events
	ch <- c.seconds
	ch <- c.applied
}

func (c *lagCollector) Collect(ch chan<- prometheus.Metric) {
	for stream, l := range c.lag() {
		ch <- prometheus.MustNewConstMetric(c.events, prometheus.GaugeValue, float64(l.Events), stream)
		ch <- prometheus.MustNewConstMetric(c.seconds, prometheus.GaugeValue, l.Seconds, stream)
		ch <- prometheus.MustNewConstMetric(c.applied, prometheus.GaugeValue, float64(l.Checkpoint), stream)
	}
}
