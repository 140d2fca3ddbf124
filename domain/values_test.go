package domain_test

import (
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/tshop/tshop/domain"
)

// Fixtures shared by the tests of this package.
var (
	// t0 is when the reservation was placed; now is when a command runs.
	t0  = time.Date(2026, 11, 25, 9, 30, 0, 0, time.UTC)
	now = time.Date(2026, 11, 25, 9, 31, 0, 0, time.UTC)

	productID  = "galaxy-s26-256"
	customerID = "c-1001"
	gangnam    = domain.Location{Lat: 37.4979, Lon: 127.0276}
	yeoksam    = domain.Location{Lat: 37.5006, Lon: 127.0364}

	resA = uuid.MustParse("3f8e2c1a-7b4d-4e9f-a2c6-5d1b8e0f9a37")
	resB = uuid.MustParse("9c41d7e2-0a6b-4f3e-8d25-b7e1c9a40f58")
	resC = uuid.MustParse("5a0b3e9d-2c7f-4a18-b6d4-e83f1c2a7b90")
)

// evs spells out the events a Decide case expects.
func evs(e ...domain.Event) []domain.Event { return e }

// aggregate is what Product, Reservation and Store have in common.
type aggregate[S any] interface {
	Decide(cmd any, now time.Time) ([]domain.Event, error)
	Evolve(e domain.Event) S
}

// decideCase is one row of a Decide table.
type decideCase[S any] struct {
	name    string
	state   S
	cmd     any
	want    []domain.Event
	wantErr error
}

// runDecide runs a Decide table. A failing command must return no events;
// every event returned must survive MarshalEvent and UnmarshalEvent as is,
// since an event that cannot be stored is as wrong as a wrong event.
func runDecide[S aggregate[S]](t *testing.T, tests []decideCase[S]) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.state.Decide(tt.cmd, now)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("Decide(%#v) error = %v, want %v", tt.cmd, err, tt.wantErr)
				}
				if got != nil {
					t.Fatalf("Decide(%#v) = %#v with error %v, want no events", tt.cmd, got, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Decide(%#v) error = %v, want none", tt.cmd, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("Decide(%#v)\n got %#v\nwant %#v", tt.cmd, got, tt.want)
			}
			for _, e := range got {
				checkRoundTrip(t, e)
			}
		})
	}
}

// checkRoundTrip fails unless e is stored and read back unchanged.
func checkRoundTrip(t *testing.T, e domain.Event) {
	t.Helper()
	b, err := domain.MarshalEvent(e)
	if err != nil {
		t.Fatalf("MarshalEvent(%#v): %v", e, err)
	}
	back, err := domain.UnmarshalEvent(b)
	if err != nil {
		t.Fatalf("UnmarshalEvent(%s): %v", b, err)
	}
	if !reflect.DeepEqual(back, e) {
		t.Fatalf("round trip of %s\n got %#v\nwant %#v", b, back, e)
	}
}

// fold applies events to s in order, as a projection or a reload would.
func fold[S aggregate[S]](s S, events ...domain.Event) S {
	for _, e := range events {
		s = s.Evolve(e)
	}
	return s
}

// step runs cmd on s and folds what it decides; it fails on any error.
func step[S aggregate[S]](t *testing.T, s S, cmd any) (S, []domain.Event) {
	t.Helper()
	events, err := s.Decide(cmd, now)
	if err != nil {
		t.Fatalf("Decide(%#v): %v", cmd, err)
	}
	return fold(s, events...), events
}

// refuse fails unless cmd on s is refused with wantErr.
func refuse[S aggregate[S]](t *testing.T, s S, cmd any, wantErr error) {
	t.Helper()
	events, err := s.Decide(cmd, now)
	if !errors.Is(err, wantErr) || events != nil {
		t.Fatalf("Decide(%#v) = %v, %v; want no events and %v", cmd, events, err, wantErr)
	}
}

func TestLocationValidate(t *testing.T) {
	tests := []struct {
		name    string
		loc     domain.Location
		wantErr error
	}{
		{"gangnam station", gangnam, nil},
		{"origin", domain.Location{}, nil},
		{"north pole", domain.Location{Lat: 90, Lon: 0}, nil},
		{"south pole", domain.Location{Lat: -90, Lon: 0}, nil},
		{"date line east", domain.Location{Lat: 0, Lon: 180}, nil},
		{"date line west", domain.Location{Lat: 0, Lon: -180}, nil},
		{"lat above 90", domain.Location{Lat: 90.0001, Lon: 127}, domain.ErrInvalid},
		{"lat below -90", domain.Location{Lat: -90.0001, Lon: 127}, domain.ErrInvalid},
		{"lon above 180", domain.Location{Lat: 37, Lon: 180.0001}, domain.ErrInvalid},
		{"lon below -180", domain.Location{Lat: 37, Lon: -180.0001}, domain.ErrInvalid},
		{"lat and lon swapped", domain.Location{Lat: 127.0276, Lon: 37.4979}, domain.ErrInvalid},
		{"lat NaN", domain.Location{Lat: math.NaN(), Lon: 127}, domain.ErrInvalid},
		{"lon NaN", domain.Location{Lat: 37, Lon: math.NaN()}, domain.ErrInvalid},
		{"lat +Inf", domain.Location{Lat: math.Inf(1), Lon: 127}, domain.ErrInvalid},
		{"lat -Inf", domain.Location{Lat: math.Inf(-1), Lon: 127}, domain.ErrInvalid},
		{"lon +Inf", domain.Location{Lat: 37, Lon: math.Inf(1)}, domain.ErrInvalid},
		{"lon -Inf", domain.Location{Lat: 37, Lon: math.Inf(-1)}, domain.ErrInvalid},
		{"max float", domain.Location{Lat: math.MaxFloat64, Lon: 127}, domain.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.loc.Validate()
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("%+v.Validate() = %v, want %v", tt.loc, err, tt.wantErr)
			}
		})
	}
}

func TestValidateID(t *testing.T) {
	tests := []struct {
		name    string
		id      string
		wantErr error
	}{
		{"product", productID, nil},
		{"store", "gangnam-01", nil},
		{"customer", customerID, nil},
		{"upper case and underscore", "SKT_Gangnam_01", nil},
		{"starts with digit", "1004", nil},
		{"one character", "a", nil},
		{"MaxIDLen characters", strings.Repeat("a", domain.MaxIDLen), nil},
		{"empty", "", domain.ErrInvalid},
		{"longer than MaxIDLen", strings.Repeat("a", domain.MaxIDLen+1), domain.ErrInvalid},
		{"starts with dash", "-gangnam", domain.ErrInvalid},
		{"starts with underscore", "_gangnam", domain.ErrInvalid},
		{"space", "gangnam 01", domain.ErrInvalid},
		{"dot splits a subject", "gangnam.01", domain.ErrInvalid},
		{"subject wildcard *", "gangnam*", domain.ErrInvalid},
		{"subject wildcard >", "gangnam>", domain.ErrInvalid},
		{"slash", "gangnam/01", domain.ErrInvalid},
		{"hangul", "강남-01", domain.ErrInvalid},
		{"NUL", "gangnam\x00", domain.ErrInvalid},
		{"newline", "gangnam\n", domain.ErrInvalid},
		{"invalid UTF-8", "gangnam\xff", domain.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := domain.ValidateID("id", tt.id)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("ValidateID(%q) = %v, want %v", tt.id, err, tt.wantErr)
			}
		})
	}
}

// TestNameValidation checks the names of products and stores, which share
// one rule, through the commands that carry them.
func TestNameValidation(t *testing.T) {
	tests := []struct {
		name     string
		nameText string
		wantErr  error
	}{
		{"latin", "Galaxy S26 256GB", nil},
		{"hangul", "갤럭시 S26 256GB", nil},
		{"MaxNameLen hangul characters", strings.Repeat("강", domain.MaxNameLen), nil},
		{"empty", "", domain.ErrInvalid},
		{"longer than MaxNameLen", strings.Repeat("강", domain.MaxNameLen+1), domain.ErrInvalid},
		{"invalid UTF-8", "갤럭시\xff", domain.ErrInvalid},
		{"truncated hangul", "갤럭시"[:4], domain.ErrInvalid},
		{"NUL", "Galaxy\x00S26", domain.ErrInvalid},
		{"newline", "Galaxy\nS26", domain.ErrInvalid},
		{"tab", "Galaxy\tS26", domain.ErrInvalid},
		{"escape", "Galaxy\x1b[31m", domain.ErrInvalid},
		{"DEL", "Galaxy\x7f", domain.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmds := []interface{ Validate() error }{
				domain.CreateProduct{ID: productID, Name: tt.nameText, Stock: 1},
				domain.RegisterStore{ID: "gangnam-01", Name: tt.nameText, Location: gangnam, Capacity: 1},
			}
			for _, c := range cmds {
				if err := c.Validate(); !errors.Is(err, tt.wantErr) {
					t.Errorf("%T.Validate() with name %q = %v, want %v", c, tt.nameText, err, tt.wantErr)
				}
			}
		})
	}
}
