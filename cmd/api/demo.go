package main

import (
	"context"
	"errors"
	"log/slog"

	"github.com/tshop/tshop/domain"
	"github.com/tshop/tshop/shop"
)

// demoProducts is the catalog `make run` starts with.
var demoProducts = []domain.CreateProduct{
	{ID: "galaxy-s26-256", Name: "Galaxy S26 256GB", Stock: 100},
	{ID: "galaxy-s26-ultra-512", Name: "Galaxy S26 Ultra 512GB", Stock: 50},
	{ID: "galaxy-z-flip8-256", Name: "Galaxy Z Flip8 256GB", Stock: 30},
	{ID: "iphone-18-128", Name: "iPhone 18 128GB", Stock: 80},
	{ID: "iphone-18-pro-256", Name: "iPhone 18 Pro 256GB", Stock: 40},
	{ID: "pixel-11-128", Name: "Pixel 11 128GB", Stock: 0},
}

// demoStores are a few well-known stores at real locations; demoDirectory
// adds some three hundred more across the country.
var demoStores = []domain.RegisterStore{
	{ID: "gangnam-01", Name: "T world 강남역점", Location: domain.Location{Lat: 37.4979, Lon: 127.0276}, Capacity: 50},
	{ID: "jongno-01", Name: "T world 종로점", Location: domain.Location{Lat: 37.5704, Lon: 126.9921}, Capacity: 30},
	{ID: "hongdae-01", Name: "T world 홍대점", Location: domain.Location{Lat: 37.5563, Lon: 126.9236}, Capacity: 30},
	{ID: "jamsil-01", Name: "T world 잠실점", Location: domain.Location{Lat: 37.5133, Lon: 127.1001}, Capacity: 40},
	{ID: "yeouido-01", Name: "T world 여의도점", Location: domain.Location{Lat: 37.5219, Lon: 126.9245}, Capacity: 25},
	{ID: "bundang-01", Name: "T world 서현점", Location: domain.Location{Lat: 37.3850, Lon: 127.1234}, Capacity: 25},
	{ID: "incheon-01", Name: "T world 부평점", Location: domain.Location{Lat: 37.4894, Lon: 126.7245}, Capacity: 20},
	{ID: "suwon-01", Name: "T world 수원역점", Location: domain.Location{Lat: 37.2660, Lon: 127.0000}, Capacity: 20},
	{ID: "daejeon-01", Name: "T world 둔산점", Location: domain.Location{Lat: 36.3515, Lon: 127.3786}, Capacity: 20},
	{ID: "daegu-01", Name: "T world 동성로점", Location: domain.Location{Lat: 35.8690, Lon: 128.5950}, Capacity: 20},
	{ID: "gwangju-01", Name: "T world 충장로점", Location: domain.Location{Lat: 35.1480, Lon: 126.9170}, Capacity: 15},
	{ID: "busan-01", Name: "T world 서면점", Location: domain.Location{Lat: 35.1578, Lon: 129.0600}, Capacity: 30},
}

// loadDemo creates whatever part of the demo catalog and store directory is
// missing, so it runs once in effect however often the api starts.
func loadDemo(ctx context.Context, svc *shop.Service, log *slog.Logger) error {
	created := 0
	for _, p := range demoProducts {
		_, _, err := svc.CreateProduct(ctx, p)
		switch {
		case err == nil:
			created++
		case !errors.Is(err, domain.ErrAlreadyExists):
			return err
		}
	}
	for _, s := range append(demoStores, demoDirectory()...) {
		_, _, err := svc.RegisterStore(ctx, s)
		switch {
		case err == nil:
			created++
		case !errors.Is(err, domain.ErrAlreadyExists):
			return err
		}
	}
	log.Info("demo data present", "created", created)
	return nil
}
