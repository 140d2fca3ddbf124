// Package natsauth names the NATS users that nats-auth.conf defines, one per
// process role and one for operators, and where their passwords come from:
// nats-server reads each from an environment variable; a process gets only
// its own, as NATS_USER and NATS_PASSWORD.
package natsauth

import (
	"crypto/rand"
	"strings"
)

// Role is a NATS user of nats-auth.conf.
type Role string

// The users of nats-auth.conf.
const (
	API       Role = "api"
	Projector Role = "projector"
	Assigner  Role = "assigner"
	Notifier  Role = "notifier"
	// Ops may do anything: the nats CLI, backups, benchmarks, test setup.
	Ops Role = "ops"
)

// Roles lists every user of nats-auth.conf.
func Roles() []Role { return []Role{API, Projector, Assigner, Notifier, Ops} }

// PasswordEnv is the environment variable nats-server reads the role's
// password from, as nats-auth.conf names it.
func (r Role) PasswordEnv() string {
	return "TSHOP_NATS_" + strings.ToUpper(string(r)) + "_PASSWORD"
}

// Env is the environment that makes a Tshop process log in as the role:
// NATS_USER and NATS_PASSWORD, to append to a child process's environment.
func (r Role) Env(password string) []string {
	return []string{"NATS_USER=" + string(r), "NATS_PASSWORD=" + password}
}

// NewPassword returns a random password (128 bits) of letters and digits
// that starts with a letter: nats-server parses an environment variable as
// a config value, and such a string is always a plain string.
func NewPassword() string { return "t" + rand.Text() }
