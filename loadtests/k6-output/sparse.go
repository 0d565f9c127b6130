package stampede

import (
	"math"
	"math/bits"
	"sort"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// The reporter's histogram configuration (reports/sparse.ts latencyHistogram): 1 µs to 1 h at 3
// significant digits.
const (
	lowestDiscernible  = 1
	highestTrackable   = 3_600_000_000
	significantDigits  = 3
	subBucketShift     = 10 // log2 of half the 2048 sub-buckets that 3 digits need, unit 1
	encodingCookieBase = hdrhistogram.V2CompressedEncodingCookieBase
)

// bucketKey is the lowest value equivalent to v in that configuration: values below 2048 are
// exact, larger ones keep their 11 highest bits (HdrHistogram's bucket arithmetic, as
// reports/sparse.ts bucketKey does it). Every value of a bucket lands in the same bucket of
// any histogram of the configuration, so recording the key instead of the value changes no
// count and no percentile.
func bucketKey(v int64) int64 {
	if v <= 0 {
		return 0
	}
	if shift := bits.Len64(uint64(v)) - 1 - subBucketShift; shift > 0 {
		return (v >> shift) << shift
	}
	return v
}

// sparse holds one second's values of one series by bucket: a full HdrHistogram of this
// configuration is 23,552 counters (184 KiB); a second of one series occupies a few hundred
// buckets at most.
type sparse struct {
	counts map[int64]int64
	total  int64
}

func newSparse() *sparse { return &sparse{counts: make(map[int64]int64, 16)} }

func (s *sparse) record(v int64) {
	if v > highestTrackable {
		v = highestTrackable
	}
	s.counts[bucketKey(v)]++
	s.total++
}

// keys in ascending order.
func (s *sparse) keys() []int64 {
	ks := make([]int64, 0, len(s.counts))
	for k := range s.counts {
		ks = append(ks, k)
	}
	sort.Slice(ks, func(i, j int) bool { return ks[i] < ks[j] })
	return ks
}

// maxKey is the highest bucket, without sorting (keys would allocate).
func (s *sparse) maxKey() int64 {
	m := int64(math.MinInt64)
	for k := range s.counts {
		m = max(m, k)
	}
	return m
}

// into records the buckets into h (reset first) and returns it: the library's way to encode s,
// which the encoder replaces and its tests compare against.
func (s *sparse) into(h *hdrhistogram.Histogram) *hdrhistogram.Histogram {
	h.Reset()
	for _, k := range s.keys() {
		_ = h.RecordValues(k, s.counts[k]) // keys are within the configured range
	}
	return h
}

func newHdr() *hdrhistogram.Histogram {
	return hdrhistogram.New(lowestDiscernible, highestTrackable, significantDigits)
}
