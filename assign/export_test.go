package assign

import "math"

// WalkOnly makes Choose never fall back to scanning every store, so that
// tests prove the index search exact on its own. It returns the undo.
func WalkOnly() (undo func()) {
	old := scanAfter
	scanAfter = func(int) int { return math.MaxInt }
	return func() { scanAfter = old }
}
