package main

import (
	"strings"
	"testing"
)

// metricValue finds the sample named by its full series text (name and
// labels as exposed) in a /metrics answer.
func metricValue(t *testing.T, body, series string) string {
	t.Helper()
	for line := range strings.SplitSeq(body, "\n") {
		if v, ok := strings.CutPrefix(line, series+" "); ok {
			return v
		}
	}
	t.Errorf("no series %s in /metrics", series)
	return ""
}

func TestMetrics(t *testing.T) {
	_, a := setup(t)
	createProduct(t, a, "p-metrics", 1)
	if res := a.do("POST", "/reservations", reserveBody("p-metrics", "c-1"), "Idempotency-Key", "k-1"); res.Status != 201 {
		t.Fatalf("reserve: %d %s", res.Status, res.Body)
	}
	if res := a.do("POST", "/reservations", reserveBody("p-metrics", "c-1"), "Idempotency-Key", "k-1"); res.Status != 201 {
		t.Fatalf("replay: %d %s", res.Status, res.Body)
	}
	if res := a.do("POST", "/reservations", reserveBody("p-metrics", "c-2")); res.Status != 409 {
		t.Fatalf("sold out: %d %s", res.Status, res.Body)
	}
	if res := a.do("POST", "/reservations", reserveBody("no-such-product", "c-2")); res.Status != 404 {
		t.Fatalf("unknown product: %d %s", res.Status, res.Body)
	}
	a.do("GET", "/no/such/route", nil)
	res := a.do("GET", "/metrics", nil)
	if res.Status != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("/metrics: %d %s", res.Status, res.Header.Get("Content-Type"))
	}
	body := string(res.Body)
	for series, want := range map[string]string{
		`tshop_reservations_total{outcome="placed"}`:                                     "1",
		`tshop_reservations_total{outcome="replayed"}`:                                   "1",
		`tshop_reservations_total{outcome="out_of_stock"}`:                               "1",
		`tshop_reservations_total{outcome="refused"}`:                                    "1",
		`tshop_reservations_total{outcome="unavailable"}`:                                "0",
		`tshop_http_requests_total{method="POST",route="/reservations",status="201"}`:    "2",
		`tshop_http_requests_total{method="POST",route="/reservations",status="409"}`:    "1",
		`tshop_http_requests_total{method="POST",route="/products",status="201"}`:        "1",
		`tshop_http_requests_total{method="GET",route="unmatched",status="404"}`:         "1",
		`tshop_http_request_duration_seconds_count{method="POST",route="/reservations"}`: "4",
		`tshop_group_commit_batch_size_count`:                                            "1",
		`tshop_circuit_breaker_state`:                                                    "0",
		`tshop_append_conflicts_total`:                                                   "0",
		`tshop_consumer_parked_total`:                                                    "0",
	} {
		if got := metricValue(t, body, series); got != want {
			t.Errorf("%s = %s, want %s", series, got, want)
		}
	}
	// Product create, hold, placement: at least three appends.
	if got := metricValue(t, body, "tshop_appends_total"); got == "0" || got == "1" || got == "2" {
		t.Errorf("tshop_appends_total = %s, want at least 3", got)
	}
	if !strings.Contains(body, "go_goroutines ") || !strings.Contains(body, "process_resident_memory_bytes ") {
		t.Error("no Go runtime or process metrics")
	}
}
