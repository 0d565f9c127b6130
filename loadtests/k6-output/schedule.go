package stampede

import (
	"math"
	"sort"
	"time"

	"go.k6.io/k6/lib"
	"go.k6.io/k6/lib/executor"
)

// arrivalSchedule is when k6 v1.8.1's arrival-rate executors schedule event i (1-based) of a
// scenario, after the executor's start: when the integral of the rate reaches i (the `cal`
// function of lib/executor/ramping_arrival_rate.go; loadtests/lib/schedule.ts is the same for
// the k6 script), precomputed per stage.
type arrivalSchedule struct {
	startMs, lengthMs, fromRate, toRate, doneBefore, doneBy []float64
}

type rateStage struct {
	target   float64 // events per timeUnit at the stage's end
	duration time.Duration
}

func newArrivalSchedule(startRate float64, timeUnit time.Duration, stages []rateStage) *arrivalSchedule {
	s := &arrivalSchedule{}
	unitMs := float64(timeUnit) / float64(time.Millisecond)
	from := startRate / unitMs
	at, done := 0.0, 0.0
	for _, st := range stages {
		to := st.target / unitMs
		d := float64(st.duration) / float64(time.Millisecond)
		s.startMs = append(s.startMs, at)
		s.lengthMs = append(s.lengthMs, d)
		s.fromRate = append(s.fromRate, from)
		s.toRate = append(s.toRate, to)
		s.doneBefore = append(s.doneBefore, done)
		if from != to {
			done += d * ((to-from)/2 + from)
		} else {
			done += d * to
		}
		s.doneBy = append(s.doneBy, done)
		at += d
		from = to
	}
	return s
}

// offsetMs is event i's scheduled time after the executor's start, ms; ok false past the end.
func (s *arrivalSchedule) offsetMs(i float64) (float64, bool) {
	st := sort.SearchFloat64s(s.doneBy, i) // first stage whose events reach i
	if st >= len(s.doneBy) {
		return 0, false
	}
	from, to, d := s.fromRate[st], s.toRate[st], s.lengthMs[st]
	since := i - s.doneBefore[st]
	var x float64
	if from != to {
		x = (from*d - noNegativeSqrt(d*(from*from*d+2*since*(to-from)))) / (from - to)
	} else {
		x = since / to
	}
	return s.startMs[st] + x, true
}

// noNegativeSqrt is k6's guard against a float64 just below 0 under the root.
func noNegativeSqrt(f float64) float64 {
	if math.Signbit(f) {
		return 0
	}
	return math.Sqrt(f)
}

// stripes maps a segment's local event numbers to the test-wide ones: k6 gives an execution
// segment the events start, start + offsets[0], ... of the whole scenario, repeating every
// cycle (lib.ExecutionTuple.GetStripedOffsets), and numbers both the events it schedules and
// exec.scenario.iterationInTest with them.
type stripes struct {
	start   int64
	offsets []int64
	prefix  []int64 // prefix[j] = offsets[0] + ... + offsets[j-1]
	cycle   int64
	byRest  map[int64]int64 // prefix value -> j
}

func newStripes(tuple *lib.ExecutionTuple) *stripes {
	start, offsets, _ := tuple.GetStripedOffsets()
	s := &stripes{start: start, offsets: offsets, byRest: map[int64]int64{}}
	sum := int64(0)
	for j, o := range offsets {
		s.prefix = append(s.prefix, sum)
		s.byRest[sum] = int64(j)
		sum += o
	}
	s.cycle = sum
	return s
}

// global is the test-wide 0-based number of the segment's k-th (0-based) event.
func (s *stripes) global(k int64) int64 {
	n := int64(len(s.offsets))
	return (k/n)*s.cycle + s.start + s.prefix[k%n]
}

// local is the inverse of global; ok false for a number that is not the segment's.
func (s *stripes) local(g int64) (int64, bool) {
	if g < s.start {
		return 0, false
	}
	c := (g - s.start) / s.cycle
	j, ok := s.byRest[g-s.start-c*s.cycle]
	return c*int64(len(s.offsets)) + j, ok
}

// scenarioPlan is what lateness needs about one arrival-rate scenario.
type scenarioPlan struct {
	schedule *arrivalSchedule
	stripes  *stripes
	dropsUs  []int64 // times of this process's dropped iterations, in order
}

// slotMs is the scheduled offset (ms after the executor's start) of the iteration k6 numbered
// n (exec.scenario.iterationInTest) that started at startUs. k6 takes a number only for an
// iteration it runs, so after d drops in this process the iteration runs in the slot of local
// event k + d, not k: the drops before its start are counted from dropped_iterations.
func (p *scenarioPlan) slotMs(n int64, startUs int64) (float64, bool) {
	k, ok := p.stripes.local(n)
	if !ok {
		return 0, false
	}
	d := int64(sort.Search(len(p.dropsUs), func(i int) bool { return p.dropsUs[i] >= startUs }))
	return p.schedule.offsetMs(float64(p.stripes.global(k+d) + 1))
}

// scenarioPlans reads the ramping-arrival-rate scenarios of the test's options, with this process's
// stripes (the executor re-segments by its maxVUs before scheduling, and so does this).
func scenarioPlans(opts lib.Options) (map[string]*scenarioPlan, error) {
	tuple, err := lib.NewExecutionTuple(opts.ExecutionSegment, opts.ExecutionSegmentSequence)
	if err != nil {
		return nil, err
	}
	plans := map[string]*scenarioPlan{}
	for name, cfg := range opts.Scenarios {
		var sched *arrivalSchedule
		var maxVUs int64
		switch c := cfg.(type) {
		case *executor.RampingArrivalRateConfig:
			stages := make([]rateStage, len(c.Stages))
			for i, st := range c.Stages {
				stages[i] = rateStage{target: float64(st.Target.ValueOrZero()), duration: st.Duration.TimeDuration()}
			}
			sched = newArrivalSchedule(float64(c.StartRate.ValueOrZero()), c.TimeUnit.TimeDuration(), stages)
			maxVUs = c.MaxVUs.Int64 // what the executor re-segments by
		default:
			// Other executors (constant-arrival-rate numbers its events from 0, VU-based ones
			// have no schedule) are not the drill's: their iterations get no lateness.
			continue
		}
		et, err := tuple.GetNewExecutionTupleFromValue(maxVUs)
		if err != nil {
			continue // the scenario has no work in this segment
		}
		plans[name] = &scenarioPlan{schedule: sched, stripes: newStripes(et)}
	}
	return plans, nil
}
