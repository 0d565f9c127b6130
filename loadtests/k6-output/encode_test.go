package stampede

import (
	"bytes"
	"fmt"
	"io"
	"math/rand"
	"slices"
	"testing"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// sparseOf records values, each once.
func sparseOf(values ...int64) *sparse {
	s := newSparse()
	for _, v := range values {
		s.record(v)
	}
	return s
}

// sparseCounts sets buckets directly, for counts no test would record one by one.
func sparseCounts(counts map[int64]int64) *sparse {
	s := newSparse()
	for v, c := range counts {
		s.counts[bucketKey(v)] += c
		s.total += c
	}
	return s
}

func libraryEncode(t testing.TB, s *sparse) []byte {
	t.Helper()
	b, err := s.into(newHdr()).Encode(encodingCookieBase)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// encodeCases are the shapes the property test's random ones might miss.
func encodeCases() map[string]*sparse {
	cases := map[string]*sparse{
		"empty":                      newSparse(),
		"zero":                       sparseOf(0),
		"negative (recorded as 0)":   sparseOf(-5),
		"one":                        sparseOf(1),
		"two, after a single zero":   sparseOf(2),
		"one and three":              sparseOf(1, 3),
		"adjacent":                   sparseOf(7, 8, 9),
		"bucket 0's last":            sparseOf(2047),
		"bucket 1's first":           sparseOf(2048),
		"bucket edges":               sparseOf(2047, 2048, 4095, 4096, 8191, 8192),
		"highest trackable":          sparseOf(highestTrackable),
		"above highest (clamped)":    sparseOf(highestTrackable+1, 1<<62),
		"1 and highest: longest run": sparseOf(1, highestTrackable),
		"0 and highest":              sparseOf(0, highestTrackable),
		"repeated":                   sparseOf(500, 500, 500, 500),
		"counts of every width": sparseCounts(map[int64]int64{
			1: 63, 2: 64, 3: 1 << 13, 4: 1 << 20, 5: 1 << 27, 6: 1 << 34, 7: 1 << 41, 8: 1 << 48,
		}),
		"count with a 9-byte encoding":       sparseCounts(map[int64]int64{100: 1 << 60}),
		"count with the 9th byte's high bit": sparseCounts(map[int64]int64{100: 1<<62 + 12345}),
	}
	every := newSparse()
	for v := int64(0); v < 5000; v++ {
		every.record(v)
	}
	cases["every value to 5000"] = every
	return cases
}

// randomSparse draws n values from one of several distributions, so that runs of zeros, dense
// stretches and both ends of the range all occur.
func randomSparse(rng *rand.Rand) *sparse {
	s := newSparse()
	n := 1 + rng.Intn(2000)
	if rng.Intn(4) == 0 {
		n = 1 + rng.Intn(5)
	}
	kind := rng.Intn(5)
	for range n {
		var v int64
		switch kind {
		case 0: // uniform over the whole range
			v = rng.Int63n(highestTrackable + 1)
		case 1: // log-uniform: every bucket
			v = int64(1) << rng.Intn(32)
			v += rng.Int63n(v)
		case 2: // latency-like, µs
			v = int64(300 + rng.ExpFloat64()*20_000)
		case 3: // a dense cluster and far outliers
			if rng.Intn(50) == 0 {
				v = highestTrackable - rng.Int63n(1000)
			} else {
				v = 1000 + rng.Int63n(100)
			}
		default: // small values only, bucket 0
			v = rng.Int63n(2048)
		}
		s.record(v)
	}
	return s
}

func TestEncoderMatchesLibrary(t *testing.T) {
	e := newEncoder() // one encoder throughout: what one call leaves must not change the next
	for name, s := range encodeCases() {
		got, err := e.appendBase64(nil, s)
		if err != nil {
			t.Fatal(err)
		}
		if want := libraryEncode(t, s); !bytes.Equal(got, want) {
			t.Errorf("%s: encoder\n%s\nlibrary\n%s", name, got, want)
		}
	}
}

func TestEncoderMatchesLibraryRandom(t *testing.T) {
	e := newEncoder()
	rng := rand.New(rand.NewSource(20261205))
	n := 2000
	if testing.Short() {
		n = 200
	}
	for i := range n {
		s := randomSparse(rng)
		prefix := []byte(fmt.Sprintf("line %d,", i)) // appends, leaving what precedes alone
		got, err := e.appendBase64(slices.Clone(prefix), s)
		if err != nil {
			t.Fatal(err)
		}
		if want := append(prefix, libraryEncode(t, s)...); !bytes.Equal(got, want) {
			t.Fatalf("histogram %d (%d values, %d buckets): encoder\n%s\nlibrary\n%s", i, s.total, len(s.counts), got, want)
		}
	}
}

func TestEncoderRoundTrips(t *testing.T) {
	e := newEncoder()
	rng := rand.New(rand.NewSource(5))
	check := func(name string, s *sparse) {
		b, err := e.appendBase64(nil, s)
		if err != nil {
			t.Fatal(err)
		}
		h, err := hdrhistogram.Decode(b)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		want := s.into(newHdr())
		if h.TotalCount() != s.total || !slices.Equal(h.Export().Counts, want.Export().Counts) {
			t.Fatalf("%s: decoded total %d, want %d, or the counts differ", name, h.TotalCount(), s.total)
		}
		if s.total > 0 && (h.Max() != want.Max() || h.Min() != want.Min()) {
			t.Fatalf("%s: decoded min/max %d/%d, want %d/%d", name, h.Min(), h.Max(), want.Min(), want.Max())
		}
	}
	for name, s := range encodeCases() {
		check(name, s)
	}
	for i := range 300 {
		check(fmt.Sprintf("random %d", i), randomSparse(rng))
	}
}

// benchSparse is one busy interval: 300 requests of a class in a second.
func benchSparse() *sparse {
	rng := rand.New(rand.NewSource(1))
	s := newSparse()
	for range 300 {
		s.record(int64(300 + rng.ExpFloat64()*20_000))
	}
	s.record(1_500_000)
	return s
}

// The encoder allocates nothing once its buffers have grown, nor does a whole interval line;
// the library allocates the compressor (hundreds of KiB) each time.
func TestEncoderSteadyStateAllocs(t *testing.T) {
	s := benchSparse()
	e := newEncoder()
	dst, _ := e.appendBase64(nil, s)
	if a := testing.AllocsPerRun(100, func() { dst, _ = e.appendBase64(dst[:0], s) }); a != 0 {
		t.Errorf("encoder: %v allocs per call, want 0", a)
	}
	w := NewWriter(io.Discard, io.Discard)
	_ = w.interval(1, "order", s, 1000)
	if a := testing.AllocsPerRun(100, func() { _ = w.interval(2, "order", s, 1000) }); a != 0 {
		t.Errorf("Writer.interval: %v allocs per call, want 0", a)
	}
}

func BenchmarkEncode(b *testing.B) {
	s := benchSparse()
	b.Run("library", func(b *testing.B) {
		h := newHdr()
		b.ReportAllocs()
		for b.Loop() {
			if _, err := s.into(h).Encode(encodingCookieBase); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoder", func(b *testing.B) {
		e := newEncoder()
		dst, _ := e.appendBase64(nil, s) // steady state: the compressor is created on first use
		b.ReportAllocs()
		for b.Loop() {
			var err error
			if dst, err = e.appendBase64(dst[:0], s); err != nil {
				b.Fatal(err)
			}
		}
	})
	// The whole hlog line, as Second writes it per tagged interval.
	b.Run("interval", func(b *testing.B) {
		w := NewWriter(io.Discard, io.Discard)
		_ = w.interval(1, "order", s, 1000)
		b.ReportAllocs()
		for b.Loop() {
			if err := w.interval(1, "order", s, 1000); err != nil {
				b.Fatal(err)
			}
		}
	})
}
