package main

import (
	"time"

	"github.com/google/uuid"

	"github.com/tshop/tshop/domain"
	"github.com/tshop/tshop/projections"
)

// productView is a product as the api shows it.
type productView struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Stock    int    `json:"stock"`
	Reserved int    `json:"reserved"`
}

func viewProduct(p domain.Product) productView {
	return productView{ID: p.ID, Name: p.Name, Stock: p.Stock, Reserved: p.Reserved}
}

// storeView is a store as the api shows it.
type storeView struct {
	ID       string  `json:"id"`
	Name     string  `json:"name"`
	Lat      float64 `json:"lat"`
	Lon      float64 `json:"lon"`
	Capacity int     `json:"capacity"`
	Load     int     `json:"load"`
	Paused   bool    `json:"paused"`
}

func viewStore(s domain.Store) storeView {
	return storeView{ID: s.ID, Name: s.Name, Lat: s.Location.Lat, Lon: s.Location.Lon,
		Capacity: s.Capacity, Load: s.Load(), Paused: s.Paused}
}

// reservationView is a reservation as the api shows it.
type reservationView struct {
	ID          uuid.UUID       `json:"id"`
	ProductID   string          `json:"productId"`
	CustomerID  string          `json:"customerId"`
	Location    domain.Location `json:"location"`
	Status      domain.Status   `json:"status"`
	StatusLabel string          `json:"statusLabel"`
	StoreID     *string         `json:"storeId"`
	DistanceKm  *float64        `json:"distanceKm"`
	CreatedAt   time.Time       `json:"createdAt"`
	UpdatedAt   time.Time       `json:"updatedAt"`
}

func viewReservation(r domain.Reservation) reservationView {
	v := reservationView{ID: r.ID, ProductID: r.ProductID, CustomerID: r.CustomerID, Location: r.Location,
		Status: r.Status, StatusLabel: r.Status.Label(), CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
	if r.StoreID != "" {
		v.StoreID, v.DistanceKm = &r.StoreID, &r.DistanceKm
	}
	return v
}

// viewHistory shows a history entry as the read model keeps it.
func viewHistory(e projections.HistoryEntry) projections.HistoryEntry { return e }
