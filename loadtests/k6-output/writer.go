package stampede

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"time"
)

// Writer writes closed seconds as latency.hlog (an HdrHistogram interval log, format 1.3, as
// reports/hlog.ts formatHlog writes it) and client.jsonl (reports/hlog.ts ClientSecond).
type Writer struct {
	hlog   *bufio.Writer
	client *bufio.Writer
	enc    *encoder
	line   []byte // one interval line, reused: the writer runs ~30 intervals a second inside k6
}

// NewWriter buffers both streams; Flush writes them through.
func NewWriter(hlog, client io.Writer) *Writer {
	return &Writer{hlog: bufio.NewWriter(hlog), client: bufio.NewWriter(client), enc: newEncoder()}
}

// epochSeconds is "1800000000.123456", reports/hlog.ts epochSeconds.
func epochSeconds(us int64) string {
	return fmt.Sprintf("%d.%06d", us/1_000_000, us%1_000_000)
}

// Header writes the log's header with t0 as StartTime and BaseTime: interval timestamps are
// seconds since t0, and the reporter aligns several generators' logs by their StartTime.
func (w *Writer) Header(t0Us int64) error {
	iso := time.UnixMicro(t0Us).UTC().Format("2006-01-02T15:04:05.000Z")
	_, err := fmt.Fprintf(w.hlog, "#[Histogram log format version 1.3]\n"+
		"#[StartTime: %s (seconds since epoch), %s]\n"+
		"#[BaseTime: %s (seconds since epoch)]\n"+
		"#stampede client latency (k6 output extension): one interval per second and traffic class (Tag=<class>), values in µs; "+
		"Tag=endpoint=<k6 name, percent-encoded>: the same requests by endpoint; Tag=stale_age: stale-read ages in ms; "+
		"Tag=<class>/<outcome> and Tag=outcome=<outcome> (served, policy, capacity, other): the same requests by outcome; Tag=lateness: iteration start behind schedule in µs; Tag=corrected=<class>: latency from the scheduled start in µs\n"+
		"\"StartTimestamp\",\"Interval_Length\",\"Interval_Max\",\"Interval_Compressed_Histogram\"\n",
		epochSeconds(t0Us), iso, epochSeconds(t0Us))
	return err
}

// interval writes one tagged interval; ratio turns the max into the Interval_Max column's unit (ms).
func (w *Writer) interval(t int64, tag string, s *sparse, ratio float64) error {
	if s == nil || s.total == 0 {
		return nil
	}
	// "Tag=%s,%d.000,1.000,%.3f,%s\n" built by hand: fmt would box every argument each time.
	b := append(w.line[:0], "Tag="...)
	b = append(b, tag...)
	b = append(b, ',')
	b = strconv.AppendInt(b, t, 10)
	b = append(b, ".000,1.000,"...)
	b = strconv.AppendFloat(b, float64(s.maxKey())/ratio, 'f', 3, 64)
	b = append(b, ',')
	b, err := w.enc.appendBase64(b, s)
	if err != nil {
		return err
	}
	b = append(b, '\n')
	w.line = b
	_, err = w.hlog.Write(b)
	return err
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// clientSecond is one line of client.jsonl.
type clientSecond struct {
	T                    int64                   `json:"t"`
	Rejected             map[string]reasonCounts `json:"rejected"`
	RejectedUnclassified reasonCounts            `json:"rejectedUnclassified,omitempty"`
	RejectedByEndpoint   map[string]reasonCounts `json:"rejectedByEndpoint,omitempty"`
	StaleReads           float64                 `json:"staleReads"`
	StaleChecked         float64                 `json:"staleChecked"`
	StaleAgeMaxMs        *float64                `json:"staleAgeMaxMs"`
	DroppedIterations    float64                 `json:"droppedIterations"`
	LateMs               *float64                `json:"lateMs"`
}

// Second writes second t: the class intervals, endpoints, stale ages, lateness and corrected
// latencies, then its client.jsonl line.
func (w *Writer) Second(t int64, s *second) error {
	for _, cls := range TrafficClasses {
		if err := w.interval(t, cls, s.byClass[cls], 1000); err != nil {
			return err
		}
	}
	if err := w.interval(t, unclassifiedTag, s.unclassified, 1000); err != nil {
		return err
	}
	for _, name := range sortedKeys(s.byEndpoint) {
		if err := w.interval(t, EndpointTag(name), s.byEndpoint[name], 1000); err != nil {
			return err
		}
	}
	for _, key := range sortedKeys(s.byOutcome) {
		if err := w.interval(t, key, s.byOutcome[key], 1000); err != nil {
			return err
		}
	}
	for _, outcome := range sortedKeys(s.outcomeTotals) {
		if err := w.interval(t, outcomeTagPre+outcome, s.outcomeTotals[outcome], 1000); err != nil {
			return err
		}
	}
	if err := w.interval(t, staleAgeTag, s.staleAge, 1); err != nil {
		return err
	}
	if err := w.interval(t, latenessTag, s.lateness, 1000); err != nil {
		return err
	}
	for _, cls := range sortedKeys(s.corrected) {
		if err := w.interval(t, correctedTagPre+cls, s.corrected[cls], 1000); err != nil {
			return err
		}
	}
	line := clientSecond{T: t, Rejected: s.rejected, StaleReads: s.staleReads, StaleChecked: s.staleChecked, DroppedIterations: s.dropped}
	if len(s.rejectedUnclassified) > 0 {
		line.RejectedUnclassified = s.rejectedUnclassified
	}
	if len(s.rejectedByEndpoint) > 0 {
		line.RejectedByEndpoint = s.rejectedByEndpoint
	}
	if s.staleAge != nil {
		v := s.staleAgeMaxMs
		line.StaleAgeMaxMs = &v
	}
	if s.lateness != nil {
		v := s.lateMaxMs
		line.LateMs = &v
	}
	b, err := json.Marshal(line)
	if err != nil {
		return err
	}
	if _, err := w.client.Write(append(b, '\n')); err != nil {
		return err
	}
	return nil
}

// Flush writes buffered lines through to the files.
func (w *Writer) Flush() error {
	if err := w.hlog.Flush(); err != nil {
		return err
	}
	return w.client.Flush()
}
