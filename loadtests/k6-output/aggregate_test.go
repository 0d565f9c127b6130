package stampede

import (
	"bytes"
	"fmt"
	"math/rand"
	"os"
	"strings"
	"testing"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

func TestBucketKeyIsTheBucketsLowestValue(t *testing.T) {
	h := newHdr()
	rng := rand.New(rand.NewSource(1))
	values := []int64{1, 2, 2047, 2048, 2049, 4095, 4096, 4097, 123_456, 999_999, 10_000_000, highestTrackable}
	for i := 0; i < 5000; i++ {
		values = append(values, 1+rng.Int63n(highestTrackable))
	}
	for _, v := range values {
		k := bucketKey(v)
		if k > v || !h.ValuesAreEquivalent(k, v) || (k > 1 && h.ValuesAreEquivalent(k-1, v)) {
			t.Fatalf("bucketKey(%d) = %d is not the lowest value of v's bucket", v, k)
		}
	}
}

// recorder keeps what the aggregator hands over.
type recorder struct {
	t0      int64
	headers int
	seconds []int64
	data    map[int64]*second
}

func (r *recorder) Header(t0 int64) error { r.t0 = t0; r.headers++; return nil }
func (r *recorder) Second(t int64, s *second) error {
	r.seconds = append(r.seconds, t)
	r.data[t] = s
	return nil
}

const t0 = int64(1_800_000_000_000_000)

func TestSecondsAreRelativeToTheSetupMarker(t *testing.T) {
	r := &recorder{data: map[int64]*second{}}
	a := NewAggregator(r, 5)
	// Held until the marker: a request before it lands in second 0, as in the csv path.
	a.Add(event{kind: evDuration, us: t0 - 300_000, value: 5, class: "order", lateMs: -1})
	a.SetupDone(t0)
	a.SetupDone(t0 + 7_000_000) // a later marker (another process's) does not move t0
	a.Add(event{kind: evDuration, us: t0 + 999_999, value: 12.3456, class: "order", endpoint: "POST /fapi/v1/order", lateMs: 2})
	a.Add(event{kind: evDuration, us: t0 + 1_000_000, value: 0.0004, class: "depth", lateMs: -1})
	a.Add(event{kind: evDuration, us: t0 + 3_500_000, value: 1, class: "nope", lateMs: -1})
	a.Add(event{kind: evReject, us: t0 + 3_600_000, value: 1, class: "position", reason: "banned", endpoint: "GET /fapi/v2/positionRisk"})
	a.Add(event{kind: evReject, us: t0 + 3_600_000, value: 1, class: "position", reason: "not-a-reason"})
	a.Add(event{kind: evDropped, us: t0 + 3_700_000, value: 1})
	a.Add(event{kind: evLateness, us: t0 + 3_800_000, value: 14.6})
	a.Add(event{kind: evLateness, us: t0 + 3_900_000, value: -0.4})
	if err := a.Finish(); err != nil {
		t.Fatal(err)
	}
	if r.t0 != t0 || r.headers != 1 {
		t.Fatalf("t0 %d (%d headers), want %d once", r.t0, r.headers, t0)
	}
	if got := fmt.Sprint(r.seconds); got != "[0 1 2 3]" {
		t.Fatalf("seconds %s, want 0..3 in order with the empty second 2", got)
	}
	s0 := r.data[0]
	if s0.byClass["order"].total != 2 || s0.byClass["order"].counts[bucketKey(12346)] != 1 {
		t.Fatalf("second 0 order: %+v", s0.byClass["order"].counts)
	}
	if s0.byEndpoint["POST /fapi/v1/order"].total != 1 || s0.corrected["order"].counts[bucketKey(14346)] != 1 {
		t.Fatalf("endpoint or corrected latency missing: %+v %+v", s0.byEndpoint, s0.corrected["order"].counts)
	}
	if r.data[1].byClass["depth"].counts[1] != 1 {
		t.Fatal("a sub-µs latency is recorded as 1 µs")
	}
	s3 := r.data[3]
	if s3.unclassified.total != 1 || s3.rejected["position"]["banned"] != 1 || len(s3.rejected["position"]) != 1 {
		t.Fatalf("second 3: unclassified %v, rejected %v", s3.unclassified, s3.rejected)
	}
	if s3.dropped != 1 || s3.lateness.total != 2 || s3.lateness.counts[1] != 1 || s3.lateness.counts[bucketKey(14600)] != 1 || s3.lateMaxMs != 14.6 {
		t.Fatalf("second 3: dropped %v, lateness %+v max %v", s3.dropped, s3.lateness, s3.lateMaxMs)
	}
}

func TestSecondsCloseAfterTheWindowAndLateSamplesStayCounted(t *testing.T) {
	r := &recorder{data: map[int64]*second{}}
	a := NewAggregator(r, 2)
	a.SetupDone(t0)
	a.Add(event{kind: evDuration, us: t0 + 100, value: 1, class: "order", lateMs: -1})
	a.Advance(t0 + 2_500_000) // second 2: nothing closes yet (window 2)
	if len(r.seconds) != 0 {
		t.Fatalf("closed %v too early", r.seconds)
	}
	a.Add(event{kind: evDuration, us: t0 + 1_200_000, value: 1, class: "order", lateMs: -1})
	a.Advance(t0 + 3_100_000) // second 3: 0 closes
	if len(r.seconds) != 1 || r.seconds[0] != 0 {
		t.Fatalf("closed %v, want [0]", r.seconds)
	}
	a.Add(event{kind: evDuration, us: t0 + 500, value: 1, class: "order", lateMs: -1}) // for closed second 0
	if err := a.Finish(); err != nil {
		t.Fatal(err)
	}
	if r.data[0].byClass["order"].total != 1 || r.data[1].byClass["order"].total != 2 {
		t.Fatalf("late sample should land in the oldest open second (1)")
	}
}

func TestEndpointsAreCapped(t *testing.T) {
	r := &recorder{data: map[int64]*second{}}
	a := NewAggregator(r, 5)
	a.SetupDone(t0)
	for i := 0; i < maxEndpoints+10; i++ {
		a.Add(event{kind: evDuration, us: t0, value: 1, class: "order", endpoint: "GET /x" + strings.Repeat("y", i), lateMs: -1})
	}
	_ = a.Finish()
	if n := len(r.data[0].byEndpoint); n != maxEndpoints+1 || r.data[0].byEndpoint[otherEndpoint].total != 10 {
		t.Fatalf("%d endpoints, (other) %v", n, r.data[0].byEndpoint[otherEndpoint])
	}
}

// TestGoldenOutput writes a fixed run through the Writer and compares it with
// testdata/golden.hlog and testdata/golden.jsonl, which test/unit/k6Output.test.ts reads with
// the reporter's own reader (UPDATE_GOLDEN=1 rewrites them).
func TestGoldenOutput(t *testing.T) {
	var hlog, client bytes.Buffer
	w := NewWriter(&hlog, &client)
	a := NewAggregator(w, 5)
	a.SetupDone(t0 + 123_456)
	rng := rand.New(rand.NewSource(7))
	endpoints := []string{"POST /fapi/v1/order", "GET /fapi/v2/positionRisk", "GET /fapi/v1/depth", "GET /a,b c%d/é"}
	for i := 0; i < 3000; i++ {
		us := t0 + 123_456 + int64(i)*1000
		cls := TrafficClasses[i%3]
		ms := 0.5 + rng.ExpFloat64()*20
		if i%97 == 0 {
			ms = 250 + rng.Float64()*50
		}
		a.Add(event{kind: evDuration, us: us, value: ms, class: cls, endpoint: endpoints[i%4], lateMs: float64(i%5) * 1.5})
		if i%10 == 0 {
			a.Add(event{kind: evReject, us: us, value: 1, class: cls, reason: RejectReasons[i%len(RejectReasons)], endpoint: endpoints[i%4]})
		}
		if i%50 == 0 {
			a.Add(event{kind: evStale, us: us, value: float64(i % 100 / 50)})
			a.Add(event{kind: evStaleAge, us: us, value: 40.25 + float64(i%7)})
			a.Add(event{kind: evLateness, us: us, value: float64(i%9) * 0.7})
		}
	}
	a.Add(event{kind: evDropped, us: t0 + 2_500_000, value: 1})
	a.Add(event{kind: evDuration, us: t0 + 2_600_000, value: 3, lateMs: -1})
	if err := a.Finish(); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	compareGolden(t, "testdata/golden.hlog", hlog.Bytes())
	compareGolden(t, "testdata/golden.jsonl", client.Bytes())
	// The Go decoder reads back what was encoded (the reporter's reader is checked by vitest).
	for _, line := range strings.Split(hlog.String(), "\n") {
		if !strings.HasPrefix(line, "Tag=") {
			continue
		}
		fields := strings.Split(line, ",")
		if _, err := hdrhistogram.Decode([]byte(fields[len(fields)-1])); err != nil {
			t.Fatalf("undecodable interval %q: %v", line, err)
		}
	}
}

func compareGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if os.Getenv("UPDATE_GOLDEN") == "1" {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with UPDATE_GOLDEN=1 to write it)", err)
	}
	if !bytes.Equal(want, got) {
		t.Fatalf("%s differs from the writer's output (UPDATE_GOLDEN=1 rewrites it)", path)
	}
}

func TestTheStartUpShiftIsTakenFromTheFirstIterations(t *testing.T) {
	r := &recorder{data: map[int64]*second{}}
	a := NewAggregator(r, 5)
	a.SetupDone(t0)
	o := newScheduleOffsets()
	// Scenario "position" runs 7 ms behind startTime from its first iteration on (VU
	// activation); one request of the first iteration waits for the shift to be learnt.
	o.add(a, "position", event{kind: evDuration, us: t0 + 10_000, value: 20, class: "position", lateMs: 7.5})
	for i := 0; i < learnIterations; i++ {
		o.add(a, "position", event{kind: evLateness, us: t0 + int64(i)*50_000, value: 7 + float64(i%3)})
	}
	// Afterwards a genuinely late iteration (57 ms) reads 50 ms; "depth" learns on its own.
	o.add(a, "position", event{kind: evLateness, us: t0 + 600_000, value: 57})
	o.add(a, "position", event{kind: evDuration, us: t0 + 650_000, value: 20, class: "position", lateMs: 57})
	o.add(a, "depth", event{kind: evLateness, us: t0 + 700_000, value: 1.5})
	o.finish(a)
	_ = a.Finish()
	s := r.data[0]
	if got := s.lateness.counts[bucketKey(50_000)]; got != 1 || s.lateMaxMs != 50 {
		t.Fatalf("late iteration: %v (max %v), want 50 ms", s.lateness.counts, s.lateMaxMs)
	}
	if s.lateness.counts[1] != learnIterations/3+2 { // the 7 ms ones, and depth's only one
		t.Fatalf("on-time iterations: %v", s.lateness.counts)
	}
	if c := s.corrected["position"]; c.counts[bucketKey(20_500)] != 1 || c.counts[bucketKey(70_000)] != 1 {
		t.Fatalf("corrected: %v", c.counts)
	}
}

func TestOutcomesBreakDownTheSameRequests(t *testing.T) {
	r := &recorder{data: map[int64]*second{}}
	a := NewAggregator(r, 5)
	a.SetupDone(t0)
	a.Add(event{kind: evDuration, us: t0 + 100, value: 12, class: "order", outcome: "served", lateMs: -1})
	a.Add(event{kind: evDuration, us: t0 + 200, value: 1, class: "order", outcome: "policy", lateMs: -1})
	a.Add(event{kind: evDuration, us: t0 + 300, value: 300, class: "position", outcome: "capacity", lateMs: -1})
	a.Add(event{kind: evDuration, us: t0 + 400, value: 2, class: "nope", outcome: "served", lateMs: -1})
	if err := a.Finish(); err != nil {
		t.Fatal(err)
	}
	s := r.data[0]
	for key, want := range map[string]int64{"order/served": 1, "order/policy": 1, "position/capacity": 1, "unclassified/served": 1} {
		if got := s.byOutcome[key]; got == nil || got.total != want {
			t.Fatalf("%s: %+v, want %d request(s)", key, got, want)
		}
	}
	if s.outcomeTotals["served"].total != 2 || s.outcomeTotals["capacity"].total != 1 || s.outcomeTotals["policy"].total != 1 {
		t.Fatalf("outcome totals %+v", s.outcomeTotals)
	}
	// A breakdown, never more requests: the class series still hold every request once.
	if s.byClass["order"].total != 2 || s.byClass["position"].total != 1 || s.unclassified.total != 1 {
		t.Fatal("outcomes changed the class series")
	}
}

func TestOutcomeOfStatusIsTheReportersRule(t *testing.T) {
	for status, want := range map[int]string{200: "served", 204: "served", 429: "policy", 418: "policy", 503: "capacity", 408: "capacity", 502: "capacity", 0: "capacity", 400: "other", 500: "other", 307: "other"} {
		if got := OutcomeOfStatus(status); got != want {
			t.Fatalf("OutcomeOfStatus(%d) = %s, want %s", status, got, want)
		}
	}
}
