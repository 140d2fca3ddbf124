package domain

import (
	"fmt"
	"math"
	"unicode/utf8"
)

// Location is a point on the earth in decimal degrees (WGS84).
type Location struct {
	Lat float64 `json:"lat"`
	Lon float64 `json:"lon"`
}

// Validate reports whether l is a real coordinate.
func (l Location) Validate() error {
	if math.IsNaN(l.Lat) || math.IsInf(l.Lat, 0) || l.Lat < -90 || l.Lat > 90 {
		return fmt.Errorf("%w: lat must be between -90 and 90", ErrInvalid)
	}
	if math.IsNaN(l.Lon) || math.IsInf(l.Lon, 0) || l.Lon < -180 || l.Lon > 180 {
		return fmt.Errorf("%w: lon must be between -180 and 180", ErrInvalid)
	}
	return nil
}

// MaxIDLen is the longest product, store or customer id accepted.
const MaxIDLen = 64

// ValidateID reports whether id may name a product, store or customer: 1 to
// MaxIDLen characters of lower- or upper-case ASCII letters, digits, '-' and
// '_', starting with a letter or digit. Such an id is also a safe token of a
// NATS subject, which is where product and store ids end up.
func ValidateID(field, id string) error {
	if id == "" {
		return fmt.Errorf("%w: %s is required", ErrInvalid, field)
	}
	if len(id) > MaxIDLen {
		return fmt.Errorf("%w: %s is longer than %d characters", ErrInvalid, field, MaxIDLen)
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case (c == '-' || c == '_') && i > 0:
		default:
			return fmt.Errorf("%w: %s may hold only letters, digits, '-' and '_', starting with a letter or digit", ErrInvalid, field)
		}
	}
	return nil
}

// MaxNameLen is the longest product or store name accepted, in characters.
const MaxNameLen = 200

func validateName(field, name string) error {
	if name == "" {
		return fmt.Errorf("%w: %s is required", ErrInvalid, field)
	}
	if utf8.RuneCountInString(name) > MaxNameLen {
		return fmt.Errorf("%w: %s is longer than %d characters", ErrInvalid, field, MaxNameLen)
	}
	return validateText(field, name)
}

// validateText refuses text that is not valid UTF-8 or holds control
// characters (C0, DEL, C1) or line and paragraph separators.
func validateText(field, name string) error {
	if !utf8.ValidString(name) {
		return fmt.Errorf("%w: %s is not valid UTF-8", ErrInvalid, field)
	}
	for _, r := range name {
		if r < 0x20 || (r >= 0x7f && r <= 0x9f) || r == 0x2028 || r == 0x2029 {
			return fmt.Errorf("%w: %s holds a control character", ErrInvalid, field)
		}
	}
	return nil
}
