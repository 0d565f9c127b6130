package stampede

import "math"

// scheduleOffsets finds when each scenario's schedule started. k6 does not say when its
// arrival-rate executor started its clock: after activating the scenario's pre-allocated VUs,
// a few ms per hundred VUs after exec.scenario.startTime (7 ms for 315 VUs on the loaded
// two-core machine, 1.3 ms for 126). Per scenario, the start is taken as the earliest
// (start - slot) of its first iterations (at a profile's normal load every VU is idle, so the
// earliest of them start on time) and subtracted from every lateness and corrected latency of
// the scenario; until it is known, the scenario's samples are held (a few seconds at most,
// see learnIterations/learnUs).
type scheduleOffsets struct {
	byScenario map[string]*scenarioOffset
}

type scenarioOffset struct {
	known        bool
	offsetMs     float64
	iterations   int
	minMs        float64
	minRequestMs float64
	firstUs      int64
	held         []event
}

const (
	learnIterations = 10
	learnUs         = 2_000_000
)

func newScheduleOffsets() *scheduleOffsets {
	return &scheduleOffsets{byScenario: map[string]*scenarioOffset{}}
}

// add passes e (a duration with a lateness, or a lateness) to agg once its scenario's shift is known.
func (o *scheduleOffsets) add(agg *Aggregator, scenario string, e event) {
	s := o.byScenario[scenario]
	if s == nil {
		s = &scenarioOffset{minMs: math.Inf(1), minRequestMs: math.Inf(1), firstUs: e.us}
		o.byScenario[scenario] = s
	}
	if s.known {
		agg.Add(s.shifted(e))
		return
	}
	s.held = append(s.held, e)
	if e.kind == evLateness {
		s.iterations++
		s.minMs = math.Min(s.minMs, e.value)
	} else if s.iterations == 0 {
		s.minRequestMs = math.Min(s.minRequestMs, e.lateMs)
	}
	elapsedUs := e.us - s.firstUs
	// Settles without a completed iteration too (iterations longer than the learning, a flood
	// of requests) rather than holding without bound; the start then comes from the requests.
	if s.iterations >= learnIterations || (s.iterations > 0 && elapsedUs >= learnUs) ||
		elapsedUs >= 5*learnUs || len(s.held) >= maxHeld {
		s.settle(agg)
	}
}

// settle fixes the start (the least distance of the iterations seen, else of the requests)
// and replays what was held.
func (s *scenarioOffset) settle(agg *Aggregator) {
	s.known = true
	s.offsetMs = s.minMs
	if math.IsInf(s.minMs, 1) {
		s.offsetMs = s.minRequestMs
	}
	for _, e := range s.held {
		agg.Add(s.shifted(e))
	}
	s.held = nil
}

func (s *scenarioOffset) shifted(e event) event {
	if e.kind == evLateness {
		e.value = math.Max(0, e.value-s.offsetMs)
	} else if e.lateMs >= 0 {
		e.lateMs = math.Max(0, e.lateMs-s.offsetMs)
	}
	return e
}

// finish settles the scenarios still learning (a run shorter than the learning).
func (o *scheduleOffsets) finish(agg *Aggregator) {
	for _, s := range o.byScenario {
		if !s.known {
			s.settle(agg)
		}
	}
}
