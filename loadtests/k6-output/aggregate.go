package stampede

import "math"

// reasonCounts is {reason: count}; counts are float64 because k6 counter values are.
type reasonCounts map[string]float64

// second is one second [t, t+1) after t0 of client data, what latency.hlog and client.jsonl
// hold for it (reports/ingest.ts SecondTally).
type second struct {
	byClass              map[string]*sparse // known classes; µs
	unclassified         *sparse            // requests without a known class; µs
	byEndpoint           map[string]*sparse // the same requests by k6 `name`; µs
	corrected            map[string]*sparse // latency from the scheduled start, by class tag; µs
	byOutcome            map[string]*sparse // the same requests by "<class>/<outcome>"; µs
	outcomeTotals        map[string]*sparse // the same requests by outcome over all classes; µs
	staleAge             *sparse            // ms
	staleAgeMaxMs        float64
	lateness             *sparse // µs behind schedule of the iterations started in the second
	lateMaxMs            float64
	rejected             map[string]reasonCounts
	rejectedUnclassified reasonCounts
	rejectedByEndpoint   map[string]reasonCounts
	staleReads           float64
	staleChecked         float64
	dropped              float64
}

func newSecond() *second {
	return &second{
		byClass:              map[string]*sparse{},
		byEndpoint:           map[string]*sparse{},
		corrected:            map[string]*sparse{},
		byOutcome:            map[string]*sparse{},
		outcomeTotals:        map[string]*sparse{},
		rejected:             map[string]reasonCounts{},
		rejectedUnclassified: reasonCounts{},
		rejectedByEndpoint:   map[string]reasonCounts{},
	}
}

func seriesOf(m map[string]*sparse, key string) *sparse {
	s := m[key]
	if s == nil {
		s = newSparse()
		m[key] = s
	}
	return s
}

func countsOf(m map[string]reasonCounts, key string) reasonCounts {
	c := m[key]
	if c == nil {
		c = reasonCounts{}
		m[key] = c
	}
	return c
}

// jsRound is JavaScript's Math.round for the values recorded here (>= 0): the reporter's csv
// path rounds with it, so both paths put a value in the same bucket.
func jsRound(x float64) int64 { return int64(math.Floor(x + 0.5)) }

// Event kinds the aggregator records.
const (
	evDuration = iota
	evReject
	evStale
	evStaleAge
	evDropped
	evLateness
)

// event is one sample as the aggregator needs it: held while t0 is not known yet.
type event struct {
	kind     uint8
	us       int64 // sample time, unix µs (what k6's csv writes with unix_micro)
	value    float64
	class    string
	endpoint string
	reason   string
	outcome  string  // served, policy, capacity, other (durations only; reports/outcomes.ts)
	lateMs   float64 // the iteration's lateness (ms) for a duration; < 0 when unknown
}

// Sink receives closed seconds in order (t = 0, 1, ...; seconds without data too).
type Sink interface {
	Header(t0Us int64) error
	Second(t int64, s *second) error
}

// Aggregator turns samples into per-second series. Samples are binned by their time relative
// to t0 (the `stampede_setup_done` marker, like the reporter's csv path); samples before t0 is
// known are held and replayed once it is. A second is closed and handed to the sink once a
// sample more than windowS seconds later has been seen: k6 stamps a request at its end and
// hands samples over within a second or so, so nothing arrives that late in practice; a sample
// for a second already closed is counted in the oldest open one (totals stay exact).
type Aggregator struct {
	sink      Sink
	windowS   int64
	haveT0    bool
	t0Us      int64
	held      []event
	seconds   map[int64]*second
	nextT     int64 // first second not handed to the sink yet
	lastT     int64 // highest second with data
	endpoints map[string]struct{}
	err       error
}

// NewAggregator writes closed seconds to sink.
func NewAggregator(sink Sink, windowS int64) *Aggregator {
	return &Aggregator{sink: sink, windowS: windowS, seconds: map[int64]*second{}, lastT: -1, endpoints: map[string]struct{}{}}
}

// maxHeld bounds what is held before a t0 marker: a script that never sends one starts at its
// first sample (as the csv path does) instead of holding the whole run.
const maxHeld = 100_000

// SetupDone sets t0 from the first marker; later markers (other processes' or repeats) are ignored.
func (a *Aggregator) SetupDone(us int64) {
	if a.haveT0 {
		return
	}
	a.startAt(us)
}

func (a *Aggregator) startAt(us int64) {
	a.haveT0 = true
	a.t0Us = us
	if err := a.sink.Header(us); err != nil && a.err == nil {
		a.err = err
	}
	held := a.held
	a.held = nil
	for i := range held {
		a.record(&held[i])
	}
}

// Add records one sample.
func (a *Aggregator) Add(e event) {
	if !a.haveT0 {
		a.held = append(a.held, e)
		if len(a.held) >= maxHeld {
			a.startAt(a.held[0].us)
		}
		return
	}
	a.record(&e)
}

func (a *Aggregator) secondAt(us int64) *second {
	t := int64(0)
	if d := us - a.t0Us; d > 0 {
		t = d / 1_000_000
	}
	if t < a.nextT {
		t = a.nextT
	}
	if t > a.lastT {
		a.lastT = t
	}
	s := a.seconds[t]
	if s == nil {
		s = newSecond()
		a.seconds[t] = s
	}
	return s
}

// endpoint keeps at most maxEndpoints distinct names, the rest under otherEndpoint (the
// reporter's csv path does the same: k6 names un-named requests by URL).
func (a *Aggregator) endpoint(name string) string {
	if _, ok := a.endpoints[name]; ok {
		return name
	}
	if len(a.endpoints) >= maxEndpoints && name != otherEndpoint {
		a.endpoints[otherEndpoint] = struct{}{}
		return otherEndpoint
	}
	a.endpoints[name] = struct{}{}
	return name
}

func (a *Aggregator) record(e *event) {
	s := a.secondAt(e.us)
	switch e.kind {
	case evDuration:
		us := jsRound(e.value * 1000)
		if us < 1 {
			us = 1
		}
		if isTrafficClass(e.class) {
			seriesOf(s.byClass, e.class).record(us)
		} else {
			if s.unclassified == nil {
				s.unclassified = newSparse()
			}
			s.unclassified.record(us)
		}
		if e.endpoint != "" {
			seriesOf(s.byEndpoint, a.endpoint(e.endpoint)).record(us)
		}
		if e.outcome != "" {
			cls := e.class
			if !isTrafficClass(cls) {
				cls = unclassifiedTag
			}
			seriesOf(s.byOutcome, cls+"/"+e.outcome).record(us)
			seriesOf(s.outcomeTotals, e.outcome).record(us)
		}
		if e.lateMs >= 0 {
			cls := e.class
			if !isTrafficClass(cls) {
				cls = unclassifiedTag
			}
			seriesOf(s.corrected, cls).record(us + jsRound(e.lateMs*1000))
		}
	case evReject:
		if !isRejectReason(e.reason) {
			return
		}
		if isTrafficClass(e.class) {
			countsOf(s.rejected, e.class)[e.reason] += e.value
		} else {
			s.rejectedUnclassified[e.reason] += e.value
		}
		if e.endpoint != "" {
			countsOf(s.rejectedByEndpoint, a.endpoint(e.endpoint))[e.reason] += e.value
		}
	case evStale:
		s.staleChecked++
		if e.value > 0 {
			s.staleReads++
		}
	case evStaleAge:
		if s.staleAge == nil {
			s.staleAge = newSparse()
		}
		ms := jsRound(e.value)
		if ms < 1 {
			ms = 1
		}
		s.staleAge.record(ms)
		s.staleAgeMaxMs = math.Max(s.staleAgeMaxMs, e.value)
	case evDropped:
		s.dropped += e.value
	case evLateness:
		if s.lateness == nil {
			s.lateness = newSparse()
		}
		// In µs like latencies: the reporter's histograms start at 1, and an on-time start
		// (0 ms) is then 1 µs rather than lost or rounded up to a whole ms.
		us := jsRound(e.value * 1000)
		if us < 1 {
			us = 1
		}
		s.lateness.record(us)
		s.lateMaxMs = math.Max(s.lateMaxMs, e.value)
	}
}

// Advance closes the seconds more than windowS before the second of nowUs.
func (a *Aggregator) Advance(nowUs int64) {
	if !a.haveT0 {
		return
	}
	a.closeBefore((nowUs-a.t0Us)/1_000_000 - a.windowS)
}

func (a *Aggregator) closeBefore(limit int64) {
	for ; a.nextT < limit && a.nextT <= a.lastT; a.nextT++ {
		s := a.seconds[a.nextT]
		delete(a.seconds, a.nextT)
		if s == nil {
			s = newSecond()
		}
		if err := a.sink.Second(a.nextT, s); err != nil && a.err == nil {
			a.err = err
		}
	}
}

// Finish closes every second (starting at the first held sample when no marker came) and
// returns the first error the sink reported.
func (a *Aggregator) Finish() error {
	if !a.haveT0 && len(a.held) > 0 {
		a.startAt(a.held[0].us)
	}
	a.closeBefore(math.MaxInt64)
	return a.err
}
