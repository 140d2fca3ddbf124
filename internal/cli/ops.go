package cli

import (
	"context"
	"errors"
	"flag"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"time"
)

// Ops is a process's optional listener for operators: Prometheus metrics
// at /metrics and Go's pprof profiles at /debug/pprof/, for finding where
// time and memory go under real load. It is off unless an address is
// given, and should listen on loopback or a private network only.
type Ops struct {
	Addr string
}

// Register adds the --ops-addr flag, defaulting to the environment.
func (d *Ops) Register(fs *flag.FlagSet) {
	fs.StringVar(&d.Addr, "ops-addr", Env("TSHOP_OPS_ADDR", ""), "serve /metrics and pprof profiles (/debug/pprof/) at this address (env TSHOP_OPS_ADDR; off when empty)")
}

// Serve runs the listener until ctx ends, with metrics at /metrics.
// Without an address it returns at once; a listener that cannot start is
// logged, not fatal, since the process's own work does not depend on it.
func (d *Ops) Serve(ctx context.Context, log *slog.Logger, metrics http.Handler) {
	if d.Addr == "" {
		return
	}
	ln, err := net.Listen("tcp", d.Addr)
	if err != nil {
		log.Warn("ops listener not started", "addr", d.Addr, "err", err)
		return
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", metrics)
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	log.Info("ops listener", "addr", ln.Addr().String())
	go func() {
		<-ctx.Done()
		_ = srv.Close()
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Warn("ops listener stopped", "err", err)
	}
}
