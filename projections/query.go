package projections

import (
	"bytes"
	"encoding/json"
	"fmt"
	"iter"

	"github.com/tshop/tshop/domain"
)

// Reservation returns one reservation's view, and whether it exists.
func Reservation(kv KV, id string) (domain.Reservation, bool, error) {
	return get[domain.Reservation](kv, bucketReservations, id)
}

// Product returns one product's view, and whether it exists.
func Product(kv KV, id string) (domain.Product, bool, error) {
	return get[domain.Product](kv, bucketProducts, id)
}

// Store returns one store's view, and whether it exists.
func Store(kv KV, id string) (domain.Store, bool, error) {
	return get[domain.Store](kv, bucketStores, id)
}

// Products returns every product, by id.
func Products(kv KV) ([]domain.Product, error) { return all[domain.Product](kv, bucketProducts) }

// Stores returns every store, by id.
func Stores(kv KV) ([]domain.Store, error) { return all[domain.Store](kv, bucketStores) }

// CustomerReservations returns a customer's reservations, newest first, at
// most limit of them.
func CustomerReservations(kv KV, customerID string, limit int) ([]domain.Reservation, error) {
	out := []domain.Reservation{}
	prefix := append([]byte(customerID), 0)
	for key := range kv.Scan(bucketCustomers, prefix, true) {
		if len(out) >= limit {
			break
		}
		id := string(key[len(prefix)+8:])
		r, ok, err := Reservation(kv, id)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, fmt.Errorf("customer index names missing reservation %s", id)
		}
		out = append(out, r)
	}
	return out, nil
}

// StoreReservations returns the open reservations a store holds, oldest
// first, and whether the store exists.
func StoreReservations(kv KV, storeID string) ([]domain.Reservation, bool, error) {
	s, ok, err := Store(kv, storeID)
	if err != nil || !ok {
		return nil, ok, err
	}
	out := make([]domain.Reservation, 0, len(s.Holding))
	for _, id := range s.Holding {
		r, ok, err := Reservation(kv, id.String())
		if err != nil {
			return nil, true, err
		}
		if ok {
			out = append(out, r)
		}
	}
	return out, true, nil
}

// History returns a reservation's events in order, and whether it exists.
func History(kv KV, id string) ([]HistoryEntry, bool, error) {
	out := []HistoryEntry{}
	for key, value := range kv.Scan(bucketHistory, []byte(id), false) {
		if len(key) != len(id)+12 {
			continue
		}
		var h HistoryEntry
		if err := json.Unmarshal(value, &h); err != nil {
			return nil, false, err
		}
		out = append(out, h)
	}
	return out, len(out) > 0, nil
}

func get[T any](kv KV, bucket []byte, id string) (T, bool, error) {
	var v T
	raw := kv.Get(bucket, []byte(id))
	if raw == nil {
		return v, false, nil
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		return v, false, fmt.Errorf("view %s/%s: %w", bucket, id, err)
	}
	return v, true, nil
}

func all[T any](kv KV, bucket []byte) ([]T, error) {
	out := []T{}
	for key, value := range kv.Scan(bucket, nil, false) {
		var v T
		if err := json.Unmarshal(value, &v); err != nil {
			return nil, fmt.Errorf("view %s/%s: %w", bucket, key, err)
		}
		out = append(out, v)
	}
	return out, nil
}

// Difference is one key on which two read models disagree.
type Difference struct {
	Bucket string
	Key    []byte
	// Want is the value a fresh replay has, Got the one the read model
	// has; nil where the key is missing.
	Want, Got []byte
}

func (d Difference) String() string {
	return fmt.Sprintf("%s %q: replay has %s, read model has %s", d.Bucket, d.Key, show(d.Want), show(d.Got))
}

func show(v []byte) string {
	if v == nil {
		return "nothing"
	}
	return string(v)
}

// Compare walks every view of want and got key by key, in step, and calls
// fn with each difference. It returns how many there were.
func Compare(want, got KV, fn func(Difference)) int {
	n := 0
	for _, b := range viewBuckets {
		nextWant, stopWant := iter.Pull2(want.Scan(b, nil, false))
		nextGot, stopGot := iter.Pull2(got.Scan(b, nil, false))
		wk, wv, wok := nextWant()
		gk, gv, gok := nextGot()
		for wok || gok {
			c := 0
			switch {
			case !wok:
				c = 1
			case !gok:
				c = -1
			default:
				c = bytes.Compare(wk, gk)
			}
			switch {
			case c < 0:
				fn(Difference{Bucket: string(b), Key: bytes.Clone(wk), Want: bytes.Clone(wv)})
				n++
				wk, wv, wok = nextWant()
			case c > 0:
				fn(Difference{Bucket: string(b), Key: bytes.Clone(gk), Got: bytes.Clone(gv)})
				n++
				gk, gv, gok = nextGot()
			default:
				if !bytes.Equal(wv, gv) {
					fn(Difference{Bucket: string(b), Key: bytes.Clone(wk), Want: bytes.Clone(wv), Got: bytes.Clone(gv)})
					n++
				}
				wk, wv, wok = nextWant()
				gk, gv, gok = nextGot()
			}
		}
		stopWant()
		stopGot()
	}
	return n
}
