package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/tshop/tshop/internal/load"
)

// newClient keeps up to conns connections open to one host.
func newClient(conns int) *http.Client {
	return &http.Client{Transport: &http.Transport{
		MaxConnsPerHost:     conns,
		MaxIdleConnsPerHost: conns,
		IdleConnTimeout:     time.Minute,
		DisableCompression:  true,
	}}
}

// kindOf labels how a request ended.
func kindOf(res *http.Response, err error) string {
	switch {
	case err == nil:
		return strconv.Itoa(res.StatusCode)
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	}
	return "conn-error"
}

var customerSeq atomic.Int64

// reservationBody is a reservation of product by a new customer near Seoul.
func reservationBody(product string) []byte {
	n := customerSeq.Add(1)
	return fmt.Appendf(nil, `{"productId":%q,"customerId":"c-%d","location":{"lat":%.4f,"lon":%.4f}}`,
		product, n, 37.45+rand.Float64()*0.2, 126.85+rand.Float64()*0.3)
}

// reserve is a load request that posts a reservation of pick() to base.
func reserve(c *http.Client, base string, pick func() string) load.Request {
	return func(ctx context.Context) string {
		req, _ := http.NewRequestWithContext(ctx, "POST", base+"/reservations", bytes.NewReader(reservationBody(pick())))
		req.Header.Set("Content-Type", "application/json")
		res, err := c.Do(req)
		if err == nil {
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
		}
		return kindOf(res, err)
	}
}

// post sends a JSON body and decodes the answer into out (if not nil).
func post(ctx context.Context, c *http.Client, url string, body any, out any) (int, http.Header, error) {
	raw, err := json.Marshal(body)
	if err != nil {
		return 0, nil, err
	}
	req, _ := http.NewRequestWithContext(ctx, "POST", url, bytes.NewReader(raw))
	req.Header.Set("Content-Type", "application/json")
	return do(c, req, out)
}

func get(ctx context.Context, c *http.Client, url string, out any) (int, http.Header, error) {
	req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
	return do(c, req, out)
}

func do(c *http.Client, req *http.Request, out any) (int, http.Header, error) {
	res, err := c.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return res.StatusCode, res.Header, err
	}
	if out != nil && res.StatusCode < 300 {
		if err := json.Unmarshal(raw, out); err != nil {
			return res.StatusCode, res.Header, err
		}
	}
	return res.StatusCode, res.Header, nil
}

// createProducts makes n products with the given stock, ids prefix-0000…
func createProducts(ctx context.Context, c *http.Client, base, prefix string, n, stock int) ([]string, error) {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("%s-%04d", prefix, i)
		status, _, err := post(ctx, c, base+"/products", map[string]any{"id": ids[i], "name": "Phone " + ids[i], "stock": stock}, nil)
		if err != nil || status != http.StatusCreated {
			return nil, fmt.Errorf("create product %s: %d %v", ids[i], status, err)
		}
	}
	return ids, nil
}

// createStores makes n stores on a grid over Seoul, with room for capacity
// each.
func createStores(ctx context.Context, c *http.Client, base string, n, capacity int) error {
	side := 1
	for side*side < n {
		side++
	}
	for i := range n {
		body := map[string]any{"id": fmt.Sprintf("bench-store-%04d", i), "name": "Bench store", "capacity": capacity,
			"lat": 37.45 + 0.2*float64(i%side)/float64(side), "lon": 126.85 + 0.3*float64(i/side)/float64(side)}
		status, _, err := post(ctx, c, base+"/stores", body, nil)
		if err != nil || status != http.StatusCreated {
			return fmt.Errorf("create store %d: %d %v", i, status, err)
		}
	}
	return nil
}
