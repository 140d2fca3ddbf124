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

// Debug is a process's optional debug listener: Go's pprof profiles at
// /debug/pprof/, for finding where time and memory go under real load.
// It is off unless an address is given, and should listen on loopback or
// a private network only.
type Debug struct {
	Addr string
}

// Register adds the --debug-addr flag, defaulting to the environment.
func (d *Debug) Register(fs *flag.FlagSet) {
	fs.StringVar(&d.Addr, "debug-addr", Env("TSHOP_DEBUG_ADDR", ""), "serve pprof profiles at http://ADDR/debug/pprof/ (env TSHOP_DEBUG_ADDR; off when empty)")
}

// Serve runs the debug listener until ctx ends. Without an address it
// returns at once; a listener that cannot start is logged, not fatal,
// since the process's own work does not depend on it.
func (d *Debug) Serve(ctx context.Context, log *slog.Logger) {
	if d.Addr == "" {
		return
	}
	ln, err := net.Listen("tcp", d.Addr)
	if err != nil {
		log.Warn("debug listener not started", "addr", d.Addr, "err", err)
		return
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	log.Info("debug listener", "addr", ln.Addr().String())
	go func() {
		<-ctx.Done()
		_ = srv.Close()
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Warn("debug listener stopped", "err", err)
	}
}
