//go:build !unix

package metrics_test

import (
	"testing"
	"time"
)

// cpuTime is 0 where getrusage is not: cpu-ns/token is then 0.
func cpuTime(b *testing.B) time.Duration { return 0 }
