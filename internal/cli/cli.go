// Package cli holds what every Tshop process shares at its edge: the NATS
// connection flags (with their environment variables) and the connection
// itself.
package cli

import (
	"flag"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
)

// NATS is how a process reaches NATS.
type NATS struct {
	URL      string
	Creds    string
	User     string
	Password string
}

// Register adds the NATS flags to fs, defaulting to the environment.
func (n *NATS) Register(fs *flag.FlagSet) {
	fs.StringVar(&n.URL, "nats", Env("NATS_URL", "nats://127.0.0.1:4222"), "NATS server URL, or a comma-separated list of a cluster's (env NATS_URL)")
	fs.StringVar(&n.Creds, "nats-creds", Env("NATS_CREDS", ""), "NATS credentials file (env NATS_CREDS)")
	fs.StringVar(&n.User, "nats-user", Env("NATS_USER", ""), "NATS user (env NATS_USER)")
	fs.StringVar(&n.Password, "nats-password", Env("NATS_PASSWORD", ""), "NATS password (env NATS_PASSWORD)")
}

// Connect opens the connection for the process called name. It reconnects
// forever; a publish while disconnected fails at once rather than being
// buffered, so an outage is a fast error, never a write that lands long
// after its caller gave up.
func (n *NATS) Connect(name string, log *slog.Logger) (*nats.Conn, error) {
	opts := []nats.Option{
		nats.Name(name),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(250 * time.Millisecond),
		nats.ReconnectBufSize(-1),
		nats.Timeout(2 * time.Second),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			log.Warn("disconnected from NATS", "err", err)
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) {
			log.Info("reconnected to NATS", "url", nc.ConnectedUrlRedacted())
		}),
		// A publish or subscription NATS refuses (a permissions
		// violation: the user lacks the subject) and a subscription that
		// falls behind are reported only here.
		nats.ErrorHandler(func(_ *nats.Conn, sub *nats.Subscription, err error) {
			if sub != nil {
				log.Error("NATS subscription error", "subject", sub.Subject, "err", err)
				return
			}
			log.Error("NATS error", "err", err)
		}),
	}
	switch {
	case n.Creds != "":
		opts = append(opts, nats.UserCredentials(n.Creds))
	case n.User != "":
		opts = append(opts, nats.UserInfo(n.User, n.Password))
	}
	nc, err := nats.Connect(n.URL, opts...)
	if err != nil {
		return nil, fmt.Errorf("connect to NATS at %s: %w", n.URL, err)
	}
	return nc, nil
}

// Env is the environment variable name, or def when it is not set.
func Env(name, def string) string {
	if v, ok := os.LookupEnv(name); ok {
		return v
	}
	return def
}

// EnvInt is Env for an integer.
func EnvInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil {
		return v
	}
	return def
}

// EnvFloat is Env for a number.
func EnvFloat(name string, def float64) float64 {
	if v, err := strconv.ParseFloat(os.Getenv(name), 64); err == nil {
		return v
	}
	return def
}

// EnvDuration is Env for a duration such as "2s".
func EnvDuration(name string, def time.Duration) time.Duration {
	if v, err := time.ParseDuration(os.Getenv(name)); err == nil {
		return v
	}
	return def
}

// Logger is the process's JSON logger on stderr.
func Logger(process string) *slog.Logger {
	return slog.New(slog.NewJSONHandler(os.Stderr, nil)).With("process", process)
}
