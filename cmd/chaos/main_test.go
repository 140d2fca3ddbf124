package main

import (
	"fmt"
	"os"
	"testing"

	"github.com/tshop/tshop/internal/proctest"
)

// binDir holds the binaries the tests here run: api, projector, assigner,
// nats-server (as go.mod pins it) and chaos itself, built once.
var binDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "tshop-chaos-bin")
	if err != nil {
		panic(err)
	}
	for _, b := range []struct{ name, pkg string }{
		{"api", "../api"}, {"projector", "../projector"}, {"assigner", "../assigner"},
		{"nats-server", "github.com/nats-io/nats-server/v2"}, {"chaos", "."},
	} {
		if _, err := proctest.Build(dir, b.name, b.pkg); err != nil {
			os.RemoveAll(dir)
			fmt.Fprintf(os.Stderr, "build %s: %v\n", b.name, err)
			os.Exit(1)
		}
	}
	binDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}
