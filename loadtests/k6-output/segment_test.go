package stampede

import (
	"testing"

	"go.k6.io/k6/lib"
)

func TestFileNamesFollowTheExecutionSegment(t *testing.T) {
	seq, err := lib.NewExecutionSegmentSequenceFromString("0,1/3,2/3,1")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct{ segment, hlog, client string }{
		{"", "latency.hlog", "client.jsonl"},
		{"0:1", "latency.hlog", "client.jsonl"},
		{"0:1/3", "latency-0.hlog", "client-0.jsonl"},
		{"2/3:1", "latency-2.hlog", "client-2.jsonl"},
	}
	for _, c := range cases {
		var seg *lib.ExecutionSegment
		if c.segment != "" {
			if seg, err = lib.NewExecutionSegmentFromString(c.segment); err != nil {
				t.Fatal(err)
			}
		}
		hlog, client, err := FileNames(seg, &seq)
		if err != nil || hlog != c.hlog || client != c.client {
			t.Errorf("%q: %s %s %v, want %s %s", c.segment, hlog, client, err, c.hlog, c.client)
		}
	}
	// Without a sequence k6 fills one in around the segment: 1/2:1 is the second half.
	seg, _ := lib.NewExecutionSegmentFromString("1/2:1")
	if hlog, _, _ := FileNames(seg, nil); hlog != "latency-1.hlog" {
		t.Errorf("1/2:1 without a sequence: %s", hlog)
	}
}
