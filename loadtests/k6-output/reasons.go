package stampede

// TrafficClasses are the drill's traffic classes (reports/model.ts TRAFFIC_CLASSES): a request
// whose `class` tag is none of them is unclassified.
var TrafficClasses = []string{"order", "position", "depth"}

// RejectReasons are the reasons a refusal is counted under (reports/model.ts REJECT_REASONS).
var RejectReasons = []string{"rate_limited", "banned", "overloaded", "timeout", "order_rejected", "error"}

// RejectReason classifies a response exactly as loadtests/vocabulary/traffic.ts rejectReason does:
// "" when it was served. status 0 means no response; hasCode tells whether the body had a
// dialect error code. The k6 script tags its `stampede_rejects` samples with this; the output
// reads the tag and counts only reasons of this table (see isRejectReason), so a script
// counting something else cannot slip a reason past the reporter.
func RejectReason(status int, code int, hasCode bool, trafficClass string) string {
	switch {
	case status >= 200 && status < 300:
		return ""
	case status == 429:
		return "rate_limited"
	case status == 418:
		return "banned"
	case status == 408:
		return "timeout"
	case status == 503:
		if hasCode && code == -1008 {
			return "overloaded"
		}
		return "timeout"
	case status >= 400 && status < 500:
		if trafficClass == "order" {
			return "order_rejected"
		}
		return "error"
	}
	return "error"
}

func isRejectReason(reason string) bool {
	for _, r := range RejectReasons {
		if r == reason {
			return true
		}
	}
	return false
}

func isTrafficClass(class string) bool {
	for _, c := range TrafficClasses {
		if c == class {
			return true
		}
	}
	return false
}

// outcomeTagPre prefixes the all-classes outcome intervals: Tag=outcome=served, ...
const outcomeTagPre = "outcome="

// OutcomeOfStatus is reports/outcomes.ts outcomeOfStatus: what became of a request, by HTTP
// status (0: no response at all). Served, refused by policy, refused for capacity, or other.
func OutcomeOfStatus(status int) string {
	switch {
	case status >= 200 && status < 300:
		return "served"
	case status == 429 || status == 418:
		return "policy"
	case status == 503 || status == 408 || status == 502 || status == 0:
		return "capacity"
	default:
		return "other"
	}
}
