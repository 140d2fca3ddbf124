package assign_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/tshop/tshop/assign"
	"github.com/tshop/tshop/domain"
)

func BenchmarkChoose(b *testing.B) {
	for _, n := range []int{10_000, 50_000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			r := rand.New(rand.NewPCG(1, uint64(n)))
			d := directoryOf(koreaStores(r, n))
			at := customers(r)
			i := 0
			for b.Loop() {
				d.Choose(at[i%len(at)], nil)
				i++
			}
		})
	}
}

func BenchmarkBruteForce(b *testing.B) {
	for _, n := range []int{10_000, 50_000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			r := rand.New(rand.NewPCG(1, uint64(n)))
			stores := koreaStores(r, n)
			at := customers(r)
			i := 0
			for b.Loop() {
				assign.BruteForce(stores, at[i%len(at)], nil)
				i++
			}
		})
	}
}

func customers(r *rand.Rand) []domain.Location {
	at := make([]domain.Location, 4096)
	for i := range at {
		at[i] = koreaPlace(r)
	}
	return at
}
