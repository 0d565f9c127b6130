// Package stampede is a k6 output (`--out stampede=<run folder>`) that aggregates a drill's
// samples inside k6 into what the reporter reads: latency.hlog (per-second HDR histograms per
// traffic class, endpoint, stale-read age, lateness and corrected latency) and client.jsonl
// (per-second counters), instead of writing every raw sample to a csv for the reporter to parse.
package stampede

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"go.k6.io/k6/lib"
	"go.k6.io/k6/metrics"
	"go.k6.io/k6/output"
)

func init() {
	output.RegisterExtension("stampede", New)
}

// IterationMetadataKey is the VU metadata loadtests/drill.ts sets at each iteration's start:
// "<exec.scenario.iterationInTest>@<Date.now()>". Every sample of the iteration carries it, so
// the iteration's lateness, and each request's corrected latency, need no sample of their own.
const IterationMetadataKey = "stampede_iteration"

// flushPeriod: how often buffered samples are aggregated; windowS: how long a second stays
// open for late samples before it is written.
const (
	flushPeriod = time.Second
	windowS     = 5
)

// Output is the k6 output.
type Output struct {
	output.SampleBuffer
	flusher    *output.PeriodicFlusher
	hlogPath   string
	clientPath string
	hlogFile   *os.File
	clientFile *os.File
	writer     *Writer
	agg        *Aggregator
	offsets    *scheduleOffsets
	plans      map[string]*scenarioPlan
}

var _ output.Output = &Output{}

// FileNames are the files of one k6 process: latency.hlog and client.jsonl for a whole test,
// latency-<i>.hlog and client-<i>.jsonl for the i-th execution segment of a sequence
// (`drill --generators N`, k6-operator runners), so N processes can share one run folder.
func FileNames(segment *lib.ExecutionSegment, sequence *lib.ExecutionSegmentSequence) (string, string, error) {
	if segment == nil || segment.FloatLength() == 1 {
		return "latency.hlog", "client.jsonl", nil
	}
	tuple, err := lib.NewExecutionTuple(segment, sequence)
	if err != nil {
		return "", "", err
	}
	i := strconv.Itoa(tuple.SegmentIndex)
	return "latency-" + i + ".hlog", "client-" + i + ".jsonl", nil
}

// New is the constructor k6 calls for `--out stampede=<dir>`.
func New(params output.Params) (output.Output, error) {
	dir := params.ConfigArgument
	if dir == "" {
		return nil, fmt.Errorf("stampede output: give the run folder, --out stampede=<dir>")
	}
	hlog, client, err := FileNames(params.ScriptOptions.ExecutionSegment, params.ScriptOptions.ExecutionSegmentSequence)
	if err != nil {
		return nil, fmt.Errorf("stampede output: %w", err)
	}
	plans, err := scenarioPlans(params.ScriptOptions)
	if err != nil {
		return nil, fmt.Errorf("stampede output: %w", err)
	}
	return &Output{hlogPath: filepath.Join(dir, hlog), clientPath: filepath.Join(dir, client), plans: plans}, nil
}

// Description is shown by `k6 run`.
func (o *Output) Description() string {
	return fmt.Sprintf("stampede (%s, %s)", o.hlogPath, o.clientPath)
}

// Start creates the files and starts the periodic aggregation.
func (o *Output) Start() error {
	if err := os.MkdirAll(filepath.Dir(o.hlogPath), 0o755); err != nil {
		return err
	}
	var err error
	if o.hlogFile, err = os.Create(o.hlogPath); err != nil {
		return err
	}
	if o.clientFile, err = os.Create(o.clientPath); err != nil {
		return err
	}
	o.writer = NewWriter(o.hlogFile, o.clientFile)
	o.agg = NewAggregator(o.writer, windowS)
	o.offsets = newScheduleOffsets()
	o.flusher, err = output.NewPeriodicFlusher(flushPeriod, o.flush)
	return err
}

// flush aggregates what k6 handed over since the last call; runs on the flusher's goroutine,
// never concurrently with itself.
func (o *Output) flush() {
	var newest int64
	for _, container := range o.GetBufferedSamples() {
		for _, s := range container.GetSamples() {
			us := s.Time.UnixMicro()
			if us > newest {
				newest = us
			}
			o.add(&s, us)
		}
	}
	if newest > 0 {
		o.agg.Advance(newest)
	}
	_ = o.writer.Flush() // a write error is reported by Stop
}

func tag(s *metrics.Sample, key string) string {
	if s.Tags == nil {
		return ""
	}
	v, _ := s.Tags.Get(key)
	return v
}

func (o *Output) add(s *metrics.Sample, us int64) {
	switch s.Metric.Name {
	case "http_req_duration":
		endpoint := tag(s, "name")
		if endpoint == "setup" {
			return // setup() traffic is not drill traffic
		}
		e := event{kind: evDuration, us: us, value: s.Value, class: tag(s, "class"), endpoint: endpoint, lateMs: -1}
		// k6 tags a request without a response with status 0.
		if status, err := strconv.Atoi(tag(s, "status")); err == nil {
			e.outcome = OutcomeOfStatus(status)
		}
		if scenario, behindMs, _, ok := o.behind(s); ok {
			e.lateMs = behindMs
			o.offsets.add(o.agg, scenario, e)
			return
		}
		o.agg.Add(e)
	case "stampede_rejects":
		o.agg.Add(event{kind: evReject, us: us, value: s.Value, class: tag(s, "class"), reason: tag(s, "reason"), endpoint: tag(s, "name")})
	case "stampede_stale_read":
		o.agg.Add(event{kind: evStale, us: us, value: s.Value})
	case "stampede_stale_read_age_ms":
		o.agg.Add(event{kind: evStaleAge, us: us, value: s.Value})
	case "dropped_iterations":
		if p := o.plans[scenarioOf(s)]; p != nil {
			p.dropsUs = append(p.dropsUs, us)
		}
		o.agg.Add(event{kind: evDropped, us: us, value: s.Value})
	case "iteration_duration":
		// One per iteration, at its end: its lateness is binned by the iteration's start.
		if scenario, behindMs, startUs, ok := o.behind(s); ok {
			o.offsets.add(o.agg, scenario, event{kind: evLateness, us: startUs, value: behindMs})
		}
	case "stampede_setup_done":
		o.agg.SetupDone(us)
	}
}

// behind reads the iteration mark of a sample and returns its scenario, its iteration's start
// (unix µs) and the start's distance behind the iteration's slot in the schedule, in ms. That
// distance still holds the executor's start time (unknown here); scheduleOffsets removes it.
func (o *Output) behind(s *metrics.Sample) (string, float64, int64, bool) {
	mark, ok := s.Metadata[IterationMetadataKey]
	if !ok {
		return "", 0, 0, false
	}
	at := strings.IndexByte(mark, '@')
	if at < 0 {
		return "", 0, 0, false
	}
	n, err1 := strconv.ParseInt(mark[:at], 10, 64)
	startMs, err2 := strconv.ParseFloat(mark[at+1:], 64)
	scenario := scenarioOf(s)
	plan := o.plans[scenario]
	if err1 != nil || err2 != nil || plan == nil {
		return "", 0, 0, false
	}
	startUs := int64(startMs * 1000)
	slotMs, ok := plan.slotMs(n, startUs)
	if !ok {
		return "", 0, 0, false
	}
	return scenario, startMs - slotMs, startUs, true
}

// scenarioOf is the sample's scenario (k6's `scenario` system tag), else its class tag.
func scenarioOf(s *metrics.Sample) string {
	if v := tag(s, "scenario"); v != "" {
		return v
	}
	return tag(s, "class")
}

// Stop aggregates the last samples, writes every open second and closes the files.
func (o *Output) Stop() error {
	o.flusher.Stop()
	o.flush()
	o.offsets.finish(o.agg)
	err := o.agg.Finish()
	if ferr := o.writer.Flush(); err == nil {
		err = ferr
	}
	if cerr := o.hlogFile.Close(); err == nil {
		err = cerr
	}
	if cerr := o.clientFile.Close(); err == nil {
		err = cerr
	}
	return err
}
