package natsproc

import (
	"os"
	"strings"

	"github.com/nats-io/nats.go"

	"github.com/tshop/tshop/internal/natsauth"
)

// Credentials are the passwords of one run, one per user of nats-auth.conf.
// Every server gets all of them in its environment, where the
// authorization block reads them; each process gets the one of its role.
// A server without authorization ignores them, so they are always passed.
type Credentials map[natsauth.Role]string

// NewCredentials makes a random password for every user.
func NewCredentials() Credentials {
	c := Credentials{}
	for _, r := range natsauth.Roles() {
		c[r] = natsauth.NewPassword()
	}
	return c
}

// ServerEnv is a nats-server's environment: this process's, with every
// user's password.
func (c Credentials) ServerEnv() []string {
	env := withoutPrefixes(os.Environ(), "TSHOP_NATS_")
	for _, r := range natsauth.Roles() {
		env = append(env, r.PasswordEnv()+"="+c[r])
	}
	return env
}

// ClientEnv is the environment of a Tshop process logged in as role: this
// process's without any TSHOP_ or NATS_ variable, so the child is
// configured by its command line and not by the shell this runs in, plus
// NATS_USER and NATS_PASSWORD.
func (c Credentials) ClientEnv(role natsauth.Role) []string {
	return append(withoutPrefixes(os.Environ(), "TSHOP_", "NATS_"), role.Env(c[role])...)
}

// User logs a connection in as role.
func (c Credentials) User(role natsauth.Role) nats.Option {
	return nats.UserInfo(string(role), c[role])
}

func withoutPrefixes(env []string, prefixes ...string) []string {
	out := make([]string, 0, len(env))
next:
	for _, kv := range env {
		for _, p := range prefixes {
			if strings.HasPrefix(kv, p) {
				continue next
			}
		}
		out = append(out, kv)
	}
	return out
}
