package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/tshop/tshop/domain"
)

// Roles a token may carry.
const (
	roleCustomer = "customer"
	roleStaff    = "staff"
	roleAdmin    = "admin"
)

var (
	errUnauthorized = errors.New("a valid bearer token is required")
	errForbidden    = errors.New("not allowed for this caller")
)

// principal is who a request acts for, as its token says.
type principal struct {
	Sub   string
	Role  string
	Store string // staff only: the store they work at
}

// claims are the token's claims Tshop reads.
type claims struct {
	Role  string `json:"role"`
	Store string `json:"store,omitempty"`
	jwt.RegisteredClaims
}

// authenticator checks HS256 bearer tokens signed with one secret.
type authenticator struct {
	secret []byte
	parser *jwt.Parser
}

// tokenLeeway absorbs clock skew between the token's issuer and the api.
const tokenLeeway = 30 * time.Second

func newAuthenticator(secret string) *authenticator {
	return &authenticator{
		secret: []byte(secret),
		// Only HS256: a token naming any other algorithm (none, RS256 with
		// the secret as a "public key", HS512) is refused before its
		// signature is looked at.
		parser: jwt.NewParser(
			jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
			jwt.WithLeeway(tokenLeeway),
			jwt.WithIssuedAt(),
		),
	}
}

// authenticate reads the request's principal from its Authorization header.
// Every refusal wraps errUnauthorized with a reason safe to show: never the
// token, never the secret.
func (au *authenticator) authenticate(r *http.Request) (principal, error) {
	h := r.Header.Values("Authorization")
	if len(h) == 0 {
		return principal{}, fmt.Errorf("%w: no Authorization header", errUnauthorized)
	}
	if len(h) > 1 {
		return principal{}, fmt.Errorf("%w: more than one Authorization header", errUnauthorized)
	}
	scheme, token, ok := strings.Cut(h[0], " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" || strings.ContainsAny(token, " \t") {
		return principal{}, fmt.Errorf("%w: the Authorization header must be \"Bearer <token>\"", errUnauthorized)
	}
	var c claims
	_, err := au.parser.ParseWithClaims(token, &c, func(*jwt.Token) (any, error) { return au.secret, nil })
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		return principal{}, fmt.Errorf("%w: the token has expired", errUnauthorized)
	case errors.Is(err, jwt.ErrTokenSignatureInvalid), errors.Is(err, jwt.ErrTokenUnverifiable):
		return principal{}, fmt.Errorf("%w: the token's signature or algorithm is not accepted", errUnauthorized)
	case err != nil:
		return principal{}, fmt.Errorf("%w: the token is not valid", errUnauthorized)
	}
	p := principal{Sub: c.Subject, Role: c.Role, Store: c.Store}
	if err := domain.ValidateID("sub", p.Sub); err != nil {
		return principal{}, fmt.Errorf("%w: the token's sub is missing or not an id", errUnauthorized)
	}
	switch p.Role {
	case roleCustomer, roleAdmin:
		p.Store = ""
	case roleStaff:
		if err := domain.ValidateID("store", p.Store); err != nil {
			return principal{}, fmt.Errorf("%w: a staff token needs a store claim", errUnauthorized)
		}
	default:
		return principal{}, fmt.Errorf("%w: the token's role must be customer, staff or admin", errUnauthorized)
	}
	return p, nil
}

type principalKey struct{}

// authn is the middleware that refuses any request without a valid token,
// except the health checks and the customer-center page's files, which
// hold no data. Without an authenticator the api runs open.
func (a *api) authn(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if a.auth == nil || isOpsPath(r.URL.Path) || isPagePath(r.URL.Path) || isDocumentPath(r.URL.Path) {
			next.ServeHTTP(w, r)
			return
		}
		p, err := a.auth.authenticate(r)
		if err != nil {
			a.writeProblem(w, r, err)
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), principalKey{}, p)))
	})
}

// caller is the request's principal; ok is false when the api runs open.
func caller(r *http.Request) (p principal, ok bool) {
	p, ok = r.Context().Value(principalKey{}).(principal)
	return p, ok
}

// allow refuses the request unless the api runs open or its caller has
// one of roles.
func allow(r *http.Request, roles ...string) error {
	p, ok := caller(r)
	if !ok {
		return nil
	}
	for _, role := range roles {
		if p.Role == role {
			return nil
		}
	}
	return fmt.Errorf("%w: a %s may not do this", errForbidden, p.Role)
}

// mayCreateFor refuses a reservation made for anyone but the customer
// who asks.
func mayCreateFor(r *http.Request, customerID string) error {
	if err := allow(r, roleCustomer); err != nil {
		return err
	}
	if p, ok := caller(r); ok && p.Sub != customerID {
		return fmt.Errorf("%w: a customer may reserve only for themselves", errForbidden)
	}
	return nil
}

// maySee says whether the caller may read the reservation: its customer,
// the staff of the store holding it, or an admin. For anyone else it is
// as if the reservation did not exist, so ids cannot be probed.
func maySee(r *http.Request, res domain.Reservation) error {
	p, ok := caller(r)
	if !ok {
		return nil
	}
	switch {
	case p.Role == roleAdmin,
		p.Role == roleCustomer && res.CustomerID == p.Sub,
		p.Role == roleStaff && res.StoreID != "" && res.StoreID == p.Store:
		return nil
	}
	return fmt.Errorf("reservation %s: %w", res.ID, domain.ErrNotFound)
}

// only is the middleware that lets through callers with one of roles (and
// everyone when the api runs open); others get 403.
func only(roles ...string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if err := allow(r, roles...); err != nil {
				writeProblem(w, http.StatusForbidden, "forbidden", err.Error())
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}
