package stampede

import (
	"bytes"
	"compress/zlib"
	"encoding/base64"
	"encoding/binary"
	"math"
	"math/bits"
	"slices"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// encoder writes a sparse histogram in HdrHistogram's V2 compressed encoding, base64, byte for
// byte what hdrhistogram-go v1.1.2 (*Histogram).Encode(V2CompressedEncodingCookieBase) returns
// for the same counts (hdr_encoding.go dumpV2CompressedEncoding), keeping its buffers and one
// zlib writer across calls.
//
// Why: Encode runs for each tagged interval every second (about 30 a second) and creates a
// zlib.Writer at BestCompression each time; a heap profile of the default drill (2026-12-05)
// put compress/flate.NewWriter at 20% of all bytes the k6 process allocates, and the GC cycles
// that drives run inside the load generator and delay iterations.
//
// Measured with go test -run '^$' -bench BenchmarkEncode -benchmem -count 5 (one interval of
// 301 values, 2-core AMD EPYC, Go 1.26.8):
//
//	s.into + h.Encode (before):  400-650 µs/op  827,275 B/op  631 allocs/op
//	encoder.appendBase64:         39-48 µs/op        0 B/op    0 allocs/op
//
// In a CPU profile of what remains, deflate at BestCompression is about half, the compressor's
// Reset clearing its hash tables a fifth and sorting the buckets a fifth; the first two are
// the price of the library's exact bytes.
type encoder struct {
	keys  []int64      // the sparse histogram's buckets, ascending
	inner []byte       // header and counts, what gets compressed
	outer bytes.Buffer // outer cookie, compressed length, zlib stream
	zw    *zlib.Writer // Reset per call: creating one allocates the compressor's tables
}

// The V2 cookies as the library writes them (hdr_encoding.go encodingCookie,
// compressedEncodingCookie): the base ORed with 0x10; its decoder masks the nibble off.
const (
	innerCookie = hdrhistogram.V2EncodingCookieBase | 0x10
	outerCookie = encodingCookieBase | 0x10
)

// outerPlaceholder stands for the outer cookie and the compressed length until the length is known.
var outerPlaceholder [8]byte

func newEncoder() *encoder {
	e := &encoder{}
	// BestCompression is a valid level, so NewWriterLevel cannot fail.
	e.zw, _ = zlib.NewWriterLevel(&e.outer, zlib.BestCompression)
	return e
}

// appendBase64 appends s's encoding, base64, to dst. s must hold at least one value (as the
// hlog writes only non-empty intervals); an empty s encodes as the library encodes an empty
// histogram.
func (e *encoder) appendBase64(dst []byte, s *sparse) ([]byte, error) {
	raw, err := e.compressed(s)
	if err != nil {
		return dst, err
	}
	return base64.StdEncoding.AppendEncode(dst, raw), nil
}

// compressed returns the binary (pre-base64) encoding; it is valid until the next call.
func (e *encoder) compressed(s *sparse) ([]byte, error) {
	e.inner = e.appendInner(e.inner[:0], s)

	e.outer.Reset()
	e.outer.Write(outerPlaceholder[:])
	e.zw.Reset(&e.outer)
	if _, err := e.zw.Write(e.inner); err != nil {
		return nil, err
	}
	if err := e.zw.Close(); err != nil {
		return nil, err
	}
	out := e.outer.Bytes()
	binary.BigEndian.PutUint32(out[0:], uint32(outerCookie))
	binary.BigEndian.PutUint32(out[4:], uint32(len(out)-8))
	return out, nil
}

// sortedKeys fills e.keys with s's buckets in ascending order; the slice is reused.
func (e *encoder) sortedKeys(s *sparse) []int64 {
	e.keys = e.keys[:0]
	for k := range s.counts {
		e.keys = append(e.keys, k)
	}
	slices.Sort(e.keys)
	return e.keys
}

// appendInner appends the uncompressed V2 encoding of s to dst (encodeIntoByteBuffer): a
// 40-byte big-endian header (cookie, payload length, normalizing index offset, significant
// figures as int32; lowest and highest trackable value as int64; the integer-to-double ratio
// as float64), then the counts.
func (e *encoder) appendInner(dst []byte, s *sparse) []byte {
	start := len(dst)
	dst = binary.BigEndian.AppendUint32(dst, uint32(innerCookie))
	dst = binary.BigEndian.AppendUint32(dst, 0) // payload length, patched below
	dst = binary.BigEndian.AppendUint32(dst, 1) // getNormalizingIndexOffset
	dst = binary.BigEndian.AppendUint32(dst, significantDigits)
	dst = binary.BigEndian.AppendUint64(dst, lowestDiscernible)
	dst = binary.BigEndian.AppendUint64(dst, highestTrackable)
	dst = binary.BigEndian.AppendUint64(dst, math.Float64bits(1.0)) // getIntegerToDoubleValueConversionRatio
	payload := len(dst)
	dst = e.appendCounts(dst, s)
	binary.BigEndian.PutUint32(dst[start+4:], uint32(len(dst)-payload))
	return dst
}

// appendCounts writes the counts array as fillBufferFromCountsArray does: index 0 up to the
// highest non-zero index, a run of two or more zero counters as its negated length, a single
// zero counter as 0, each ZigZag LEB128. The library derives the limit from Max(), whose index
// is the highest non-zero counter's; an empty histogram has Max() 0 and so writes counter 0.
func (e *encoder) appendCounts(dst []byte, s *sparse) []byte {
	next := int64(0) // the first counts index not yet written
	for _, k := range e.sortedKeys(s) {
		c := s.counts[k]
		if c == 0 {
			continue // part of a zero run, as in the dense array
		}
		i := countsIndex(k)
		switch gap := i - next; {
		case gap > 1:
			dst = appendZigZag(dst, -gap)
		case gap == 1:
			dst = appendZigZag(dst, 0)
		}
		dst = appendZigZag(dst, c)
		next = i + 1
	}
	if next == 0 {
		dst = appendZigZag(dst, 0)
	}
	return dst
}

// countsIndex is the library's counts index of value v in this configuration (unit 1, 2048
// sub-buckets, half of them per bucket above the first): countsIndexFor.
func countsIndex(v int64) int64 {
	if v <= 0 {
		return 0
	}
	bucket := int64(bits.Len64(uint64(v|(1<<(subBucketShift+1)-1)))) - (subBucketShift + 1)
	sub := v >> bucket
	return (bucket+1)<<subBucketShift + sub - 1<<subBucketShift
}

// appendZigZag is the library's zig_zag_encode_i64: LEB128 of the ZigZag value, except that a
// ninth byte carries the last 8 bits whole (so it differs from binary.AppendUvarint at 2^56 and
// above).
func appendZigZag(dst []byte, signed int64) []byte {
	v := uint64((signed << 1) ^ (signed >> 63))
	for n := 0; n < 8; n++ {
		if v>>7 == 0 {
			return append(dst, byte(v))
		}
		dst = append(dst, byte(v&0x7f|0x80))
		v >>= 7
	}
	return append(dst, byte(v))
}
