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
	"time"

	"go.k6.io/k6/lib"
	"go.k6.io/k6/metrics"
	"go.k6.io/k6/output"
)

func init() {
	output.RegisterExtension("stampede", New)
}

// LatenessMetadataKey is the VU metadata (loadtests/drill.ts sets it at each iteration's start)
// holding how many ms the iteration started behind its schedule; every sample of the
// iteration carries it, so a request's corrected latency needs no sample of its own.
const LatenessMetadataKey = "stampede_late_ms"

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
	return &Output{hlogPath: filepath.Join(dir, hlog), clientPath: filepath.Join(dir, client)}, nil
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
		if v, ok := s.Metadata[LatenessMetadataKey]; ok {
			if ms, err := strconv.ParseFloat(v, 64); err == nil {
				e.lateMs = ms
				o.offsets.add(o.agg, scenarioOf(s), e)
				return
			}
		}
		o.agg.Add(e)
	case "stampede_rejects":
		o.agg.Add(event{kind: evReject, us: us, value: s.Value, class: tag(s, "class"), reason: tag(s, "reason"), endpoint: tag(s, "name")})
	case "stampede_stale_read":
		o.agg.Add(event{kind: evStale, us: us, value: s.Value})
	case "stampede_stale_read_age_ms":
		o.agg.Add(event{kind: evStaleAge, us: us, value: s.Value})
	case "dropped_iterations":
		o.agg.Add(event{kind: evDropped, us: us, value: s.Value})
	case "iteration_duration":
		// One per iteration, at its end: its lateness is binned by the iteration's start.
		if v, ok := s.Metadata[LatenessMetadataKey]; ok {
			if ms, err := strconv.ParseFloat(v, 64); err == nil {
				startUs := us - int64(s.Value*1000)
				o.offsets.add(o.agg, scenarioOf(s), event{kind: evLateness, us: startUs, value: ms})
			}
		}
	case "stampede_setup_done":
		o.agg.SetupDone(us)
	}
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
