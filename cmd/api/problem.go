package main

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/tshop/tshop/breaker"
	"github.com/tshop/tshop/domain"
	"github.com/tshop/tshop/eventstore"
	"github.com/tshop/tshop/projections"
	"github.com/tshop/tshop/shop"
)

// problem is an RFC 9457 problem detail with Tshop's stable code.
type problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail,omitempty"`
	Code   string `json:"code"`
}

// codes maps each error the api knows to its status and problem code. It is
// the one place an error becomes HTTP.
var codes = []struct {
	err    error
	status int
	code   string
}{
	{domain.ErrInvalid, http.StatusBadRequest, "invalid-request"},
	{domain.ErrNotFound, http.StatusNotFound, "not-found"},
	{domain.ErrOutOfStock, http.StatusConflict, "out-of-stock"},
	{domain.ErrInvalidTransition, http.StatusConflict, "invalid-transition"},
	{domain.ErrAlreadyExists, http.StatusConflict, "already-exists"},
	{shop.ErrKeyReused, http.StatusConflict, "already-exists"},
	{errUnsupportedMedia, http.StatusUnsupportedMediaType, "unsupported-media-type"},
	{errTooLarge, http.StatusRequestEntityTooLarge, "payload-too-large"},
	{errUnauthorized, http.StatusUnauthorized, "unauthorized"},
	{errForbidden, http.StatusForbidden, "forbidden"},
	{errRateLimited, http.StatusTooManyRequests, "rate-limited"},
	{breaker.ErrOpen, http.StatusServiceUnavailable, "unavailable"},
	{eventstore.ErrUnavailable, http.StatusServiceUnavailable, "unavailable"},
	{shop.ErrBusy, http.StatusServiceUnavailable, "unavailable"},
	{projections.ErrUnavailable, http.StatusServiceUnavailable, "unavailable"},
	{context.DeadlineExceeded, http.StatusServiceUnavailable, "unavailable"},
}

var titles = map[string]string{
	"invalid-request":        "The request is not valid",
	"not-found":              "No such resource",
	"out-of-stock":           "Out of stock (예약불가)",
	"invalid-transition":     "Not allowed in the reservation's current status",
	"already-exists":         "Already exists",
	"unsupported-media-type": "Send application/json",
	"payload-too-large":      "The request body is too large",
	"unauthorized":           "Authentication required",
	"forbidden":              "Not allowed",
	"rate-limited":           "Too many requests, retry later",
	"unavailable":            "Temporarily unavailable, retry later",
	"internal":               "Internal error",
}

// statusOf is the HTTP status and problem code of err: 500 "internal"
// for an error the table does not know.
func statusOf(err error) (int, string) {
	for _, c := range codes {
		if errors.Is(err, c.err) {
			return c.status, c.code
		}
	}
	return http.StatusInternalServerError, "internal"
}

// writeProblem answers err as problem+json. Errors it does not know are
// logged (once, here) and answered 500 without their text.
func (a *api) writeProblem(w http.ResponseWriter, r *http.Request, err error) {
	status, code := statusOf(err)
	detail := ""
	if code != "internal" {
		detail = err.Error()
	}
	switch {
	case status == http.StatusInternalServerError && errors.Is(err, context.Canceled):
		// The client went away; nobody reads the answer.
		status, code = 499, "unavailable"
	case status == http.StatusInternalServerError:
		a.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	case status == http.StatusUnauthorized:
		w.Header().Set("WWW-Authenticate", `Bearer realm="tshop", error="invalid_token"`)
	case status == http.StatusTooManyRequests:
		var limited *rateLimitedError
		if errors.As(err, &limited) {
			w.Header().Set("Retry-After", strconv.Itoa(retryAfter(limited.wait)))
		}
	case status == http.StatusServiceUnavailable:
		a.log.Warn("request unavailable", "method", r.Method, "path", r.URL.Path, "err", err)
		w.Header().Set("Retry-After", strconv.Itoa(retryAfter(a.breaker.RetryAfter())))
	}
	writeProblem(w, status, code, detail)
}

func retryAfter(d time.Duration) int {
	return max(1, int((d+time.Second-1)/time.Second))
}

func writeProblem(w http.ResponseWriter, status int, code, detail string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(problem{
		Type:   "/problems/" + code,
		Title:  titles[code],
		Status: status,
		Detail: detail,
		Code:   code,
	})
}
