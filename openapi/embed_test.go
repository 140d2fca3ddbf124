package openapi_test

import (
	"encoding/json"
	"reflect"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/tshop/tshop/openapi"
)

// TestOpenAPIJSONMatchesYAML checks the JSON form says exactly what the
// YAML does, and that the YAML uses no construct without a JSON form.
func TestOpenAPIJSONMatchesYAML(t *testing.T) {
	raw, err := openapi.JSON()
	if err != nil {
		t.Fatal(err)
	}
	var fromJSON, fromYAML any
	if err := json.Unmarshal(raw, &fromJSON); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	if err := yaml.Unmarshal(openapi.YAML, &fromYAML); err != nil {
		t.Fatalf("openapi.yaml: %v", err)
	}
	// Through JSON once, so numbers and maps have the same Go types.
	again, err := json.Marshal(fromYAML)
	if err != nil {
		t.Fatalf("openapi.yaml has a value with no JSON form: %v", err)
	}
	if err := json.Unmarshal(again, &fromYAML); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(fromJSON, fromYAML) {
		t.Error("openapi.json differs from openapi.yaml")
	}
	doc := fromJSON.(map[string]any)
	if doc["openapi"] != "3.1.0" {
		t.Errorf("openapi %v, want 3.1.0", doc["openapi"])
	}
}
