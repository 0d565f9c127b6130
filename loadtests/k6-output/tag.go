package stampede

import (
	"fmt"
	"strings"
)

// Interval tags of latency.hlog (reports/hlog.ts documents the scheme; the reporter reads it).
const (
	staleAgeTag     = "stale_age"
	unclassifiedTag = "unclassified"
	endpointTagPre  = "endpoint="
	latenessTag     = "lateness"
	correctedTagPre = "corrected="
	otherEndpoint   = "(other)"
	maxEndpoints    = 200
)

// EndpointTag is reports/hlog.ts endpointTag: HdrHistogram's log readers split lines on commas
// and whitespace, so `%`, commas, bytes outside printable ASCII (each UTF-8 byte of a
// character) are written as %XX; the rest of printable ASCII stays as it is.
func EndpointTag(name string) string {
	var b strings.Builder
	b.Grow(len(endpointTagPre) + len(name))
	b.WriteString(endpointTagPre)
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c < 0x21 || c > 0x7e || c == '%' || c == ',' {
			fmt.Fprintf(&b, "%%%02X", c)
		} else {
			b.WriteByte(c)
		}
	}
	return b.String()
}
