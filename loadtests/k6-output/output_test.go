package stampede

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"go.k6.io/k6/lib"
	"go.k6.io/k6/lib/executor"
	"go.k6.io/k6/lib/types"
	"go.k6.io/k6/metrics"
	"gopkg.in/guregu/null.v3"
)

// The output reads the schedule from the test's own scenario options, maps an iteration mark to
// its slot, and turns k6 samples into lateness and corrected latency.
func TestOutputMeasuresLatenessFromTheScenarioOptions(t *testing.T) {
	cfg := executor.NewRampingArrivalRateConfig("position")
	cfg.StartRate = null.IntFrom(600) // 10/s
	cfg.TimeUnit = types.NullDurationFrom(time.Minute)
	cfg.Stages = []executor.Stage{{Duration: types.NullDurationFrom(10 * time.Second), Target: null.IntFrom(600)}}
	cfg.MaxVUs = null.IntFrom(50)
	plans, err := scenarioPlans(lib.Options{Scenarios: lib.ScenarioConfigs{"position": cfg}})
	if err != nil || plans["position"] == nil {
		t.Fatalf("plans %v, %v", plans, err)
	}

	var hlog, client bytes.Buffer
	w := NewWriter(&hlog, &client)
	o := &Output{writer: w, agg: NewAggregator(w, 5), offsets: newScheduleOffsets(), plans: plans}
	registry := metrics.NewRegistry()
	tags := registry.RootTagSet().With("scenario", "position").With("class", "position")
	duration := registry.MustNewMetric("http_req_duration", metrics.Trend, metrics.Time)
	iteration := registry.MustNewMetric("iteration_duration", metrics.Trend, metrics.Time)
	dropped := registry.MustNewMetric("dropped_iterations", metrics.Counter)
	setup := registry.MustNewMetric("stampede_setup_done", metrics.Counter)

	// The executor started at 1,000,000 ms; event i is due 100 i ms later.
	const startMs = 1_800_000_000_000
	at := func(ms float64) time.Time { return time.UnixMicro(int64(ms * 1000)) }
	sample := func(m *metrics.Metric, end time.Time, value float64, mark string) metrics.Sample {
		s := metrics.Sample{TimeSeries: metrics.TimeSeries{Metric: m, Tags: tags}, Time: end, Value: value}
		if mark != "" {
			s.Metadata = map[string]string{IterationMetadataKey: mark}
		}
		return s
	}
	var samples metrics.Samples
	samples = append(samples, sample(setup, at(startMs-5), 1, ""))
	// Ten iterations on time (the first ten set the schedule's start), each with a 20 ms request.
	for n := 0; n < learnIterations; n++ {
		due := float64(startMs + 100*(n+1))
		samples = append(samples,
			sample(duration, at(due+20), 20, markOf(n, due)),
			sample(iteration, at(due+21), 21, markOf(n, due)))
	}
	// Two drops, then iteration 10 runs in slot 12 (due 1,300 ms) and starts 40 ms late.
	samples = append(samples, sample(dropped, at(startMs+1_100), 1, ""), sample(dropped, at(startMs+1_200), 1, ""))
	started := float64(startMs + 1_340)
	samples = append(samples,
		sample(duration, at(started+20), 20, markOf(10, started)),
		sample(iteration, at(started+21), 21, markOf(10, started)))
	for _, s := range samples {
		o.add(&s, s.Time.UnixMicro())
	}
	o.offsets.finish(o.agg)
	if err := o.agg.Finish(); err != nil {
		t.Fatal(err)
	}
	_ = w.Flush()
	if !strings.Contains(client.String(), `"lateMs":40`) || !strings.Contains(client.String(), `"droppedIterations":2`) {
		t.Fatalf("client.jsonl: %s", client.String())
	}
	if !strings.Contains(hlog.String(), "Tag=corrected=position,1.000,1.000,60.") {
		t.Fatalf("second 1's corrected latency should top out at 20 + 40 ms:\n%s", hlog.String())
	}
}

// markOf is what loadtests/lib/lateness.ts iterationMark writes.
func markOf(n int, startMs float64) string { return fmt.Sprintf("%d@%.0f", n, startMs) }
