package domain_test

import (
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/tshop/tshop/domain"
)

// product returns galaxy-s26-256 with stock units left of stocked.
func product(stock, stocked int) domain.Product {
	return domain.Product{ID: productID, Name: "갤럭시 S26 256GB", Stock: stock, Reserved: stocked - stock, Stocked: stocked}
}

func TestProductDecide(t *testing.T) {
	var none domain.Product
	fresh := product(3, 3)
	soldOut := product(0, 3)
	full := product(0, domain.MaxStock)
	create := domain.CreateProduct{ID: productID, Name: "갤럭시 S26 256GB", Stock: 3}
	reserve := domain.Reserve{ReservationID: resA, CustomerID: customerID, Location: gangnam}
	reserved := domain.StockReserved{ProductID: productID, ReservationID: resA, CustomerID: customerID, Location: gangnam, At: now}
	withCreate := func(f func(*domain.CreateProduct)) domain.CreateProduct { c := create; f(&c); return c }
	withReserve := func(f func(*domain.Reserve)) domain.Reserve { c := reserve; f(&c); return c }

	runDecide(t, []decideCase[domain.Product]{
		// CreateProduct
		{"create", none, create, evs(domain.ProductCreated{ProductID: productID, Name: "갤럭시 S26 256GB", Stock: 3, At: now}), nil},
		{"create with no stock", none, withCreate(func(c *domain.CreateProduct) { c.Stock = 0 }),
			evs(domain.ProductCreated{ProductID: productID, Name: "갤럭시 S26 256GB", Stock: 0, At: now}), nil},
		{"create with MaxStock", none, withCreate(func(c *domain.CreateProduct) { c.Stock = domain.MaxStock }),
			evs(domain.ProductCreated{ProductID: productID, Name: "갤럭시 S26 256GB", Stock: domain.MaxStock, At: now}), nil},
		{"create twice", fresh, create, nil, domain.ErrAlreadyExists},
		{"create twice after selling out", soldOut, create, nil, domain.ErrAlreadyExists},
		{"create with no id", none, withCreate(func(c *domain.CreateProduct) { c.ID = "" }), nil, domain.ErrInvalid},
		{"create with id not a subject token", none, withCreate(func(c *domain.CreateProduct) { c.ID = "galaxy.s26" }), nil, domain.ErrInvalid},
		{"create with over-long id", none, withCreate(func(c *domain.CreateProduct) { c.ID = strings.Repeat("g", 65) }), nil, domain.ErrInvalid},
		{"create with no name", none, withCreate(func(c *domain.CreateProduct) { c.Name = "" }), nil, domain.ErrInvalid},
		{"create with over-long name", none, withCreate(func(c *domain.CreateProduct) { c.Name = strings.Repeat("갤", 201) }), nil, domain.ErrInvalid},
		{"create with control character", none, withCreate(func(c *domain.CreateProduct) { c.Name = "S26\r\n" }), nil, domain.ErrInvalid},
		{"create with invalid UTF-8", none, withCreate(func(c *domain.CreateProduct) { c.Name = "S26 \xc0\xaf" }), nil, domain.ErrInvalid},
		{"create with negative stock", none, withCreate(func(c *domain.CreateProduct) { c.Stock = -1 }), nil, domain.ErrInvalid},
		{"create with stock over MaxStock", none, withCreate(func(c *domain.CreateProduct) { c.Stock = domain.MaxStock + 1 }), nil, domain.ErrInvalid},
		{"create with huge stock", none, withCreate(func(c *domain.CreateProduct) { c.Stock = math.MaxInt }), nil, domain.ErrInvalid},
		{"create invalid is checked before existence", fresh, withCreate(func(c *domain.CreateProduct) { c.Stock = -1 }), nil, domain.ErrInvalid},

		// Restock
		{"restock", fresh, domain.Restock{Quantity: 50}, evs(domain.ProductRestocked{ProductID: productID, Quantity: 50, At: now}), nil},
		{"restock sold out", soldOut, domain.Restock{Quantity: 1}, evs(domain.ProductRestocked{ProductID: productID, Quantity: 1, At: now}), nil},
		{"restock up to MaxStock", product(0, domain.MaxStock-1), domain.Restock{Quantity: 1},
			evs(domain.ProductRestocked{ProductID: productID, Quantity: 1, At: now}), nil},
		{"restock past MaxStock", full, domain.Restock{Quantity: 1}, nil, domain.ErrInvalid},
		{"restock MaxStock on top of stock", fresh, domain.Restock{Quantity: domain.MaxStock}, nil, domain.ErrInvalid},
		{"restock nothing", fresh, domain.Restock{Quantity: 0}, nil, domain.ErrInvalid},
		{"restock negative", fresh, domain.Restock{Quantity: -5}, nil, domain.ErrInvalid},
		{"restock huge", fresh, domain.Restock{Quantity: math.MaxInt}, nil, domain.ErrInvalid},
		{"restock missing product", none, domain.Restock{Quantity: 1}, nil, domain.ErrNotFound},

		// Reserve
		{"reserve", fresh, reserve, evs(reserved), nil},
		{"reserve the last unit", product(1, 3), reserve, evs(reserved), nil},
		{"reserve sold out", soldOut, reserve, nil, domain.ErrOutOfStock},
		{"reserve created with no stock", product(0, 0), reserve, nil, domain.ErrOutOfStock},
		{"reserve missing product", none, reserve, nil, domain.ErrNotFound},
		{"reserve with nil reservation id", fresh, withReserve(func(c *domain.Reserve) { c.ReservationID = uuid.Nil }), nil, domain.ErrInvalid},
		{"reserve with no customer", fresh, withReserve(func(c *domain.Reserve) { c.CustomerID = "" }), nil, domain.ErrInvalid},
		{"reserve with bad customer id", fresh, withReserve(func(c *domain.Reserve) { c.CustomerID = "c 1001" }), nil, domain.ErrInvalid},
		{"reserve with NaN lat", fresh, withReserve(func(c *domain.Reserve) { c.Location.Lat = math.NaN() }), nil, domain.ErrInvalid},
		{"reserve with Inf lon", fresh, withReserve(func(c *domain.Reserve) { c.Location.Lon = math.Inf(1) }), nil, domain.ErrInvalid},
		{"reserve with lat out of range", fresh, withReserve(func(c *domain.Reserve) { c.Location.Lat = 91 }), nil, domain.ErrInvalid},
		{"reserve with lon out of range", fresh, withReserve(func(c *domain.Reserve) { c.Location.Lon = -181 }), nil, domain.ErrInvalid},
		{"reserve invalid is checked before stock", soldOut, withReserve(func(c *domain.Reserve) { c.CustomerID = "" }), nil, domain.ErrInvalid},

		// Release
		{"release", soldOut, domain.Release{ReservationID: resA},
			evs(domain.StockReleased{ProductID: productID, ReservationID: resA, At: now}), nil},
		{"release with nothing reserved", fresh, domain.Release{ReservationID: resA}, nil, domain.ErrInvalidTransition},
		{"release missing product", none, domain.Release{ReservationID: resA}, nil, domain.ErrNotFound},

		// Commands of other aggregates, and pointers to commands.
		{"store command", fresh, domain.PauseStore{}, nil, domain.ErrInvalid},
		{"reservation command", fresh, domain.Cancel{}, nil, domain.ErrInvalid},
		{"pointer to command", fresh, &reserve, nil, domain.ErrInvalid},
		{"nil command", fresh, nil, nil, domain.ErrInvalid},
	})
}

func TestProductEvolve(t *testing.T) {
	tests := []struct {
		name  string
		state domain.Product
		event domain.Event
		want  domain.Product
	}{
		{"created", domain.Product{}, domain.ProductCreated{ProductID: productID, Name: "갤럭시 S26 256GB", Stock: 3, At: t0}, product(3, 3)},
		{"created with no stock", domain.Product{}, domain.ProductCreated{ProductID: productID, Name: "갤럭시 S26 256GB", At: t0}, product(0, 0)},
		{"restocked", product(1, 3), domain.ProductRestocked{ProductID: productID, Quantity: 50, At: now}, product(51, 53)},
		{"reserved", product(3, 3), domain.StockReserved{ProductID: productID, ReservationID: resA, CustomerID: customerID, Location: gangnam, At: now}, product(2, 3)},
		{"released", product(0, 3), domain.StockReleased{ProductID: productID, ReservationID: resA, At: now}, product(1, 3)},
		{"event of a store", product(2, 3), domain.StorePaused{StoreID: "gangnam-01", At: now}, product(2, 3)},
		{"event of a reservation", product(2, 3), domain.StockRestored{ReservationID: resA, At: now}, product(2, 3)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.state.Evolve(tt.event); got != tt.want {
				t.Fatalf("Evolve(%#v)\n got %+v\nwant %+v", tt.event, got, tt.want)
			}
		})
	}
}

// TestProductLifeCycle folds what Decide returns over a scripted life and
// checks Stock + Reserved == Stocked after every event.
func TestProductLifeCycle(t *testing.T) {
	reserve := func(id uuid.UUID) domain.Reserve {
		return domain.Reserve{ReservationID: id, CustomerID: customerID, Location: gangnam}
	}
	resD := uuid.MustParse("e2b7c4a1-96d3-4f0e-8b5a-13c6d9f2e074")
	resE := uuid.MustParse("0d6f8a3c-51e9-4b72-a4c0-7e2d95b1f836")
	script := []struct {
		cmd     any
		wantErr error
		want    domain.Product // state after the step
	}{
		{reserve(resA), domain.ErrNotFound, domain.Product{}},
		{domain.CreateProduct{ID: productID, Name: "갤럭시 S26 256GB", Stock: 3}, nil, product(3, 3)},
		{domain.CreateProduct{ID: productID, Name: "갤럭시 S26 256GB", Stock: 3}, domain.ErrAlreadyExists, product(3, 3)},
		{domain.Release{ReservationID: resA}, domain.ErrInvalidTransition, product(3, 3)},
		{reserve(resA), nil, product(2, 3)},
		{reserve(resB), nil, product(1, 3)},
		{reserve(resC), nil, product(0, 3)},
		{reserve(resD), domain.ErrOutOfStock, product(0, 3)},
		{domain.Release{ReservationID: resB}, nil, product(1, 3)},
		{reserve(resD), nil, product(0, 3)},
		{reserve(resE), domain.ErrOutOfStock, product(0, 3)},
		{domain.Restock{Quantity: 2}, nil, product(2, 5)},
		{domain.Restock{Quantity: domain.MaxStock}, domain.ErrInvalid, product(2, 5)},
		{reserve(resB), nil, product(1, 5)},
	}

	var p domain.Product
	var log []domain.Event
	for i, s := range script {
		events, err := p.Decide(s.cmd, now)
		if s.wantErr != nil {
			refuse(t, p, s.cmd, s.wantErr)
		} else if err != nil {
			t.Fatalf("step %d: Decide(%#v): %v", i, s.cmd, err)
		}
		for _, e := range events {
			p = p.Evolve(e)
			if p.Stock < 0 || p.Reserved < 0 || p.Stock+p.Reserved != p.Stocked {
				t.Fatalf("step %d: after %#v: %+v breaks Stock+Reserved == Stocked", i, e, p)
			}
		}
		if p != s.want {
			t.Fatalf("step %d: %#v left %+v, want %+v", i, s.cmd, p, s.want)
		}
		log = append(log, events...)
	}
	if got := fold(domain.Product{}, log...); !reflect.DeepEqual(got, p) {
		t.Fatalf("refolding the log gives %+v, want %+v", got, p)
	}
}
