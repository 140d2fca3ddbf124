package main

import (
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/tshop/tshop/projections"
)

// progress shows a replay's progress: a bar redrawn in place on a
// terminal, a plain line every few seconds otherwise.
type progress struct {
	out      *os.File
	what     string
	terminal bool
	start    time.Time

	mu      sync.Mutex
	applied uint64
	last    time.Time
	drawn   bool
}

func newProgress(out *os.File, what string) *progress {
	fi, err := out.Stat()
	return &progress{out: out, what: what, terminal: err == nil && fi.Mode()&os.ModeCharDevice != 0, start: time.Now()}
}

func (p *progress) update(pr projections.Progress) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.applied = pr.Applied
	every := 2 * time.Second
	if p.terminal {
		every = 100 * time.Millisecond
	}
	if time.Since(p.last) < every && pr.Applied < pr.Total {
		return
	}
	p.last = time.Now()
	p.draw(pr)
}

func (p *progress) draw(pr projections.Progress) {
	elapsed := time.Since(p.start).Seconds()
	rate := float64(pr.Applied) / max(elapsed, 1e-9)
	frac := 1.0
	if pr.Total > 0 {
		frac = float64(pr.Applied) / float64(pr.Total)
	}
	eta := "--"
	if rate > 0 && pr.Total >= pr.Applied {
		eta = (time.Duration(float64(pr.Total-pr.Applied)/rate) * time.Second).Round(time.Second).String()
	}
	if !p.terminal {
		fmt.Fprintf(p.out, "%s: %5.1f%% (%d/%d events), %.0f events/s, ETA %s\n", p.what, 100*frac, pr.Applied, pr.Total, rate, eta)
		return
	}
	const width = 30
	full := int(frac * width)
	fmt.Fprintf(p.out, "\r%s [%s%s] %5.1f%%  %8.0f events/s  ETA %-8s", p.what,
		strings.Repeat("█", full), strings.Repeat("·", width-full), 100*frac, rate, eta)
	p.drawn = true
}

// clear wipes the bar so a line can be printed.
func (p *progress) clear() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.drawn {
		fmt.Fprintf(p.out, "\r%s\r", strings.Repeat(" ", 80))
		p.drawn = false
	}
}

func (p *progress) done() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.drawn {
		fmt.Fprintln(p.out)
		p.drawn = false
	}
}
