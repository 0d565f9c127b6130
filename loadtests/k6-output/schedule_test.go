package stampede

import (
	"math"
	"testing"
	"time"

	"go.k6.io/k6/lib"
)

func near(a, b float64) bool { return math.Abs(a-b) < 1e-6 }

func TestScheduleFollowsTheRateIntegral(t *testing.T) {
	// 120/min (2/s) for 10 s: event i at i/2 s; nothing past event 20.
	c := newArrivalSchedule(120, time.Minute, []rateStage{{120, 10 * time.Second}})
	if at, ok := c.offsetMs(1); !ok || !near(at, 500) {
		t.Fatalf("event 1 at %v", at)
	}
	if at, ok := c.offsetMs(20); !ok || !near(at, 10_000) {
		t.Fatalf("event 20 at %v", at)
	}
	if _, ok := c.offsetMs(21); ok {
		t.Fatal("event 21 is past the scenario")
	}
	// 0 -> 2/s over 10 s (integral 0.1 t^2: event k at sqrt(10 k) s), then 6/s for 5 s.
	r := newArrivalSchedule(0, time.Minute, []rateStage{{120, 10 * time.Second}, {360, 0}, {360, 5 * time.Second}})
	for k := 1; k <= 10; k++ {
		if at, _ := r.offsetMs(float64(k)); !near(at, math.Sqrt(10*float64(k))*1000) {
			t.Fatalf("ramp event %d at %v", k, at)
		}
	}
	for k := 1; k <= 30; k++ {
		if at, _ := r.offsetMs(float64(10 + k)); !near(at, 10_000+float64(k)*1000/6) {
			t.Fatalf("event %d at %v", 10+k, at)
		}
	}
}

func tupleOf(t *testing.T, segment, sequence string, maxVUs int64) *lib.ExecutionTuple {
	t.Helper()
	var seg *lib.ExecutionSegment
	var seq *lib.ExecutionSegmentSequence
	if segment != "" {
		s, err := lib.NewExecutionSegmentFromString(segment)
		if err != nil {
			t.Fatal(err)
		}
		seg = s
		q, err := lib.NewExecutionSegmentSequenceFromString(sequence)
		if err != nil {
			t.Fatal(err)
		}
		seq = &q
	}
	et, err := lib.NewExecutionTuple(seg, seq)
	if err != nil {
		t.Fatal(err)
	}
	if et, err = et.GetNewExecutionTupleFromValue(maxVUs); err != nil {
		t.Fatal(err)
	}
	return et
}

// The stripes number a segment's events as k6's own SegmentedIndex does (which numbers
// exec.scenario.iterationInTest), and local inverts global.
func TestStripesNumberEventsAsK6Does(t *testing.T) {
	for _, c := range []struct{ segment, sequence string }{
		{"", ""}, {"0:1/2", "0,1/2,1"}, {"1/2:1", "0,1/2,1"}, {"1/3:2/3", "0,1/3,2/3,1"}, {"2/3:1", "0,1/3,2/3,1"},
	} {
		et := tupleOf(t, c.segment, c.sequence, 315)
		s := newStripes(et)
		idx := lib.NewSegmentedIndex(et)
		for k := int64(0); k < 2000; k++ {
			_, unscaled := idx.Next()
			if g := s.global(k); g != unscaled-1 {
				t.Fatalf("%s: event %d is %d, k6 says %d", c.segment, k, g, unscaled-1)
			}
			if back, ok := s.local(unscaled - 1); !ok || back != k {
				t.Fatalf("%s: local(%d) = %d %v, want %d", c.segment, unscaled-1, back, ok, k)
			}
		}
	}
}

// An iteration k6 numbered n runs in the slot after the drops before it: lateness is measured
// against that slot, not against slot n.
func TestDroppedIterationsMoveTheSlot(t *testing.T) {
	p := &scenarioPlan{
		schedule: newArrivalSchedule(600, time.Minute, []rateStage{{600, 10 * time.Second}}), // 10/s
		stripes:  newStripes(tupleOf(t, "", "", 10)),
	}
	at, _ := p.slotMs(4, 1_000_000) // event 5: 500 ms
	if !near(at, 500) {
		t.Fatalf("no drops: %v", at)
	}
	p.dropsUs = []int64{400_000, 450_000, 2_000_000}
	if at, _ := p.slotMs(4, 1_000_000); !near(at, 700) { // two drops before: event 7
		t.Fatalf("two drops: %v", at)
	}
	// Segment 1/2:1 of two: its events are 1, 3, 5, ... (0-based); iterationInTest 5 is its
	// local event 2, and after one drop it runs in local slot 3 = global 7, event 8: 800 ms.
	p.stripes = newStripes(tupleOf(t, "1/2:1", "0,1/2,1", 10))
	p.dropsUs = []int64{100}
	if at, ok := p.slotMs(5, 1_000_000); !ok || !near(at, 800) {
		t.Fatalf("segment with a drop: %v %v", at, ok)
	}
	if _, ok := p.slotMs(4, 1_000_000); ok {
		t.Fatal("4 is the other segment's iteration")
	}
}
