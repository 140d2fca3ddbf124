package main_test

import (
	"regexp"
	"testing"
	"time"

	"github.com/tshop/tshop/domain"
	"github.com/tshop/tshop/internal/natstest"
	"github.com/tshop/tshop/internal/proctest"
)

func TestAssignerMetrics(t *testing.T) {
	e := newEnv(t)
	e.product(t, "galaxy-s26-256", 5)
	e.store(t, "only", 37.5, 127.0, 1)
	p := proctest.StartEnv(t, natstest.RoleEnv(natstest.Assigner), assignerBin, "--nats", e.ns.URL(), "--ops-addr", "127.0.0.1:0")
	first := e.reserve(t, "galaxy-s26-256", 1, 37.5, 127.0)
	eventually(t, 10*time.Second, "first accepted", func() bool { return e.reservation(t, first).Status == domain.StatusAccepted })
	e.reserve(t, "galaxy-s26-256", 2, 37.5, 127.0) // no room left: waits
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`(?m)^tshop_assignment_seconds_count 1$`),
		regexp.MustCompile(`(?m)^tshop_assigner_waiting 1$`),
		regexp.MustCompile(`(?m)^tshop_consumer_backlog\{consumer="store-assigner",state="unacked"\} 1$`),
		regexp.MustCompile(`(?m)^tshop_consumer_backlog\{consumer="store-assigner",state="pending"\} 0$`),
		regexp.MustCompile(`(?m)^tshop_consumer_parked_total 0$`),
		regexp.MustCompile(`(?m)^tshop_appends_total [1-9]`),
	} {
		eventually(t, 15*time.Second, want.String(), func() bool { return want.MatchString(p.Metrics(t)) })
	}
	p.Stop(t)
}
