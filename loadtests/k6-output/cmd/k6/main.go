// Command k6 is k6 v1.8.1 with stampede's output extension built in: what xk6 would generate,
// written out because the build has to run from the module proxy alone.
package main

import (
	k6cmd "go.k6.io/k6/cmd"

	_ "github.com/stampede/k6-output"
)

func main() {
	k6cmd.Execute()
}
