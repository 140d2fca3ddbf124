package eventstore_test

import (
	"testing"

	"github.com/tshop/tshop/eventstore"
)

// TestProcessedBeforeTheDurableExists: a durable consumer not created yet
// (its process is starting) has processed nothing, which is no error: a
// caller waiting for it waits, as for one that is behind.
func TestProcessedBeforeTheDurableExists(t *testing.T) {
	_, _, s := open(t, nil)
	ok, err := s.Processed(t.Context(), eventstore.Products, "not-created-yet", 1)
	if ok || err != nil {
		t.Fatalf("Processed by a durable that does not exist = %v, %v; want false, nil", ok, err)
	}
}
