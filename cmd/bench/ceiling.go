package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"net"
	"net/http"

	"github.com/go-chi/chi/v5"
)

// runCeiling serves the HTTP-ceiling baseline: a chi handler that decodes
// and encodes the same JSON as a reservation and does nothing else, in a
// process of its own like the api.
func runCeiling(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("ceiling", flag.ContinueOnError)
	addr := fs.String("http", "127.0.0.1:0", "listen address")
	if err := fs.Parse(args); err != nil {
		return err
	}
	type location struct {
		Lat float64 `json:"lat"`
		Lon float64 `json:"lon"`
	}
	type body struct {
		ProductID  string   `json:"productId"`
		CustomerID string   `json:"customerId"`
		Location   location `json:"location"`
	}
	r := chi.NewRouter()
	r.Post("/reservations", func(w http.ResponseWriter, r *http.Request) {
		var b body
		if err := json.NewDecoder(r.Body).Decode(&b); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		_ = json.NewEncoder(w).Encode(b)
	})
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: r}
	go func() { <-ctx.Done(); srv.Close() }()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
