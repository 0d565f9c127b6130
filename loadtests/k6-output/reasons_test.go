package stampede

import (
	"encoding/json"
	"os"
	"testing"
)

// tsTable is testdata/ts-table.json, written by test/unit/k6Output.test.ts from the TypeScript
// originals (rejectReason, endpointTag, TRAFFIC_CLASSES, REJECT_REASONS), so a change on either
// side that is not made on the other fails here.
type tsTable struct {
	Classes []string `json:"classes"`
	Reasons []string `json:"reasons"`
	// IterationMetadata is loadtests/lib/lateness.ts ITERATION_METADATA.
	IterationMetadata string `json:"iterationMetadata"`
	Reject            []struct {
		Status int     `json:"status"`
		Code   *int    `json:"code"`
		Class  *string `json:"class"`
		Reason *string `json:"reason"`
	} `json:"reject"`
	EndpointTags []struct {
		Name string `json:"name"`
		Tag  string `json:"tag"`
	} `json:"endpointTags"`
}

func readTable(t *testing.T) tsTable {
	t.Helper()
	raw, err := os.ReadFile("testdata/ts-table.json")
	if err != nil {
		t.Fatal(err)
	}
	var table tsTable
	if err := json.Unmarshal(raw, &table); err != nil {
		t.Fatal(err)
	}
	if len(table.Reject) < 20 || len(table.EndpointTags) < 5 {
		t.Fatalf("table too small: %d reject cases, %d endpoint tags", len(table.Reject), len(table.EndpointTags))
	}
	return table
}

func TestRejectReasonMatchesTypeScript(t *testing.T) {
	table := readTable(t)
	for _, c := range table.Reject {
		code, hasCode := 0, c.Code != nil
		if hasCode {
			code = *c.Code
		}
		cls := ""
		if c.Class != nil {
			cls = *c.Class
		}
		want := ""
		if c.Reason != nil {
			want = *c.Reason
		}
		if got := RejectReason(c.Status, code, hasCode, cls); got != want {
			t.Errorf("RejectReason(%d, %v, %q) = %q, TypeScript says %q", c.Status, c.Code, cls, got, want)
		}
	}
}

func TestVocabularyMatchesTypeScript(t *testing.T) {
	table := readTable(t)
	if !equal(table.Classes, TrafficClasses) {
		t.Errorf("TrafficClasses = %v, TypeScript has %v", TrafficClasses, table.Classes)
	}
	if !equal(table.Reasons, RejectReasons) {
		t.Errorf("RejectReasons = %v, TypeScript has %v", RejectReasons, table.Reasons)
	}
	if table.IterationMetadata != IterationMetadataKey {
		t.Errorf("IterationMetadataKey = %q, the k6 script sets %q", IterationMetadataKey, table.IterationMetadata)
	}
}

func TestEndpointTagMatchesTypeScript(t *testing.T) {
	for _, c := range readTable(t).EndpointTags {
		if got := EndpointTag(c.Name); got != c.Tag {
			t.Errorf("EndpointTag(%q) = %q, TypeScript says %q", c.Name, got, c.Tag)
		}
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
